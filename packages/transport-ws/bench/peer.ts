/**
 * The sink/echo peer of the benchmark, run in a child process by `index.ts`.
 * It listens on 127.0.0.1:0, prints `READY <url>` and then:
 * - counts every message; a 1-byte message is a flush marker, answered with
 *   the count since the previous marker (8 bytes, big-endian);
 * - echoes every 3-byte message (the latency probe).
 * It exits when stdin closes.
 */
import { nobleCrypto } from '@admitone/core';
import { webSocketTransport } from '../src/index.js';
import { benchMembers, MAX_MESSAGE_BYTES } from './members.js';

const crypto = nobleCrypto();
const { members, keys } = await benchMembers(crypto, undefined);
const transport = await webSocketTransport({
  localId: 'sink',
  secretKey: keys.sink,
  members,
  crypto,
  listen: { host: '127.0.0.1', port: 0 },
  maxMessageBytes: MAX_MESSAGE_BYTES,
});
let count = 0;
transport.onMessage(({ from, bytes }) => {
  if (bytes.length === 1) {
    const reply = new Uint8Array(8);
    new DataView(reply.buffer).setBigUint64(0, BigInt(count));
    count = 0;
    void transport.send(from, reply);
  } else if (bytes.length === 3) {
    void transport.send(from, bytes);
  } else {
    count++;
  }
});
process.stdout.write(`READY ${transport.address ?? ''}\n`);
process.stdin.resume();
process.stdin.on('end', () => void transport.close().then(() => process.exit(0)));
