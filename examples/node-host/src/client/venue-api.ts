/**
 * `venueApi(baseUrl)`: typed `fetch` wrappers for a venue node's HTTP API,
 * returning the JSON envelope with its HTTP status. Write calls take a
 * request signed by its actor (`signRequest` + `encodeContractOp`); the node
 * relays it through PBFT and never sees the signer's key. No Node APIs (runs
 * in browsers).
 * @module
 */
import { bytesToHex, encodeRequest, type SignedRequest } from '@admitone/core';
import type { AccountView, ContractApplied, EpochView, EventView, OrderOutcome, TicketView, TradeView } from '@admitone/market';
import { bytesToBase64url } from './base64url.js';
import type { FetchLike } from './committee-endpoint.js';
import type { ApiResponse, HealthReport, Jsonified, VenueInfo } from './types.js';

/** A signed request, or its base64url encoding (`bytesToBase64url(encodeRequest(request))`). */
export type RequestInput = SignedRequest | string;

/** Options of a write call. */
export interface WriteOptions {
  /** The organizer API token (`Authorization: Bearer …`), for organizer endpoints. */
  readonly token?: string;
}

/** Options of a read call. */
export interface ReadOptions {
  /** Answer through the PBFT read path (linearizable) instead of the node's local replica. */
  readonly consistent?: boolean;
}

/** What a successful write returns: the contract's applied result as JSON. */
export type WriteData = Jsonified<ContractApplied>;

/** The ledger-wide counters of `GET /api/v1/stats`. */
export interface VenueStats {
  /** Events created. */
  readonly events: number;
  /** Tickets issued. */
  readonly tickets: number;
  /** Tickets admitted (consumed). */
  readonly admitted: number;
  /** Tickets refunded. */
  readonly refunded: number;
  /** Tickets currently listed. */
  readonly listed: number;
  /** Sealed-order epochs settled. */
  readonly settledEpochs: number;
}

/** A page of `GET /api/v1/tickets`. */
export interface TicketPage {
  /** Tickets with serials after the cursor, in serial order (only the holder's, with `holder`). */
  readonly tickets: readonly Jsonified<TicketView>[];
  /** The cursor of the next page (the last serial of this one: pass it as `after`), absent on the last page. */
  readonly next?: number;
}

/** The query of {@link VenueApi.tickets}. */
export interface TicketsQuery extends ReadOptions {
  /** The event. */
  readonly eventId: string;
  /**
   * Only the tickets this key holds (32 bytes, or 64 lowercase hex digits):
   * every ticket whose current holder it is, whatever its status (active,
   * listed, scanned, disputed, refunded, revoked — each view says which).
   */
  readonly holder?: string | Uint8Array;
  /** Start after this serial (the previous page's `next`). */
  readonly after?: number;
  /** Page size, 1 … 500 (default 100). */
  readonly limit?: number;
}

/** A page of `GET /api/v1/events/:id/epochs/:n/outcomes`. */
export interface EpochOutcomePage {
  /** Outcomes from position `from` on, in position order (empty while the epoch is not settled). */
  readonly outcomes: readonly Jsonified<OrderOutcome>[];
  /** The `from` of the next page, absent on the last page. */
  readonly next?: number;
}

/** A page of `GET /api/v1/events/:id/epochs/:n/trades`. */
export interface EpochTradePage {
  /** Trades from index `from` on, in execution order (empty while the epoch is not settled). */
  readonly trades: readonly Jsonified<TradeView>[];
  /** The `from` of the next page, absent on the last page. */
  readonly next?: number;
}

/** The page of {@link VenueApi.epochOutcomes} and {@link VenueApi.epochTrades}. */
export interface EpochPageQuery extends ReadOptions {
  /** Index of the page's first item (the previous page's `next`); default 0. */
  readonly from?: number;
  /** Page size, 1 … 512 (`MAX_EPOCH_PAGE`; default 100). */
  readonly limit?: number;
}

/** The typed API client returned by {@link venueApi}. */
export interface VenueApi {
  /** The node's base url. */
  readonly baseUrl: string;
  /** `POST /api/v1/tickets/admit` (a gate device's `admit`). */
  admit(request: RequestInput): Promise<ApiResponse<WriteData>>;
  /** `POST /api/v1/tickets/validate`. */
  validate(request: RequestInput): Promise<ApiResponse<WriteData>>;
  /** `POST /api/v1/tickets/consume`. */
  consume(request: RequestInput): Promise<ApiResponse<WriteData>>;
  /** `POST /api/v1/tickets/dispute`. */
  dispute(request: RequestInput): Promise<ApiResponse<WriteData>>;
  /** `POST /api/v1/tickets/resolve` (organizer). */
  resolve(request: RequestInput, options?: WriteOptions): Promise<ApiResponse<WriteData>>;
  /** `GET /api/v1/tickets/:eventId/:serial`. */
  ticket(eventId: string, serial: number, options?: ReadOptions): Promise<ApiResponse<Jsonified<TicketView>>>;
  /** `GET /api/v1/tickets/:ticketId` with `ticketId = eventId:serial`. */
  ticketById(ticketId: string, options?: ReadOptions): Promise<ApiResponse<Jsonified<TicketView>>>;
  /**
   * `GET /api/v1/tickets?eventId=…&holder=…&after=…&limit=…`: a page of an
   * event's tickets, or of the tickets one key holds.
   *
   * @example
   * ```ts
   * // every ticket my wallet key holds for the event
   * const mine = [];
   * for (let after: number | undefined; ; ) {
   *   const r = await api.tickets({ eventId: 'summer-gig', holder: walletPublicKey, after, limit: 100 });
   *   if (!r.ok) throw new Error(r.error.reason);
   *   mine.push(...r.data.tickets);
   *   if (r.data.next === undefined) break;
   *   after = r.data.next;
   * }
   * ```
   */
  tickets(query: TicketsQuery): Promise<ApiResponse<TicketPage>>;
  /** `GET /api/v1/stats`. */
  stats(options?: ReadOptions): Promise<ApiResponse<VenueStats>>;
  /** `POST /api/v1/events` (organizer: `createEvent`). */
  createEvent(request: RequestInput, options?: WriteOptions): Promise<ApiResponse<WriteData>>;
  /** `POST /api/v1/events/:id/gates` (organizer: `authorizeGate` or `revokeGate`). */
  gates(eventId: string, request: RequestInput, options?: WriteOptions): Promise<ApiResponse<WriteData>>;
  /** `POST /api/v1/events/:id/cancel` (organizer: `cancelEvent`). */
  cancelEvent(eventId: string, request: RequestInput, options?: WriteOptions): Promise<ApiResponse<WriteData>>;
  /** `POST /api/v1/events/:id/complete` (organizer: `completeEvent`). */
  completeEvent(eventId: string, request: RequestInput, options?: WriteOptions): Promise<ApiResponse<WriteData>>;
  /** `POST /api/v1/events/:id/refund` (organizer: `refund` of one ticket). */
  refund(eventId: string, request: RequestInput, options?: WriteOptions): Promise<ApiResponse<WriteData>>;
  /** `GET /api/v1/events/:id`. */
  event(eventId: string, options?: ReadOptions): Promise<ApiResponse<Jsonified<EventView>>>;
  /**
   * `GET /api/v1/events/:id/epochs/:n`: the epoch's summary (status, counts,
   * slots, seed; once settled, how many `outcomes` and `trades` it has).
   */
  epoch(eventId: string, epoch: number, options?: ReadOptions): Promise<ApiResponse<Jsonified<EpochView>>>;
  /**
   * `GET /api/v1/events/:id/epochs/:n/outcomes?from=…&limit=…`: a page of a
   * settled epoch's per-order outcomes, in position order. Empty while the
   * epoch is open or closed (and for a void one): check the summary's
   * `status` first. 404 for an unknown event.
   *
   * @example
   * ```ts
   * const outcomes = [];
   * for (let from: number | undefined = 0; from !== undefined; ) {
   *   const r = await api.epochOutcomes('summer-gig', 3, { from, limit: 256 });
   *   if (!r.ok) throw new Error(r.error.reason);
   *   outcomes.push(...r.data.outcomes);
   *   from = r.data.next;
   * }
   * ```
   */
  epochOutcomes(eventId: string, epoch: number, page?: EpochPageQuery): Promise<ApiResponse<EpochOutcomePage>>;
  /**
   * `GET /api/v1/events/:id/epochs/:n/trades?from=…&limit=…`: a page of a
   * settled epoch's trades, in execution order; paged like
   * {@link VenueApi.epochOutcomes}.
   */
  epochTrades(eventId: string, epoch: number, page?: EpochPageQuery): Promise<ApiResponse<EpochTradePage>>;
  /** `POST /api/v1/market/orders` (`submitSealedOrder`). */
  submitOrder(request: RequestInput): Promise<ApiResponse<WriteData>>;
  /** `POST /api/v1/market/cutoff` (`cutoff`). */
  cutoff(request: RequestInput): Promise<ApiResponse<WriteData>>;
  /** `POST /api/v1/market/list` (`listForResale`). */
  list(request: RequestInput): Promise<ApiResponse<WriteData>>;
  /** `POST /api/v1/market/cancel-listing` (`cancelListing`). */
  cancelListing(request: RequestInput): Promise<ApiResponse<WriteData>>;
  /** `POST /api/v1/market/transfer` (`transfer`). */
  transfer(request: RequestInput): Promise<ApiResponse<WriteData>>;
  /** `POST /api/v1/market/buy` (`buyPrimary` or `register`). */
  buy(request: RequestInput): Promise<ApiResponse<WriteData>>;
  /** `POST /api/v1/accounts/deposit` (a funding key's `deposit`). */
  deposit(request: RequestInput): Promise<ApiResponse<WriteData>>;
  /** `POST /api/v1/accounts/withdraw` (`withdraw`). */
  withdraw(request: RequestInput): Promise<ApiResponse<WriteData>>;
  /** `GET /api/v1/accounts/:key` (hex or bytes). */
  account(key: string | Uint8Array, options?: ReadOptions): Promise<ApiResponse<Jsonified<AccountView>>>;
  /** `GET /api/v1/venue`. */
  venue(): Promise<ApiResponse<VenueInfo>>;
  /** `GET /health` (200 or 503, both with the report). */
  health(): Promise<ApiResponse<HealthReport>>;
  /** `GET /metrics`: the Prometheus text. */
  metrics(): Promise<RawResponse<string>>;
  /** `POST /api/v1/identity`: an encoded identity request; resolves with the member's encoded answer. */
  identity(request: Uint8Array): Promise<RawResponse<Uint8Array>>;
  /** Any signed write: POSTs `{ request }` to `path`. */
  post<T = WriteData>(path: string, request: RequestInput, options?: WriteOptions): Promise<ApiResponse<T>>;
  /** Any read: GETs `path` with `query`. */
  get<T>(path: string, query?: Readonly<Record<string, string | number | boolean | undefined>>): Promise<ApiResponse<T>>;
}

/** Options of {@link venueApi}. */
export interface VenueApiOptions {
  /** The `fetch` to use. Default: `globalThis.fetch`. */
  readonly fetch?: FetchLike;
}

/** The JSON body of a signed write. */
export interface RequestBody {
  /** base64url of the encoded `SignedRequest`. */
  readonly request: string;
}

/** A non-JSON answer. */
export interface RawResponse<T> {
  /** HTTP status. */
  readonly status: number;
  /** The body. */
  readonly body: T;
}

/** The body of a signed write: `{ request: <base64url of the encoded SignedRequest> }`. */
export function requestBody(request: RequestInput): RequestBody {
  return { request: typeof request === 'string' ? request : bytesToBase64url(encodeRequest(request)) };
}

/**
 * Typed wrappers for a node's HTTP API at `baseUrl` (`http://127.0.0.1:port`).
 * Every call resolves with the envelope and the status; only a network
 * failure rejects.
 *
 * @example
 * ```ts
 * const api = venueApi('http://127.0.0.1:8080');
 * const op = encodeContractOp({ type: 'admit', eventId, serial: 1, scan, code });
 * const r = await api.admit(await signRequest(crypto, gateDeviceKey, { requestSeq: 7, op }));
 * if (!r.ok && r.error.reason === 'already_consumed') showRefused();
 * ```
 */
export function venueApi(baseUrl: string, options: VenueApiOptions = {}): VenueApi {
  if (typeof baseUrl !== 'string' || !/^https?:\/\//.test(baseUrl)) throw new TypeError('baseUrl must be an http(s) url');
  const base = baseUrl.replace(/\/+$/, '');
  const doFetch: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const enc = encodeURIComponent;

  const envelope = async <T>(response: Response): Promise<ApiResponse<T>> => {
    const text = await response.text();
    try {
      const body = JSON.parse(text) as { ok?: unknown };
      if (typeof body === 'object' && body !== null && typeof body.ok === 'boolean') return { ...(body as ApiResponse<T>), status: response.status };
    } catch {
      // fall through
    }
    return { ok: false, status: response.status, error: { code: 'bad_response', reason: 'bad_response', message: `The node answered HTTP ${response.status} without a JSON envelope.` } };
  };
  const post = async <T = WriteData>(path: string, request: RequestInput, o: WriteOptions = {}): Promise<ApiResponse<T>> =>
    envelope<T>(
      await doFetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(o.token === undefined ? {} : { authorization: `Bearer ${o.token}` }) },
        body: JSON.stringify(requestBody(request)),
      }),
    );
  const get = async <T>(path: string, query: Readonly<Record<string, string | number | boolean | undefined>> = {}): Promise<ApiResponse<T>> => {
    const params = Object.entries(query)
      .filter((e): e is [string, string | number | boolean] => e[1] !== undefined && e[1] !== false)
      .map(([k, v]) => `${enc(k)}=${enc(v === true ? '1' : String(v))}`);
    return envelope<T>(await doFetch(`${base}${path}${params.length === 0 ? '' : `?${params.join('&')}`}`, { method: 'GET' }));
  };
  const read = (o: ReadOptions = {}) => ({ consistent: o.consistent === true });
  const hex = (k: string | Uint8Array) => (typeof k === 'string' ? k : bytesToHex(k));

  return {
    baseUrl: base,
    admit: (r) => post('/api/v1/tickets/admit', r),
    validate: (r) => post('/api/v1/tickets/validate', r),
    consume: (r) => post('/api/v1/tickets/consume', r),
    dispute: (r) => post('/api/v1/tickets/dispute', r),
    resolve: (r, o) => post('/api/v1/tickets/resolve', r, o),
    ticket: (eventId, serial, o) => get(`/api/v1/tickets/${enc(eventId)}/${serial}`, read(o)),
    ticketById: (id, o) => get(`/api/v1/tickets/${enc(id)}`, read(o)),
    tickets: (q) => get('/api/v1/tickets', { eventId: q.eventId, holder: q.holder === undefined ? undefined : hex(q.holder), after: q.after, limit: q.limit, consistent: q.consistent === true }),
    stats: (o) => get('/api/v1/stats', read(o)),
    createEvent: (r, o) => post('/api/v1/events', r, o),
    gates: (id, r, o) => post(`/api/v1/events/${enc(id)}/gates`, r, o),
    cancelEvent: (id, r, o) => post(`/api/v1/events/${enc(id)}/cancel`, r, o),
    completeEvent: (id, r, o) => post(`/api/v1/events/${enc(id)}/complete`, r, o),
    refund: (id, r, o) => post(`/api/v1/events/${enc(id)}/refund`, r, o),
    event: (id, o) => get(`/api/v1/events/${enc(id)}`, read(o)),
    epoch: (id, n, o) => get(`/api/v1/events/${enc(id)}/epochs/${n}`, read(o)),
    epochOutcomes: (id, n, p = {}) => get(`/api/v1/events/${enc(id)}/epochs/${n}/outcomes`, { from: p.from, limit: p.limit, consistent: p.consistent === true }),
    epochTrades: (id, n, p = {}) => get(`/api/v1/events/${enc(id)}/epochs/${n}/trades`, { from: p.from, limit: p.limit, consistent: p.consistent === true }),
    submitOrder: (r) => post('/api/v1/market/orders', r),
    cutoff: (r) => post('/api/v1/market/cutoff', r),
    list: (r) => post('/api/v1/market/list', r),
    cancelListing: (r) => post('/api/v1/market/cancel-listing', r),
    transfer: (r) => post('/api/v1/market/transfer', r),
    buy: (r) => post('/api/v1/market/buy', r),
    deposit: (r) => post('/api/v1/accounts/deposit', r),
    withdraw: (r) => post('/api/v1/accounts/withdraw', r),
    account: (k, o) => get(`/api/v1/accounts/${hex(k)}`, read(o)),
    venue: () => get('/api/v1/venue'),
    health: () => get('/health'),
    async metrics() {
      const response = await doFetch(`${base}/metrics`, { method: 'GET' });
      return { status: response.status, body: await response.text() };
    },
    async identity(request) {
      const response = await doFetch(`${base}/api/v1/identity`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: request.slice() });
      return { status: response.status, body: new Uint8Array(await response.arrayBuffer()) };
    },
    post,
    get,
  };
}
