/**
 * The HTTP API's wire shapes, shared by the server and its clients: the JSON
 * envelope, JSON renderings of contract views, the public venue description
 * (`GET /api/v1/venue`), the health report and `/ws` stream updates. No Node
 * APIs (runs in browsers).
 * @module
 */

/** A JSON rendering of `T`: `bigint` → decimal string, `Uint8Array` → lowercase hex, recursively. */
export type Jsonified<T> = T extends bigint
  ? string
  : T extends Uint8Array
    ? string
    : T extends readonly (infer U)[]
      ? Jsonified<U>[]
      : T extends object
        ? { [K in keyof T]: Jsonified<T[K]> }
        : T;

/** The error half of the envelope. */
export interface ApiErrorBody {
  /** A coarse class of the failure, derived from the HTTP status (`bad_request`, `conflict`, …). */
  readonly code: string;
  /** The closed reason code: a contract rejection (`already_consumed`) or an API one (`unknown_field`). */
  readonly reason: string;
  /** One human sentence. Never contains secrets or request bodies. */
  readonly message: string;
  /** The offending field, for `unknown_field`, `missing_field` and `invalid_field`. */
  readonly field?: string;
}

/** A successful answer. */
export interface ApiSuccess<T> {
  /** Discriminator. */
  readonly ok: true;
  /** The answer. */
  readonly data: T;
}

/** A refused request. */
export interface ApiFailure {
  /** Discriminator. */
  readonly ok: false;
  /** Why. */
  readonly error: ApiErrorBody;
}

/** Every JSON response: `{ ok: true, data }` or `{ ok: false, error }`. */
export type ApiEnvelope<T> = ApiSuccess<T> | ApiFailure;

/** An envelope with the HTTP status it came with (what the client helpers return). */
export type ApiResponse<T> = ApiEnvelope<T> & {
  /** The HTTP status code. */
  readonly status: number;
};

/** One replica of the venue as clients see it. */
export interface VenueReplicaInfo {
  /** Replica (and committee member) id. */
  readonly id: string;
  /** Hex of its Ed25519 public key (PBFT messages and the ledger mesh handshake). */
  readonly publicKey: string;
  /** Where client devices dial it (`ws://host:port`). */
  readonly ledgerUrl: string;
  /** Its HTTP API (`http://127.0.0.1:port`). */
  readonly httpUrl: string;
  /** The id of its relay client on the ledger mesh (also its order-committee request key's owner). */
  readonly relayId: string;
}

/** The public description of a venue network (`GET /api/v1/venue`); keys are hex. */
export interface VenueInfo {
  /** The node that answered. */
  readonly node: string;
  /** The venue's deployment id: sign requests and holder codes for it (`signRequest`, `createRotatingCode`). */
  readonly deployment: string;
  /** Every replica, in membership order (the primary of view v is `replicas[v mod n]`). */
  readonly replicas: readonly VenueReplicaInfo[];
  /** The relay clients on the ledger mesh. */
  readonly relays: readonly {
    /** Relay id. */
    readonly id: string;
    /** Hex of its public key. */
    readonly publicKey: string;
  }[];
  /** The identity committee (a `CommitteeDescriptor` with hex keys). */
  readonly identityCommittee: {
    /** The committee's name. */
    readonly committeeId: string;
    /** t. */
    readonly degree: number;
    /** Hex of the FROST group key that signs credentials. */
    readonly groupPublicKey: string;
    /** The members: ids and hex x25519 keys (identity shares are sealed to them). */
    readonly members: readonly {
      /** Member id (= node id). */
      readonly id: string;
      /** Hex of its x25519 public key. */
      readonly encryptionKey: string;
    }[];
    /** Hex keys of gate devices allowed to derive tags in ID mode. */
    readonly authorizedGates: readonly string[];
  };
  /** The secret-management (order) committee. */
  readonly orderCommittee: {
    /** The committee's name. */
    readonly committeeId: string;
    /** t: t + 1 decryption shares open an order. */
    readonly degree: number;
    /** base64url of the canonical CBOR of its FROST public package (see `decodeOrderCommitteeKey`). */
    readonly publicKey: string;
    /** The members. */
    readonly members: readonly {
      /** TDH2 index (Shamir x), decimal. */
      readonly index: string;
      /** Hex of the key that signs its `postShares`. */
      readonly requestKey: string;
    }[];
  };
  /** Hex keys allowed to `deposit`. */
  readonly fundingKeys: readonly string[];
  /** The rotating-code step length the contract checks, in ms. */
  readonly codeStepMs: number;
}

/** `GET /health`: 200 with `status: 'ok'`, 503 with `status: 'degraded'`. */
export interface HealthReport {
  /** `ok` when the replica runs and is connected to at least 2f peers. */
  readonly status: 'ok' | 'degraded';
  /** This node. */
  readonly node: string;
  /** The replica's view. */
  readonly view: number;
  /** The primary of that view. */
  readonly primary: string;
  /** True during a view change. */
  readonly viewChanging: boolean;
  /** Last executed sequence number. */
  readonly lastExecuted: number;
  /** Last stable checkpoint. */
  readonly stableSeq: number;
  /** Connected replica peers on the ledger mesh. */
  readonly peers: readonly string[];
  /** How many peers `ok` needs: the rest of a quorum, `quorumSize(n) − 1` (2f when n = 3f+1). */
  readonly required: number;
  /** Why the node is degraded, when it is. */
  readonly problems: readonly string[];
}

/** A line of the `/ws` stream (one JSON object per WebSocket text message). */
export type StreamUpdate =
  | {
      /** First message on every connection: the subscription is live from here on. */
      readonly type: 'hello';
      /** The node streaming. */
      readonly node: string;
      /** Its last executed sequence number when the stream started. */
      readonly seq: number;
      /** The event filter, if any. */
      readonly eventId?: string;
    }
  | {
      /** A committed change of a ticket. */
      readonly type: 'ticket';
      /** The consensus slot that executed it. */
      readonly seq: number;
      /** The operation that changed it (`admit`, `buyPrimary`, `transfer`, …). */
      readonly op: string;
      /** The event. */
      readonly eventId: string;
      /** The ticket's serial. */
      readonly serial: number;
      /** `issued`, `validated`, `consumed` or `disputed` (absent on ledgers without admission). */
      readonly admission?: string;
      /** `active`, `refunded` or `revoked`. */
      readonly status: string;
      /** Hex of the holder key. */
      readonly holder: string;
      /** The ticket version. */
      readonly version: number;
    }
  | {
      /** A sealed-order epoch changed status (closed or settled). */
      readonly type: 'epoch';
      /** The consensus slot. */
      readonly seq: number;
      /** The event. */
      readonly eventId: string;
      /** The epoch number. */
      readonly epoch: number;
      /** `closed`, `settled` or `void`. */
      readonly status: string;
      /** Orders in the epoch. */
      readonly orders: number;
    };
