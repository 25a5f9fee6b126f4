import { afterEach, describe, expect, it } from 'vitest';
import { decodeTicketResult, encodeTicketOp, eventId, signRequest, ticketId } from '@admitone/core';
import { ConsensusError } from '../src/index.js';
import { cluster, keyOf, type Cluster } from './helpers/cluster.js';

let c: Cluster | undefined;
afterEach(async () => {
  await c?.close();
  c = undefined;
});

const E = eventId('relay-gig');

describe('Client.relay: forwarding requests signed by others', () => {
  it('commits a user-signed request through a relay that never holds the key, as the user', async () => {
    c = await cluster(4);
    const relay = c.client('relay');
    const organizer = keyOf('organizer');
    const created = await signRequest(c.crypto, organizer, { deployment: 'test', requestSeq: 1, op: encodeTicketOp({ type: 'createEvent', eventId: E }) });
    const result = decodeTicketResult(await relay.relay(created));
    expect(result.status === 'ok' && 'event' in result && result.event.organizer).toBe(Buffer.from(await c.crypto.getPublicKey(organizer)).toString('hex'));
    // two users through one relay, concurrently
    const holder = await c.crypto.getPublicKey(keyOf('holder'));
    const issued = await Promise.all(
      [2, 3, 4].map(async (seq) =>
        decodeTicketResult(await relay.relay(await signRequest(c!.crypto, organizer, { deployment: 'test', requestSeq: seq, op: encodeTicketOp({ type: 'issue', eventId: E, ticketId: ticketId(`r${seq}`), holder }) }))),
      ),
    );
    expect(issued.map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
    expect(relay.pending()).toBe(0);
  });

  it('a retransmitted request gets the cached reply (exactly once), and duplicates in flight share one result', async () => {
    c = await cluster(4);
    const relay = c.client('relay');
    const organizer = keyOf('organizer');
    await relay.relay(await signRequest(c.crypto, organizer, { deployment: 'test', requestSeq: 1, op: encodeTicketOp({ type: 'createEvent', eventId: E }) }));
    const holder = await c.crypto.getPublicKey(keyOf('holder'));
    const req = await signRequest(c.crypto, organizer, { deployment: 'test', requestSeq: 2, op: encodeTicketOp({ type: 'issue', eventId: E, ticketId: ticketId('once'), holder }) });
    const [a, b] = await Promise.all([relay.relay(req), relay.relay(req)]);
    expect(a).toEqual(b);
    expect(decodeTicketResult(a).status).toBe('ok');
    // the same request again after it committed: the cached reply, not a second execution
    const again = await c.client('other-relay').relay(req);
    expect(again).toEqual(a);
  });

  it('a forged request is refused by the replicas and bad arguments are typed errors', async () => {
    c = await cluster(4);
    const relay = c.client('relay');
    const req = await signRequest(c.crypto, keyOf('organizer'), { deployment: 'test', requestSeq: 1, op: encodeTicketOp({ type: 'createEvent', eventId: E }) });
    const forged = { ...req, signature: req.signature.map((b, i) => (i === 0 ? b ^ 1 : b)) };
    const refused = await relay.relay(forged).then(
      () => undefined,
      (e: unknown) => e,
    );
    // the ledger reports a forged signature as a rejection result or the replicas refuse it outright
    if (refused === undefined) throw new Error('a forged request must not commit');
    expect(refused).toBeInstanceOf(ConsensusError);
    await expect(relay.relay({ ...req, requestSeq: 0 })).rejects.toThrow(RangeError);
    await expect(relay.relay({} as never)).rejects.toThrow(TypeError);
  });
});
