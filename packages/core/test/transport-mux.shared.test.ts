import { describe, expect, it } from 'vitest';
import { transportCompliance } from '../src/compliance/transport.js';
import { memoryNetwork, multiplexTransport, type MemoryNetwork, type Transport, type TransportMultiplexer } from '../src/transport/index.js';

// Each channel of a multiplexer must itself be a compliant Transport, while a sibling
// channel on the same inner transport carries unrelated traffic.
const harness = () => {
  const state = new Map<readonly Transport[], { net: MemoryNetwork; muxes: TransportMultiplexer[] }>();
  return {
    name: 'multiplexTransport channel over memoryNetwork',
    // Closing a channel detaches it locally; the peer stays connected on the inner
    // transport, so channel close is not a peer disconnect (peer status is the inner's).
    peerStatus: false as const,
    async setup(members: readonly string[]) {
      const net = memoryNetwork({ members });
      const muxes = members.map((id) => multiplexTransport(net.transport(id)));
      // a busy sibling channel on every endpoint
      const siblings = muxes.map((mux) => mux.channel('sibling'));
      for (const s of siblings) await s.broadcast(Uint8Array.of(0xee));
      const transports = muxes.map((mux) => mux.channel('under-test'));
      state.set(transports, { net, muxes });
      return transports;
    },
    async teardown(transports: readonly Transport[]) {
      const entry = state.get(transports);
      if (entry === undefined) return;
      for (const mux of entry.muxes) await mux.close();
      await entry.net.close();
      state.delete(transports);
    },
  };
};

transportCompliance({ describe, it }, harness());

describe('multiplexTransport', () => {
  it('routes by channel name, drops unknown channels, and keeps siblings open when one closes', async () => {
    const net = memoryNetwork({ members: ['a', 'b'] });
    const ta = net.transport('a');
    const ma = multiplexTransport(ta);
    const mb = multiplexTransport(net.transport('b'));
    const a1 = ma.channel('one');
    const a2 = ma.channel('two');
    const b1 = mb.channel('one');
    const b2 = mb.channel('two');
    const got1: number[] = [];
    const got2: number[] = [];
    b1.onMessage((m) => got1.push(...m.bytes));
    b2.onMessage((m) => got2.push(...m.bytes));
    await a1.send('b', Uint8Array.of(1));
    await a2.send('b', Uint8Array.of(2));
    await ma.channel('three').send('b', Uint8Array.of(3)); // b has no such channel
    await ta.send('b', new Uint8Array(0)); // too short to name a channel
    await ta.send('b', Uint8Array.of(9, 1)); // claims a 9-byte name but has 1 byte
    await new Promise((r) => setTimeout(r, 5));
    expect(got1).toEqual([1]);
    expect(got2).toEqual([2]);
    expect(mb.dropped).toBe(3);

    await b1.close();
    await expect(b1.send('a', Uint8Array.of(1))).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    await a2.send('b', Uint8Array.of(4));
    await new Promise((r) => setTimeout(r, 5));
    expect(got2).toEqual([2, 4]);
    expect(() => ma.channel('one')).toThrow(TypeError);
    expect(() => ma.channel('')).toThrow(RangeError);
    expect(a1.capabilities.maxMessageBytes).toBe(ta.capabilities.maxMessageBytes - 4);
    await expect(a1.send('b', new Uint8Array(a1.capabilities.maxMessageBytes + 1))).rejects.toMatchObject({ code: 'TRANSPORT_MESSAGE_TOO_LARGE' });
    await ma.close();
    await mb.close();
    await net.close();
  });
});
