/**
 * `@admitone/consensus/sim`: the deterministic simulator, after TigerBeetle's
 * VOPR. It drives the real PBFT replicas and clients and the real ticket
 * ledger through core's in-memory network and storage on one virtual clock,
 * injects network faults, crashes with lost writes and Byzantine strategies,
 * and checks safety and liveness from outside the replicas. The same seed
 * gives the same trace hash; a failing run prints its seed and a short trace.
 *
 * @example
 * ```ts
 * import { formatReport, runSimulation } from '@admitone/consensus/sim';
 *
 * const report = await runSimulation({ seed: 42, nodes: 7, byzantine: 2, strategy: 'mixed', tickets: 20, partitions: 1, crashes: 1 });
 * console.log(formatReport(report));
 * if (!report.ok) process.exitCode = 1;
 * ```
 * @packageDocumentation
 */
export { runSimulation } from './simulation.js';
export { SIM_DEPLOYMENT } from './workload.js';
export {
  BYZANTINE_STRATEGIES,
  SimulationError,
  resolveSimulationOptions,
  type ByzantineStrategy,
  type ConcreteStrategy,
  type ResolvedSimulationOptions,
  type SimulationErrorCode,
  type SimulationOptions,
} from './options.js';
export { CRASH_TRIGGER_MESSAGES, checkFaultSchedule, drawCrashTriggers, generateFaultSchedule, linkBlocked, type CrashTrigger, type CrashTriggerMessage, type CrashWindow, type FaultPlan, type FaultSchedule, type PartitionWindow } from './faults.js';
export { formatReport, percentile, type SimulationReport } from './report.js';
export { byzantineTransport, planByzantine, type ByzantineContext } from './byzantine.js';
export { createCheckers, recordingLedger, type CheckerOptions, type Checkers, type ExecutionResults, type OpInfo } from './checkers.js';
export { createSimNetwork, type NetworkCounters, type SimNetwork, type SimNetworkOptions } from './network.js';
export { openCrashableStorage, type CrashableStorage } from './storage.js';
export { memoizedCrypto } from './crypto.js';
export { createTrace, type Trace } from './trace.js';
export { observedTransport, tryDecodeWire, wireLabel, type PostFn } from './observe.js';
export { createWorkload, type Workload, type WorkloadClient, type WorkloadOptions, type WorkloadStats } from './workload.js';
