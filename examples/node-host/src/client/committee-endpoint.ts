/**
 * A `CommitteeEndpoint` over the venue nodes' HTTP API: each identity request
 * is POSTed to `<node>/api/v1/identity` as `application/octet-stream`, and
 * the node's committee member answers. Built on `fetch`, so it runs in
 * browsers and in Node alike (no Node APIs).
 * @module
 */
import { IdentityError, type CommitteeEndpoint } from '@admitone/identity';

/** The `fetch` the helpers need (the global one by default; inject another for tests or proxies). */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** Options of {@link httpCommitteeEndpoint}. */
export interface HttpCommitteeEndpointOptions {
  /** The `fetch` to use. Default: `globalThis.fetch`. */
  readonly fetch?: FetchLike;
  /** Abort a request to one member after this many ms. Default: no timeout. */
  readonly timeoutMs?: number;
}

/**
 * A committee endpoint that reaches member `id` at `urls[id]` (the node's
 * HTTP base url, e.g. `http://127.0.0.1:8080`). A member that answers with a
 * non-200 status, or cannot be reached, counts as a failed answer: the
 * identity client needs only t + 1 consistent ones.
 *
 * @example
 * ```ts
 * const endpoint = httpCommitteeEndpoint(Object.fromEntries(venue.replicas.map((r) => [r.id, r.httpUrl])));
 * const client = createIdentityClient({ committee, endpoint, crypto });
 * ```
 */
export function httpCommitteeEndpoint(urls: Readonly<Record<string, string>> | ReadonlyMap<string, string>, options: HttpCommitteeEndpointOptions = {}): CommitteeEndpoint {
  const table = new Map<string, string>(urls instanceof Map ? [...urls] : Object.entries(urls as Readonly<Record<string, string>>));
  for (const [id, url] of table) {
    if (typeof url !== 'string' || !/^https?:\/\//.test(url)) throw new TypeError(`urls[${JSON.stringify(id)}] must be an http(s) url`);
  }
  const doFetch: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  return {
    async request(member, bytes) {
      const base = table.get(member);
      if (base === undefined) throw new IdentityError('IDENTITY_UNAVAILABLE', `No url for committee member ${member}.`);
      let response: Response;
      try {
        response = await doFetch(`${base.replace(/\/+$/, '')}/api/v1/identity`, {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream' },
          body: bytes.slice(),
          ...(options.timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(options.timeoutMs) }),
        });
      } catch (cause) {
        throw new IdentityError('IDENTITY_UNAVAILABLE', `Committee member ${member} is unreachable.`, { cause });
      }
      if (response.status !== 200) {
        await response.body?.cancel().catch(() => {});
        throw new IdentityError('IDENTITY_UNAVAILABLE', `Committee member ${member} answered HTTP ${response.status}.`, { meta: { status: response.status } });
      }
      return new Uint8Array(await response.arrayBuffer());
    },
  };
}
