/**
 * The route table of the HTTP API and its handlers.
 *
 * Signed writes share one pipeline ({@link relayWrite}): the body is
 * `{ "request": "<base64url of an encoded SignedRequest>" }`; the request
 * must decode (401 `invalid_request` otherwise), be a write, carry a contract
 * operation of the route's type(s) (400 `wrong_operation`) for the route's
 * event, and verify (401 `invalid_signature`) before it is relayed through
 * PBFT; the contract's result maps to a status through `REJECTION_STATUS`.
 * Organizer routes also need `Authorization: Bearer <token>`, checked before
 * the body is read.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import { decodeRequest, eventId, hash, hexToBytes, isValidId, utf8ToBytes, type EventId, type SignedRequest } from '@admitone/core';
import { ConsensusError } from '@admitone/consensus';
import {
  MAX_EPOCH_PAGE,
  MAX_EVENT_ID_LENGTH,
  MAX_TICKETS_PAGE,
  decodeContractOp,
  decodeContractQueryResult,
  decodeContractResult,
  encodeContractQuery,
  type ContractOp,
  type ContractOpType,
  type ContractQuery,
  type ContractQueryResult,
} from '@admitone/market';
import { base64urlToBytes } from '../client/base64url.js';
import type { VenueBackend } from './backend.js';
import { parseJsonObject, readBody, readFlag, readPositiveInt, readQuery, requireContentType } from './body.js';
import { HttpRefusal, toJson } from './json.js';
import { statusOfRejection } from './rejections.js';

/** A JSON answer (the envelope). */
export interface JsonResult {
  /** HTTP status. */
  readonly status: number;
  /** The envelope. */
  readonly json: unknown;
}

/** A binary or text answer. */
export interface BytesResult {
  /** HTTP status. */
  readonly status: number;
  /** The body. */
  readonly bytes: Uint8Array;
  /** Its content type. */
  readonly contentType: string;
}

/** What a handler answers. */
export type RouteResult = JsonResult | BytesResult;

/** What a handler gets. */
export interface RouteContext {
  /** The request (headers, body stream). */
  readonly req: IncomingMessage;
  /** The parsed url. */
  readonly url: URL;
  /** Path parameters by name (URI-decoded). */
  readonly params: Readonly<Record<string, string>>;
  /** The node. */
  readonly backend: VenueBackend;
  /** Largest body, in bytes. */
  readonly maxBodyBytes: number;
  /** SHA-256 of every accepted organizer token. */
  readonly organizerTokenHashes: readonly Uint8Array[];
}

/** One route: a method, a path pattern (`:name` segments) and its handler. */
export interface Route {
  /** HTTP method. */
  readonly method: 'GET' | 'POST';
  /** The pattern, e.g. `/api/v1/tickets/:eventId/:serial`: also the route's name in logs and metrics. */
  readonly pattern: string;
  /** Needs the organizer bearer token. */
  readonly organizer: boolean;
  /** The contract operations a signed write accepts (empty for other routes). */
  readonly ops: readonly ContractOpType[];
  /** Answers the request; throws {@link HttpRefusal} to refuse it. */
  handle(ctx: RouteContext): Promise<RouteResult>;
}

/** A signed-write route relaying operations of `ops`; `eventParam` names a path parameter the op's event must equal. */
function write(pattern: string, ops: readonly ContractOpType[], options: { readonly organizer?: boolean; readonly eventParam?: string } = {}): Route {
  return {
    method: 'POST',
    pattern,
    organizer: options.organizer === true,
    ops,
    handle: (ctx) => relayWrite(ctx, ops, options.eventParam === undefined ? undefined : ctx.params[options.eventParam]),
  };
}

/** A read route answering `query(ctx)` and rendering the `ok` answer with `render`. */
function read(pattern: string, allowedQuery: readonly string[], query: (ctx: RouteContext, q: Readonly<Record<string, string>>) => ContractQuery, render: (r: Extract<ContractQueryResult, { status: 'ok' }>) => unknown): Route {
  return {
    method: 'GET',
    pattern,
    organizer: false,
    ops: [],
    async handle(ctx) {
      const q = readQuery(ctx.url, [...allowedQuery, 'consistent']);
      const consistent = readFlag(q, 'consistent');
      const encoded = encodeContractQuery(query(ctx, q));
      let answer: ContractQueryResult;
      try {
        answer = decodeContractQueryResult(await ctx.backend.query(encoded, consistent));
      } catch (err) {
        throw consensusRefusal(err);
      }
      if (answer.status === 'rejected') {
        if (answer.reason === 'not_found') throw new HttpRefusal(404, 'not_found', 'Not found.');
        throw new HttpRefusal(400, answer.reason, 'The query is malformed.');
      }
      return { status: 200, json: { ok: true, data: render(answer) } };
    },
  };
}

/** Every route of the API. */
export const ROUTES: readonly Route[] = [
  // gate admission (signed by an authorised gate device, or the holder/organizer for disputes)
  write('/api/v1/tickets/admit', ['admit']),
  write('/api/v1/tickets/validate', ['validate']),
  write('/api/v1/tickets/consume', ['consume']),
  write('/api/v1/tickets/dispute', ['dispute']),
  write('/api/v1/tickets/resolve', ['resolve'], { organizer: true }),
  read(
    '/api/v1/tickets/:eventId/:serial',
    [],
    (ctx) => ({ type: 'ticket', eventId: eventParam(ctx.params['eventId']), serial: readPositiveInt(ctx.params['serial'] ?? '', 'serial') }),
    (r) => ('ticket' in r ? toJson(r.ticket) : undefined),
  ),
  read(
    '/api/v1/tickets/:ticketId',
    [],
    (ctx) => {
      const id = ctx.params['ticketId'] ?? '';
      const colon = id.lastIndexOf(':');
      if (colon <= 0) throw new HttpRefusal(400, 'invalid_field', 'ticketId must be eventId:serial.', { field: 'ticketId' });
      return { type: 'ticket', eventId: eventParam(id.slice(0, colon)), serial: readPositiveInt(id.slice(colon + 1), 'serial') };
    },
    (r) => ('ticket' in r ? toJson(r.ticket) : undefined),
  ),
  read(
    '/api/v1/tickets',
    ['eventId', 'holder', 'after', 'limit'],
    (_ctx, q) => {
      if (q['eventId'] === undefined) throw new HttpRefusal(400, 'missing_field', 'Query parameter eventId is required.', { field: 'eventId' });
      return {
        type: 'tickets',
        eventId: eventParam(q['eventId']),
        ...(q['holder'] === undefined ? {} : { holder: keyParam(q['holder'], 'holder') }),
        ...(q['after'] === undefined ? {} : { after: readPositiveInt(q['after'], 'after', Number.MAX_SAFE_INTEGER, 0) }),
        ...(q['limit'] === undefined ? {} : { limit: readPositiveInt(q['limit'], 'limit', MAX_TICKETS_PAGE) }),
      };
    },
    (r) => ('tickets' in r ? { tickets: toJson(r.tickets), ...(r.next === undefined ? {} : { next: r.next }) } : undefined),
  ),
  read('/api/v1/stats', [], () => ({ type: 'stats' }), (r) => ('stats' in r ? toJson(r.stats) : undefined)),

  // organizer
  write('/api/v1/events', ['createEvent'], { organizer: true }),
  write('/api/v1/events/:eventId/gates', ['authorizeGate', 'revokeGate'], { organizer: true, eventParam: 'eventId' }),
  write('/api/v1/events/:eventId/cancel', ['cancelEvent'], { organizer: true, eventParam: 'eventId' }),
  write('/api/v1/events/:eventId/complete', ['completeEvent'], { organizer: true, eventParam: 'eventId' }),
  write('/api/v1/events/:eventId/refund', ['refund'], { organizer: true, eventParam: 'eventId' }),
  read('/api/v1/events/:eventId', [], (ctx) => ({ type: 'event', eventId: eventParam(ctx.params['eventId']) }), (r) => ('event' in r ? toJson(r.event) : undefined)),
  read(
    '/api/v1/events/:eventId/epochs/:epoch',
    [],
    (ctx) => ({ type: 'epoch', eventId: eventParam(ctx.params['eventId']), epoch: epochParam(ctx) }),
    (r) => ('epoch' in r ? toJson(r.epoch) : undefined),
  ),
  read(
    '/api/v1/events/:eventId/epochs/:epoch/outcomes',
    ['from', 'limit'],
    (ctx, q) => ({ type: 'epochOutcomes', eventId: eventParam(ctx.params['eventId']), epoch: epochParam(ctx), ...epochPageParams(q) }),
    (r) => ('outcomes' in r ? { outcomes: toJson(r.outcomes), ...(r.next === undefined ? {} : { next: r.next }) } : undefined),
  ),
  read(
    '/api/v1/events/:eventId/epochs/:epoch/trades',
    ['from', 'limit'],
    (ctx, q) => ({ type: 'epochTrades', eventId: eventParam(ctx.params['eventId']), epoch: epochParam(ctx), ...epochPageParams(q) }),
    (r) => ('trades' in r ? { trades: toJson(r.trades), ...(r.next === undefined ? {} : { next: r.next }) } : undefined),
  ),

  // market and money
  write('/api/v1/market/orders', ['submitSealedOrder']),
  write('/api/v1/market/cutoff', ['cutoff']),
  write('/api/v1/market/list', ['listForResale']),
  write('/api/v1/market/cancel-listing', ['cancelListing']),
  write('/api/v1/market/transfer', ['transfer']),
  write('/api/v1/market/buy', ['buyPrimary', 'register']),
  write('/api/v1/accounts/deposit', ['deposit']),
  write('/api/v1/accounts/withdraw', ['withdraw']),
  read(
    '/api/v1/accounts/:account',
    [],
    (ctx) => {
      return { type: 'account', account: keyParam(ctx.params['account'], 'account') };
    },
    (r) => ('account' in r ? toJson(r.account) : undefined),
  ),

  // identity committee, venue description, operations
  {
    method: 'POST',
    pattern: '/api/v1/identity',
    organizer: false,
    ops: [],
    async handle(ctx) {
      readQuery(ctx.url, []);
      requireContentType(ctx.req, 'application/octet-stream');
      const body = await readBody(ctx.req, ctx.maxBodyBytes);
      return { status: 200, bytes: await ctx.backend.identity(body), contentType: 'application/octet-stream' };
    },
  },
  simpleGet('/api/v1/venue', async (ctx) => ({ status: 200, json: { ok: true, data: ctx.backend.venue() } })),
  simpleGet('/health', async (ctx) => {
    const report = ctx.backend.health();
    return { status: report.status === 'ok' ? 200 : 503, json: { ok: true, data: report } };
  }),
  simpleGet('/metrics', async (ctx) => {
    const { contentType, text } = await ctx.backend.metrics();
    return { status: 200, bytes: utf8ToBytes(text), contentType };
  }),
  simpleGet('/ws', async () => {
    throw new HttpRefusal(426, 'upgrade_required', 'GET /ws is a WebSocket: send an Upgrade request.', { headers: { upgrade: 'websocket', connection: 'Upgrade' } });
  }),
];

function simpleGet(pattern: string, handle: (ctx: RouteContext) => Promise<RouteResult>): Route {
  return {
    method: 'GET',
    pattern,
    organizer: false,
    ops: [],
    handle: (ctx) => {
      readQuery(ctx.url, []);
      return handle(ctx);
    },
  };
}

/**
 * Checks the organizer bearer token: `Authorization: Bearer <token>` whose
 * SHA-256 is one of `hashes` (401 `unauthenticated` otherwise).
 */
export function checkOrganizer(req: IncomingMessage, hashes: readonly Uint8Array[]): void {
  const header = req.headers.authorization;
  const match = header === undefined ? null : /^Bearer ([\x21-\x7e]{1,512})$/.exec(header);
  const refuse = (why: string) => new HttpRefusal(401, 'unauthenticated', why, { headers: { 'www-authenticate': 'Bearer realm="admitone-organizer"' } });
  if (match === null) throw refuse('Organizer endpoints need Authorization: Bearer <organizer token>.');
  const digest = hash(utf8ToBytes(match[1] as string));
  // compare against every hash without an early exit
  let found = 0;
  for (const h of hashes) {
    let diff = h.length ^ digest.length;
    for (let i = 0; i < digest.length; i++) diff |= (h[i] ?? 0) ^ (digest[i] as number);
    found |= diff === 0 ? 1 : 0;
  }
  if (found === 0) throw refuse('The organizer token is not accepted.');
}

/** The signed-write pipeline. */
async function relayWrite(ctx: RouteContext, ops: readonly ContractOpType[], routeEvent: string | undefined): Promise<RouteResult> {
  readQuery(ctx.url, []);
  requireContentType(ctx.req, 'application/json');
  const body = parseJsonObject(await readBody(ctx.req, ctx.maxBodyBytes), ['request'], ['request']);
  const text = body['request'];
  if (typeof text !== 'string') throw new HttpRefusal(400, 'invalid_field', 'Field request must be a base64url string.', { field: 'request' });
  let request: SignedRequest;
  try {
    request = decodeRequest(base64urlToBytes(text));
  } catch {
    throw new HttpRefusal(401, 'invalid_request', 'Field request is not a signed request (base64url of an encoded SignedRequest).', { field: 'request' });
  }
  if (request.readOnly === true) throw new HttpRefusal(400, 'read_only_request', 'A read-only request cannot be relayed as a write.', { field: 'request' });
  let op: ContractOp;
  try {
    op = decodeContractOp(request.op);
  } catch {
    throw new HttpRefusal(400, 'malformed', 'The request does not carry a valid contract operation.', { field: 'request' });
  }
  if (!ops.includes(op.type)) {
    throw new HttpRefusal(400, 'wrong_operation', `This route takes ${ops.join(' or ')}, not ${op.type}.`, { field: 'request' });
  }
  if (routeEvent !== undefined && (!('eventId' in op) || op.eventId !== routeEvent)) {
    throw new HttpRefusal(400, 'event_mismatch', "The operation's event is not the event of the route.", { field: 'request' });
  }
  if (!(await ctx.backend.verify(request))) throw new HttpRefusal(401, 'invalid_signature', 'The request signature does not verify.', { field: 'request' });
  let bytes: Uint8Array;
  try {
    bytes = await ctx.backend.relay(request);
  } catch (err) {
    throw consensusRefusal(err);
  }
  const result = decodeContractResult(bytes);
  if (result.status === 'ok') return { status: 200, json: { ok: true, data: toJson(result) } };
  throw new HttpRefusal(statusOfRejection(result.reason), result.reason, `The contract rejected ${op.type}: ${result.reason}.`);
}

/** A consensus failure as a refusal: 504 when it did not commit in time, 401 for a forged request, 503 when closed. */
function consensusRefusal(err: unknown): unknown {
  if (err instanceof HttpRefusal) return err;
  if (err instanceof ConsensusError) {
    switch (err.code) {
      case 'REQUEST_TIMEOUT':
        return new HttpRefusal(504, 'consensus_timeout', 'The request did not commit in time; retrying it with the same request number is safe.');
      case 'REQUEST_REJECTED':
        return new HttpRefusal(401, 'invalid_signature', 'The replicas refused the request signature.');
      default:
        return new HttpRefusal(503, 'unavailable', 'The node cannot reach consensus right now.');
    }
  }
  return err;
}

/** A 32-byte public key given as 64 lowercase hex digits (400 `invalid_field` naming `field` otherwise). */
function keyParam(value: string | undefined, field: string): Uint8Array {
  const v = value ?? '';
  if (!/^[0-9a-f]{64}$/.test(v)) throw new HttpRefusal(400, 'invalid_field', `${field} must be 64 lowercase hex digits (an Ed25519 public key).`, { field });
  return hexToBytes(v);
}

/** The `:epoch` path parameter (400 `invalid_field` unless a decimal integer in [0, 2^31]). */
function epochParam(ctx: RouteContext): number {
  return readPositiveInt(ctx.params['epoch'] ?? '', 'epoch', 2 ** 31, 0);
}

/** The `from`/`limit` query parameters of an epoch's outcome or trade page (400 `invalid_field` naming the one out of range). */
function epochPageParams(q: Readonly<Record<string, string>>): { from?: number; limit?: number } {
  return {
    ...(q['from'] === undefined ? {} : { from: readPositiveInt(q['from'], 'from', Number.MAX_SAFE_INTEGER, 0) }),
    ...(q['limit'] === undefined ? {} : { limit: readPositiveInt(q['limit'], 'limit', MAX_EPOCH_PAGE) }),
  };
}

function eventParam(value: string | undefined): EventId {
  const v = value ?? '';
  if (!isValidId(v) || v.length > MAX_EVENT_ID_LENGTH) {
    throw new HttpRefusal(400, 'invalid_field', `eventId must be 1–${MAX_EVENT_ID_LENGTH} characters of [A-Za-z0-9._:-], starting with a letter or digit.`, { field: 'eventId' });
  }
  return eventId(v);
}
