/**
 * The simulator's event trace: every delivery, drop, execution, view change,
 * crash and client result becomes one line. The full trace is folded into a
 * SHA-256 hash chain (so two runs can be compared by one hex string), and the
 * last lines are kept in a ring buffer to print when a run fails.
 * @module
 */
import { bytesToHex, concatBytes, hash, utf8ToBytes } from '@admitone/core';

/** Records trace lines; see {@link createTrace}. */
export interface Trace {
  /** Appends one line, prefixed with the virtual time. */
  record(line: string): void;
  /** The last lines recorded (oldest first), at most the configured tail length. */
  tail(): string[];
  /** Number of lines recorded so far. */
  readonly length: number;
  /** The hex SHA-256 hash chain of every line recorded so far. */
  digest(): string;
}

/** Lines folded into the hash chain at once. */
const CHUNK_LINES = 1024;

/**
 * Creates a trace. `now` stamps each line with the virtual time; `tailLength`
 * bounds the ring buffer of recent lines; `onLine` sees every line.
 *
 * The hash is `h_0 = SHA-256("admitone/sim/trace/v1")`, then
 * `h_{i+1} = SHA-256(h_i ‖ utf8(chunk_i))` where each chunk is up to 1 024
 * lines joined by `\n` (each line terminated by `\n`).
 */
export function createTrace(now: () => number, tailLength: number, onLine?: (line: string) => void): Trace {
  let state: Uint8Array = hash(utf8ToBytes('admitone/sim/trace/v1'));
  let pending: string[] = [];
  let count = 0;
  const ring: string[] = [];
  let ringStart = 0;

  const fold = () => {
    if (pending.length === 0) return;
    state = hash(concatBytes(state, utf8ToBytes(`${pending.join('\n')}\n`)));
    pending = [];
  };

  return {
    record(line) {
      const stamped = `${now()} ${line}`;
      pending.push(stamped);
      count++;
      onLine?.(stamped);
      if (pending.length >= CHUNK_LINES) fold();
      if (tailLength <= 0) return;
      if (ring.length < tailLength) ring.push(stamped);
      else {
        ring[ringStart] = stamped;
        ringStart = (ringStart + 1) % tailLength;
      }
    },
    tail() {
      return [...ring.slice(ringStart), ...ring.slice(0, ringStart)];
    },
    get length() {
      return count;
    },
    digest() {
      fold();
      return bytesToHex(state);
    },
  };
}
