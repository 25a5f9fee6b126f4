/**
 * The injected environment: {@link Clock}, {@link Random} and {@link Logger},
 * with production implementations ({@link systemClock}, {@link systemRandom},
 * {@link consoleLogger}) and deterministic ones for tests and the simulator
 * ({@link virtualClock}, {@link seededRandom}, {@link memoryLogger}).
 * @module
 */
export type { Clock, LogFields, Logger, LogLevel, Random, TimerHandle } from './types.js';
export { systemClock, virtualClock, type VirtualClock, type VirtualClockInit } from './clock.js';
export { seededRandom, systemRandom, type SeededRandom } from './random.js';
export {
  consoleLogger,
  formatLogRecord,
  memoryLogger,
  silentLogger,
  type ConsoleLoggerInit,
  type LoggerInit,
  type LogRecord,
  type MemoryLogger,
} from './logger.js';
