/**
 * The minimal test-runner surface the compliance suites need. Any runner with
 * `describe`/`it` works (vitest, jest, mocha, node:test): the suites carry
 * their own assertions, so `expect` is accepted but not required.
 * @module
 */

/** The subset of a test runner the compliance suites register tests with. */
export interface ComplianceTestApi {
  /** Registers a group of tests. */
  describe(name: string, body: () => void): unknown;
  /** Registers one test; `timeoutMs` is passed through to the runner. */
  it(name: string, body: () => Promise<void> | void, timeoutMs?: number): unknown;
  /** Accepted for convenience (`{ describe, it, expect }` from vitest); unused. */
  readonly expect?: unknown;
}

/** Thrown by a compliance assertion that fails. */
export class ComplianceAssertionError extends Error {
  /** @param message - what failed, with the expected and actual values. */
  constructor(message: string) {
    super(message);
    this.name = 'ComplianceAssertionError';
  }
}

/** Fails the current compliance test with `message` unless `condition` holds. */
export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new ComplianceAssertionError(message);
}

/** Fails unless `a` and `b` hold the same bytes. */
export function checkBytesEqual(a: Uint8Array | undefined, b: Uint8Array | undefined, message: string): void {
  const show = (x: Uint8Array | undefined) =>
    x === undefined ? 'undefined' : `[${x.length}] ${Array.from(x.subarray(0, 16), (v) => v.toString(16).padStart(2, '0')).join('')}${x.length > 16 ? '…' : ''}`;
  if (a === undefined || b === undefined) {
    check(a === b, `${message}: expected ${show(b)}, got ${show(a)}`);
    return;
  }
  let same = a.length === b.length;
  for (let i = 0; same && i < a.length; i++) same = a[i] === b[i];
  check(same, `${message}: expected ${show(b)}, got ${show(a)}`);
}

/**
 * Runs `fn` and fails unless it rejects/throws an error whose `code` (or, for
 * plain JS errors, `name`) equals `expected`. Returns the error.
 */
export async function checkRejects(fn: () => unknown, expected: string, message: string): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    const e = err as { code?: unknown; name?: unknown };
    check(e.code === expected || e.name === expected, `${message}: expected ${expected}, got ${String(e.code ?? e.name)} (${String(err)})`);
    return err;
  }
  throw new ComplianceAssertionError(`${message}: expected rejection with ${expected}, but it resolved`);
}
