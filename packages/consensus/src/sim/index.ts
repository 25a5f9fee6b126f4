/**
 * The deterministic simulator (placeholder entry; filled by the simulator module).
 * @packageDocumentation
 */
export {};
