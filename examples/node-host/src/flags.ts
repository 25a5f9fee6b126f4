/**
 * The venue node's command line: the configuration file and the flags that
 * override it (`--http-port`, `--data-dir`, `--log-level`, `--ignore-stdin`).
 * @module
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { LogLevel } from '@admitone/core';
import { LOG_LEVELS as LEVELS, NodeConfigError, resolveNodeConfig, type ResolvedNodeConfig } from './config.js';

/** The command line of `main.ts`: a configuration file and overrides. */
export interface NodeFlags {
  /** The configuration file (`--config <file>` or the first positional argument). */
  readonly config: string;
  /** `--http-port <n>`: overrides `http.port`. */
  readonly httpPort?: number;
  /** `--data-dir <dir>`: overrides `dataDir`. */
  readonly dataDir?: string;
  /** `--log-level <level>`: overrides `logLevel`. */
  readonly logLevel?: LogLevel;
  /** `--ignore-stdin`: keep running when stdin closes (default: stdin EOF stops the node). */
  readonly ignoreStdin: boolean;
}

/** Parses `main.ts`'s arguments. Throws {@link NodeConfigError} (`CONFIG_FLAG`) for unknown or malformed flags. */
export function parseNodeFlags(argv: readonly string[]): NodeFlags {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string' },
        'http-port': { type: 'string' },
        'data-dir': { type: 'string' },
        'log-level': { type: 'string' },
        'ignore-stdin': { type: 'boolean' },
      },
    });
  } catch (cause) {
    throw new NodeConfigError('CONFIG_FLAG', undefined, `bad command line: ${(cause as Error).message}`);
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw new NodeConfigError('CONFIG_FLAG', undefined, `expected at most one positional argument (the config file), got ${positionals.length}`);
  const config = values.config ?? positionals[0];
  if (config === undefined) throw new NodeConfigError('CONFIG_FLAG', 'config', 'pass the configuration file: --config <file> (or as the first argument)');
  if (values.config !== undefined && positionals[0] !== undefined) throw new NodeConfigError('CONFIG_FLAG', 'config', 'pass the configuration file once, with --config or as an argument');
  let httpPort: number | undefined;
  if (values['http-port'] !== undefined) {
    const p = values['http-port'];
    if (!/^\d{1,5}$/.test(p) || Number(p) > 65535) throw new NodeConfigError('CONFIG_FLAG', 'http-port', `--http-port must be a port number (0–65535), got ${JSON.stringify(p)}`);
    httpPort = Number(p);
  }
  const level = values['log-level'];
  if (level !== undefined && !(LEVELS as readonly string[]).includes(level)) throw new NodeConfigError('CONFIG_FLAG', 'log-level', `--log-level must be one of ${LEVELS.join(', ')}`);
  const dataDir = values['data-dir'];
  if (dataDir !== undefined && dataDir.length === 0) throw new NodeConfigError('CONFIG_FLAG', 'data-dir', '--data-dir must not be empty');
  return {
    config,
    ...(httpPort === undefined ? {} : { httpPort }),
    ...(dataDir === undefined ? {} : { dataDir }),
    ...(level === undefined ? {} : { logLevel: level as LogLevel }),
    ignoreStdin: values['ignore-stdin'] === true,
  };
}

/**
 * Reads the configuration file named by `flags`, applies the flag overrides
 * and validates the result. Throws {@link NodeConfigError}.
 */
export function loadNodeConfig(flags: NodeFlags): ResolvedNodeConfig {
  let text: string;
  try {
    text = readFileSync(flags.config, 'utf8');
  } catch (cause) {
    throw new NodeConfigError('CONFIG_UNREADABLE', 'config', `cannot read the configuration file ${JSON.stringify(flags.config)}: ${(cause as { code?: string }).code ?? 'error'}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new NodeConfigError('CONFIG_UNREADABLE', 'config', `the configuration file ${JSON.stringify(flags.config)} is not valid JSON`);
  }
  return resolveNodeConfig(applyFlags(json, flags));
}

/** The configuration JSON with the flags' overrides applied (unchanged when `json` is not an object). */
export function applyFlags(json: unknown, flags: Omit<NodeFlags, 'config' | 'ignoreStdin'>): unknown {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return json;
  const c = { ...(json as Record<string, unknown>) };
  if (flags.httpPort !== undefined) {
    const http = typeof c['http'] === 'object' && c['http'] !== null ? (c['http'] as Record<string, unknown>) : {};
    c['http'] = { ...http, port: flags.httpPort };
  }
  if (flags.dataDir !== undefined) c['dataDir'] = flags.dataDir;
  if (flags.logLevel !== undefined) c['logLevel'] = flags.logLevel;
  return c;
}
