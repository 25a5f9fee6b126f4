/**
 * The venue node's HTTP API: a `node:http` server on 127.0.0.1 with the JSON
 * envelope `{ ok: true, data } | { ok: false, error: { code, reason,
 * message } }`, the route table of `api/routes.ts`, the `/ws` stream on the
 * same port, and one structured log line per request (method, route, status,
 * ms — never bodies, tokens or keys).
 *
 * Refusals: unknown path → 404 `no_route`; a known path with another method
 * → 405 `method_not_allowed` (with `Allow`); organizer routes without a valid
 * bearer token → 401 `unauthenticated` (before the body is read); a wrong
 * content type → 415; a body over the limit → 413 `body_too_large` (reading
 * stops and the connection is closed); malformed JSON → 400
 * `malformed_json`; an unknown field → 400 `unknown_field` naming it. A
 * handler failure that is not a refusal is a 500 `internal` (logged by error
 * name and code only); domain outcomes never are.
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock, Logger } from '@admitone/core';
import type { VenueBackend } from './api/backend.js';
import { HttpRefusal } from './api/json.js';
import { codeOfStatus } from './api/rejections.js';
import { checkOrganizer, ROUTES, type Route, type RouteResult } from './api/routes.js';
import { createStreamServer, type StreamServer } from './api/stream.js';

/** Options of {@link startHttpApi}. */
export interface HttpApiOptions {
  /** The node behind the API. */
  readonly backend: VenueBackend;
  /** Interface to bind: 127.0.0.1 only. */
  readonly host: string;
  /** Port; 0 picks a free one (see {@link HttpApi.port}). */
  readonly port: number;
  /** Largest request body, in bytes. */
  readonly maxBodyBytes: number;
  /** SHA-256 of every accepted organizer token. */
  readonly organizerTokenHashes: readonly Uint8Array[];
  /** Most messages queued per `/ws` subscriber. */
  readonly streamQueue: number;
  /** Origins allowed to call the API from browsers (`*` for any). Default none. */
  readonly corsOrigins?: readonly string[];
  /** Times requests (ms in logs and metrics). */
  readonly clock: Clock;
  /** One `info` line per request. */
  readonly logger: Logger;
  /** Called once per answered request (metrics). */
  readonly observe?: (route: string, method: string, status: number, ms: number) => void;
}

/** A listening HTTP API. */
export interface HttpApi {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The bound port. */
  readonly port: number;
  /** The underlying server. */
  readonly server: Server;
  /** The `/ws` endpoint. */
  readonly stream: StreamServer;
  /** Stops accepting, closes streams and idle connections, waits for in-flight requests. */
  close(): Promise<void>;
}

/** Starts the API; rejects with the listen error (e.g. `EADDRINUSE`). */
export async function startHttpApi(options: HttpApiOptions): Promise<HttpApi> {
  if (options.host !== '127.0.0.1') throw new RangeError('the HTTP API binds 127.0.0.1 only');
  const { logger, clock } = options;
  const stream = createStreamServer({ backend: options.backend, maxQueue: options.streamQueue, clock, logger });
  const server = createServer({ requestTimeout: 60_000, headersTimeout: 20_000, keepAliveTimeout: 5_000 }, (req, res) => {
    handle(options, req, res).catch((err: unknown) => {
      // never let one request take the process down (main.ts treats unhandled rejections as fatal)
      options.logger.error('http request failed', { error: String((err as { name?: unknown })?.name ?? 'Error') });
      res.destroy();
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => stream.handleUpgrade(req, socket, head));
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // a request Node could not parse (headers too large, a bad Content-Length, …): the API's JSON envelope, then close
    if (socket.writable) {
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
      const body = JSON.stringify({ ok: false, error: { code: 'bad_request', reason: status === 431 ? 'headers_too_large' : 'unparsable_request', message: 'The request could not be parsed as HTTP.' } });
      socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    } else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host, port: options.port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    stream,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await stream.close();
        const timer = clock.setTimeout(() => server.closeAllConnections(), 2000);
        await closed;
        timer.cancel();
      })();
      return closing;
    },
  };
}

/** A matched route and its path parameters. */
export interface RouteMatch {
  /** The route. */
  readonly route: Route;
  /** Its path parameters, URI-decoded. */
  readonly params: Record<string, string>;
}

/**
 * Finds the route for `path` and `method`; throws 404 `no_route` or 405
 * `method_not_allowed`. The most specific patterns (most literal segments)
 * that match the path win, so `GET /api/v1/tickets/admit` is a wrong method
 * for the admit route, not a ticket named `admit`.
 */
export function matchRoute(method: string, path: string): RouteMatch {
  const { best, badEncoding } = routesFor(path);
  const hit = best.find((b) => b.route.method === method);
  if (hit !== undefined) return hit;
  if (best.length > 0) {
    const allow = allowedMethods(best);
    throw new HttpRefusal(405, 'method_not_allowed', `${method} is not allowed here; use ${allow}.`, { headers: { allow } });
  }
  if (badEncoding) throw new HttpRefusal(400, 'invalid_field', 'A path segment is not valid percent-encoding.');
  throw new HttpRefusal(404, 'no_route', 'No such route.');
}

/** The most specific routes whose pattern matches `path` (any method). */
function routesFor(path: string): { best: RouteMatch[]; badEncoding: boolean } {
  const segments = path.split('/');
  let best: (RouteMatch & { literals: number })[] = [];
  let badEncoding = false;
  for (const route of ROUTES) {
    const pattern = route.pattern.split('/');
    if (pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let literals = 0;
    let ok = true;
    for (let i = 0; i < pattern.length && ok; i++) {
      const p = pattern[i] as string;
      const s = segments[i] as string;
      if (p.startsWith(':')) {
        if (s.length === 0) ok = false;
        else {
          try {
            params[p.slice(1)] = decodeURIComponent(s);
          } catch {
            badEncoding = true;
            ok = false;
          }
        }
      } else if (p === s) literals++;
      else ok = false;
    }
    if (!ok) continue;
    const top = best[0]?.literals ?? -1;
    if (literals > top) best = [{ route, params, literals }];
    else if (literals === top) best.push({ route, params, literals });
  }
  return { best, badEncoding };
}

function allowedMethods(matches: readonly RouteMatch[]): string {
  return [...new Set(matches.map((m) => m.route.method))].sort().join(', ');
}

async function handle(options: HttpApiOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = options.clock.now();
  const method = req.method ?? 'GET';
  let routeName = 'no_route';
  let result: RouteResult = { status: 500, json: null };
  let headers: Record<string, string> = {};
  let closeAfter = false;
  const finish = (): void => {
    // a body we refused before reading it is never read: answer and close the connection
    const hasBody = (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') || req.headers['transfer-encoding'] !== undefined;
    if (!closeAfter && hasBody && !req.complete && result.status >= 400) closeAfter = true;
    const ms = options.clock.now() - started;
    send(res, result, { ...corsHeaders(options.corsOrigins ?? [], req.headers.origin), ...headers }, closeAfter);
    options.logger.info('http request', { method, route: routeName, status: result.status, ms });
    options.observe?.(routeName, method, result.status, ms);
  };
  try {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://127.0.0.1');
    } catch {
      throw new HttpRefusal(400, 'invalid_field', 'The request target is not a valid path.');
    }
    if (method === 'OPTIONS') {
      // a CORS preflight: which methods and headers the path takes
      const { best } = routesFor(url.pathname);
      if (best.length === 0) throw new HttpRefusal(404, 'no_route', 'No such route.');
      routeName = 'preflight';
      result = { status: 204, bytes: new Uint8Array(0), contentType: 'text/plain' };
      headers = {
        'access-control-allow-methods': allowedMethods(best),
        'access-control-allow-headers': 'content-type, authorization',
        'access-control-max-age': '600',
      };
      finish();
      return;
    }
    // HEAD is GET without the body (Node's ServerResponse leaves the body out of a HEAD answer)
    const { route, params } = matchRoute(method === 'HEAD' ? 'GET' : method, url.pathname);
    routeName = route.pattern;
    if (route.organizer) checkOrganizer(req, options.organizerTokenHashes);
    result = await route.handle({ req, url, params, backend: options.backend, maxBodyBytes: options.maxBodyBytes, organizerTokenHashes: options.organizerTokenHashes });
  } catch (err) {
    if (err instanceof HttpRefusal) {
      result = { status: err.status, json: { ok: false, error: { code: codeOfStatus(err.status), reason: err.reason, message: err.shortMessage, ...(err.field === undefined ? {} : { field: err.field }) } } };
      headers = { ...err.headers };
      closeAfter = err.status === 413 || err.reason === 'body_unreadable';
    } else {
      const e = err as { name?: unknown; code?: unknown };
      options.logger.error('http handler failed', { route: routeName, error: String(e?.name ?? 'Error'), code: typeof e?.code === 'string' ? e.code : undefined });
      result = { status: 500, json: { ok: false, error: { code: 'internal', reason: 'internal', message: 'The node failed to answer; see its logs.' } } };
    }
  }
  finish();
}

/** The CORS response headers for a request from `origin` (none when it is not allowed or absent). */
function corsHeaders(allowed: readonly string[], origin: string | undefined): Record<string, string> {
  if (origin === undefined || allowed.length === 0) return {};
  if (allowed.includes('*')) return { 'access-control-allow-origin': '*' };
  return allowed.includes(origin) ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {};
}

function send(res: ServerResponse, result: RouteResult, headers: Record<string, string>, closeAfter: boolean): void {
  if (res.headersSent || res.destroyed) return; // the client went away
  const body = 'json' in result ? Buffer.from(JSON.stringify(result.json)) : result.bytes;
  const contentType = 'json' in result ? 'application/json; charset=utf-8' : result.contentType;
  res.writeHead(result.status, {
    'content-type': contentType,
    'content-length': String(body.length),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...(closeAfter ? { connection: 'close' } : {}),
    ...headers,
  });
  res.end(body);
  if (closeAfter) res.once('finish', () => res.socket?.destroySoon());
}
