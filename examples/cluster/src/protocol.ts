/**
 * The line protocol between a replica host and whoever runs it: the host
 * prints one JSON object per line on stdout ({@link HostEvent}), and reads
 * one command per line on stdin ({@link HostCommand}).
 *
 * Commands: `status [tag]`, `digest [tag]`, `query <hex> [tag]` (a read-only
 * app query, answered from the replica's current state), `stop` (graceful
 * shutdown). Closing stdin also stops the host, so a host never outlives its
 * parent's pipe.
 * @module
 */

/** The fields every status-like line carries. */
export interface StatusFields {
  readonly id: string;
  readonly view: number;
  readonly viewChanging: boolean;
  readonly primary: string;
  readonly lastExecuted: number;
  readonly stableSeq: number;
  readonly pendingRequests: number;
  /** Hex of the app's `digest()` at `lastExecuted`. */
  readonly digest: string;
}

/** One stdout line of a replica host. */
export type HostEvent =
  | { readonly event: 'ready'; readonly pid: number; readonly url: string } & StatusFields
  | { readonly event: 'status'; readonly tag?: string; readonly dropped: Readonly<Record<string, number>>; readonly peers: readonly string[] } & StatusFields
  | { readonly event: 'digest'; readonly tag?: string; readonly id: string; readonly lastExecuted: number; readonly digest: string }
  | { readonly event: 'query'; readonly tag?: string; readonly id: string; readonly lastExecuted: number; readonly result: string }
  | { readonly event: 'executed'; readonly id: string; readonly view: number; readonly seq: number; readonly requests: number }
  | { readonly event: 'view-change'; readonly id: string; readonly view: number }
  | { readonly event: 'new-view'; readonly id: string; readonly view: number }
  | { readonly event: 'checkpoint'; readonly id: string; readonly seq: number }
  | { readonly event: 'state-transfer'; readonly id: string; readonly fromSeq: number; readonly toSeq: number }
  | { readonly event: 'peer'; readonly id: string; readonly peer: string; readonly status: 'connected' | 'disconnected' }
  | { readonly event: 'log'; readonly level: string; readonly msg: string; readonly [field: string]: unknown }
  | { readonly event: 'error'; readonly id?: string; readonly error: string; readonly command?: string }
  | { readonly event: 'fatal'; readonly error: string; readonly code?: string }
  | { readonly event: 'stopped'; readonly id: string };

/** The names of {@link HostEvent}s. */
export type HostEventName = HostEvent['event'];

/** A parsed stdin command. */
export type HostCommand =
  | { readonly cmd: 'status'; readonly tag?: string }
  | { readonly cmd: 'digest'; readonly tag?: string }
  | { readonly cmd: 'query'; readonly query: string; readonly tag?: string }
  | { readonly cmd: 'stop' };

/** Parses one stdin line; returns `undefined` for a blank line, throws `TypeError` for an unknown command. */
export function parseCommand(line: string): HostCommand | undefined {
  const words = line.trim().split(/\s+/).filter((w) => w.length > 0);
  const [cmd, a, b] = words;
  if (cmd === undefined) return undefined;
  switch (cmd) {
    case 'status':
    case 'digest':
      return a === undefined ? { cmd } : { cmd, tag: a };
    case 'query':
      if (a === undefined || !/^([0-9a-f]{2})+$/i.test(a)) throw new TypeError('query needs the hex of an encoded app query');
      return b === undefined ? { cmd, query: a } : { cmd, query: a, tag: b };
    case 'stop':
      return { cmd };
    default:
      throw new TypeError(`unknown command ${JSON.stringify(cmd)} (expected status, digest, query <hex>, stop)`);
  }
}
