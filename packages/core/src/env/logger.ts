/**
 * Loggers: a structured console logger, a silent one, and an in-memory one
 * for tests.
 * @module
 */
import { bytesToHex, isBytes } from '../bytes/index.js';
import type { Clock, LogFields, Logger, LogLevel } from './types.js';

/** One structured log record. */
export interface LogRecord {
  /** Severity. */
  readonly level: LogLevel;
  /** A short, constant message; variable data goes in {@link LogRecord.fields}. */
  readonly message: string;
  /** Milliseconds since the epoch from the logger's {@link Clock}, when it has one. */
  readonly time?: number;
  /** The logger's bindings merged with the call's fields (the call wins on conflicts). */
  readonly fields: LogFields;
}

/** Options shared by the loggers. */
export interface LoggerInit {
  /** The lowest level that is recorded. */
  readonly level?: LogLevel;
  /** Fields added to every record. */
  readonly bindings?: LogFields;
  /** Source of {@link LogRecord.time}. */
  readonly clock?: Clock;
}

/** Options for {@link consoleLogger}. */
export interface ConsoleLoggerInit extends LoggerInit {
  /**
   * Receives each record instead of the console, for routing logs elsewhere
   * (use {@link formatLogRecord} to get the console line).
   */
  readonly sink?: (record: LogRecord) => void;
}

/** A {@link Logger} that keeps its records in memory. */
export interface MemoryLogger extends Logger {
  /** Every record so far, oldest first, shared with all child loggers. */
  readonly records: LogRecord[];
}

/**
 * A logger that writes one JSON line per record to the console
 * (`console.debug`/`info`/`warn`/`error` by level), as formatted by
 * {@link formatLogRecord}. The default level is `'info'`, and the default
 * clock is the system clock (`Date.now()`).
 *
 * @example
 * ```ts
 * const log = consoleLogger({ level: 'debug' }).child({ replica: 2 });
 * log.info('view change', { view: 7n, digest: new Uint8Array([0xab]) });
 * // {"time":1700000000000,"level":"info","msg":"view change","replica":2,"view":"7","digest":"ab"}
 * ```
 */
export function consoleLogger(init: ConsoleLoggerInit = {}): Logger {
  const sink = init.sink ?? writeToConsole;
  const clock = init.clock ?? { now: () => Date.now() };
  return createLogger(init.level ?? 'info', init.bindings ?? {}, clock, sink);
}

/** A logger that discards everything. */
export function silentLogger(): Logger {
  const logger: Logger = {
    debug() {},
    info() {},
    warn() {},
    error() {},
    child: () => logger,
  };
  return logger;
}

/**
 * A logger that appends records to {@link MemoryLogger.records}, for tests.
 * The default level is `'debug'` (everything is kept). Records carry a `time`
 * only when `init.clock` is given: the memory logger never reads the wall
 * clock, so test output is deterministic.
 */
export function memoryLogger(init: LoggerInit = {}): MemoryLogger {
  const records: LogRecord[] = [];
  const logger = createLogger(init.level ?? 'debug', init.bindings ?? {}, init.clock, (r) => records.push(r));
  return withRecords(logger, records);
}

/**
 * Formats a record as one JSON line: `time` (if any), `level`, `msg`, then the
 * fields. Field values are made JSON-safe: `bigint` → decimal string,
 * `Uint8Array` → hex, `Error` → `{ name, message, code? }`, `Map`/`Set` →
 * arrays, cycles → `"[Circular]"`, functions and symbols → their description.
 * A field named `time`, `level` or `msg` is written as `field.time` etc.
 */
export function formatLogRecord(record: LogRecord): string {
  const out: Record<string, unknown> = {};
  if (record.time !== undefined) out['time'] = record.time;
  out['level'] = record.level;
  out['msg'] = record.message;
  for (const [key, value] of Object.entries(record.fields)) {
    out[RESERVED.has(key) ? `field.${key}` : key] = toJsonSafe(value, new Set());
  }
  return JSON.stringify(out);
}

// ---------------------------------------------------------------------------
// helpers

const RESERVED = new Set(['time', 'level', 'msg']);

const SEVERITY: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

function createLogger(
  level: LogLevel,
  bindings: LogFields,
  clock: Pick<Clock, 'now'> | undefined,
  sink: (record: LogRecord) => void,
): Logger {
  const threshold = SEVERITY[level];
  if (threshold === undefined) throw new RangeError(`level must be one of debug, info, warn, error, got ${String(level)}`);
  const emit = (lvl: LogLevel) => (message: string, fields?: LogFields) => {
    if (SEVERITY[lvl] < threshold) return;
    const merged = fields === undefined ? bindings : { ...bindings, ...fields };
    const record: LogRecord =
      clock === undefined
        ? { level: lvl, message, fields: merged }
        : { level: lvl, message, time: clock.now(), fields: merged };
    sink(record);
  };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (more: LogFields) => createLogger(level, { ...bindings, ...more }, clock, sink),
  };
}

/** Attaches the shared `records` array to a logger and all its children. */
function withRecords(logger: Logger, records: LogRecord[]): MemoryLogger {
  return {
    debug: logger.debug,
    info: logger.info,
    warn: logger.warn,
    error: logger.error,
    child: (bindings: LogFields) => withRecords(logger.child(bindings), records),
    records,
  };
}

function writeToConsole(record: LogRecord): void {
  const line = formatLogRecord(record);
  switch (record.level) {
    case 'debug':
      console.debug(line);
      break;
    case 'info':
      console.info(line);
      break;
    case 'warn':
      console.warn(line);
      break;
    case 'error':
      console.error(line);
      break;
  }
}

/** Converts a field value to something `JSON.stringify` renders faithfully. */
function toJsonSafe(value: unknown, seen: Set<object>): unknown {
  switch (typeof value) {
    case 'bigint':
      return value.toString();
    case 'function':
      return `[Function ${value.name || 'anonymous'}]`;
    case 'symbol':
      return value.toString();
    case 'undefined':
      return null;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'object': {
      if (value === null) return null;
      if (isBytes(value)) return bytesToHex(value);
      if (seen.has(value)) return '[Circular]';
      seen.add(value);
      try {
        if (value instanceof Error) {
          const code = (value as { code?: unknown }).code;
          return code === undefined
            ? { name: value.name, message: value.message }
            : { name: value.name, message: value.message, code: toJsonSafe(code, seen) };
        }
        if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
        if (Array.isArray(value)) return value.map((v) => toJsonSafe(v, seen));
        if (value instanceof Map) return [...value].map(([k, v]) => [toJsonSafe(k, seen), toJsonSafe(v, seen)]);
        if (value instanceof Set) return [...value].map((v) => toJsonSafe(v, seen));
        if (value instanceof ArrayBuffer) return bytesToHex(new Uint8Array(value));
        if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
          return Array.from(value as unknown as ArrayLike<number | bigint>, (v) => toJsonSafe(v, seen));
        }
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) out[k] = toJsonSafe(v, seen);
        return out;
      } finally {
        seen.delete(value);
      }
    }
    default:
      return value;
  }
}
