/** Test harness: named actors with deterministic keys, signing and executing ticket ops. */
import { sha256 } from '@noble/hashes/sha2.js';
import { nobleCrypto } from '../../src/crypto/noble.js';
import { signRequest, type SignedRequest } from '../../src/app/request.js';
import { utf8ToBytes } from '../../src/bytes/index.js';
import { clientIdOf, type ClientId } from '../../src/codec/hash.js';
import {
  createTicketLedger,
  decodeTicketResult,
  encodeTicketOp,
  type TicketLedger,
  type TicketLedgerOptions,
  type TicketOp,
  type TicketResult,
} from '../../src/ticket/index.js';

export const crypto = nobleCrypto();

export interface Actor {
  readonly name: string;
  readonly secret: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly id: ClientId;
  nextSeq: number;
}

export async function actor(name: string): Promise<Actor> {
  const secret = sha256(utf8ToBytes(`admitone-test-actor:${name}`));
  const publicKey = await crypto.getPublicKey(secret);
  return { name, secret, publicKey, id: clientIdOf(publicKey), nextSeq: 1 };
}

export interface Harness {
  /** The ledger `run` executes on (replace it to continue on a restored replica). */
  ledger: TicketLedger;
  seq: number;
  time: number;
  /** Signs `op` as `who` (next request number) and executes it. */
  run(who: Actor, op: TicketOp): Promise<TicketResult>;
  /** Executes an already signed request. */
  runSigned(req: SignedRequest): Promise<TicketResult>;
  sign(who: Actor, op: TicketOp): Promise<SignedRequest>;
}

export function harness(options: Partial<TicketLedgerOptions> = {}): Harness {
  const ledger = createTicketLedger({ deployment: 'test', crypto, ...options });
  const h: Harness = {
    ledger,
    seq: 0,
    time: 1_700_000_000_000,
    async sign(who, op) {
      return signRequest(crypto, who.secret, { deployment: 'test', requestSeq: who.nextSeq++, op: encodeTicketOp(op) });
    },
    async runSigned(req) {
      const prepared = await h.ledger.prepare(req);
      h.seq++;
      return decodeTicketResult(h.ledger.execute(prepared, { seq: h.seq, timestamp: h.time }));
    },
    async run(who, op) {
      return h.runSigned(await h.sign(who, op));
    },
  };
  return h;
}

let nonceCounter = 0;
export function scan(gate = 'north', time = 1_700_000_000_000) {
  const nonce = new Uint8Array(16);
  new DataView(nonce.buffer).setUint32(0, ++nonceCounter);
  return { nonce, gate: gate as never, time };
}
