/**
 * `npm run bench -w @admitone/transport-ws`: raw transport throughput between
 * two processes on loopback. This process (`bench`) dials a child process
 * (`sink`, see `peer.ts`) and, per round, sends a burst of messages followed
 * by a flush marker; the round ends when the sink's count comes back, which
 * must equal the burst (nothing lost). Sends that meet a full queue (policy
 * `'reject'`) wait a macrotask and retry, as a backpressure-aware caller
 * would. Also measures the round-trip time of 3-byte echoes.
 *
 * Also: how long a fresh endpoint takes from `webSocketTransport()` to an
 * authenticated connection (TCP, WebSocket upgrade, the key exchange).
 *
 * Figures are medians over rounds; they include framing, sealing (the secure
 * channel: one ChaCha20-Poly1305 seal per send and one open per receive), one
 * copy per send, `ws` and the loopback TCP stack, not any consensus work.
 * Quick mode (`ADMITONE_BENCH_QUICK=1`): 3 rounds, 500 echoes, 50 connections.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isAdmitOneError, nobleCrypto, type InboundMessage } from '@admitone/core';
import { webSocketTransport, type WebSocketTransport } from '../src/index.js';
import { benchMembers, MAX_MESSAGE_BYTES } from './members.js';
import { byMode, reportFigures } from '../../../bench/figures.js';

const ROUNDS = byMode(7, 3);

const child = startSink();
try {
  const url = await child.url;
  const crypto = nobleCrypto();
  const { members, keys } = await benchMembers(crypto, url);
  const transport = await webSocketTransport({
    localId: 'bench',
    secretKey: keys.bench,
    members,
    crypto,
    maxMessageBytes: MAX_MESSAGE_BYTES,
    sendQueue: { policy: 'reject', maxMessages: 4_096, maxBytes: 64 * 1024 * 1024 },
  });
  const inbox = createInbox(transport);
  await until(() => transport.connectedPeers().includes('sink'), 10_000);

  console.log(`@admitone/transport-ws benchmarks — Node ${process.version}, ${new Date().toISOString()}`);
  console.log(`loopback, two processes, ws (no compression), medians over ${ROUNDS} rounds\n`);
  console.log(`${'message'.padEnd(10)}  ${'burst'.padStart(7)}  ${'msgs/s'.padStart(10)}  ${'MB/s'.padStart(8)}  ${'min–max msgs/s'.padStart(20)}`);
  for (const [size, burst] of [
    [100, 20_000],
    [64 * 1024, 2_000],
  ] as const) {
    await throughput(transport, inbox, size, Math.ceil(burst / 10)); // warm-up
    const rates: number[] = [];
    for (let r = 0; r < ROUNDS; r++) rates.push(await throughput(transport, inbox, size, burst));
    rates.sort((a, b) => a - b);
    const median = rates[Math.floor(rates.length / 2)] as number;
    const range = `${fmt(rates[0] as number)}–${fmt(rates[rates.length - 1] as number)}`;
    console.log(
      `${label(size).padEnd(10)}  ${String(burst).padStart(7)}  ${fmt(median).padStart(10)}  ${((median * size) / 1e6).toFixed(1).padStart(8)}  ${range.padStart(20)}`,
    );
    const key = size >= 1024 ? `ws_${size / 1024}k` : `ws_${size}b`;
    reportFigures({ [`${key}_msgs_per_s`]: median, [`${key}_mb_per_s`]: (median * size) / 1e6 });
  }

  const rtts = await echo(transport, inbox, byMode(2_000, 500));
  console.log(`\necho round trip (3 B, sequential, ${rtts.length} samples): p50 ${pct(rtts, 50).toFixed(1)} µs, p99 ${pct(rtts, 99).toFixed(1)} µs`);
  reportFigures({ ws_echo_p50_ms: pct(rtts, 50) / 1000, ws_echo_p99_ms: pct(rtts, 99) / 1000 });
  await transport.close();

  // fresh endpoints, one at a time: the cost of a (re)connection, handshake and key exchange included
  const handshakes: number[] = [];
  for (let i = 0; i < byMode(200, 50); i++) {
    const started = performance.now();
    const fresh = await webSocketTransport({ localId: 'bench', secretKey: keys.bench, members, crypto, maxMessageBytes: MAX_MESSAGE_BYTES });
    await until(() => fresh.connectedPeers().includes('sink'), 10_000);
    handshakes.push(performance.now() - started);
    await fresh.close();
  }
  handshakes.sort((a, b) => a - b);
  console.log(
    `connect + authenticate a fresh endpoint (sequential, ${handshakes.length} samples, Ed25519 through noble): p50 ${pct(handshakes, 50).toFixed(2)} ms, p99 ${pct(handshakes, 99).toFixed(2)} ms`,
  );
  reportFigures({ ws_handshake_p50_ms: pct(handshakes, 50), ws_handshake_p99_ms: pct(handshakes, 99) });
} finally {
  await child.stop();
}

/** One round: `count` messages of `size` bytes, then the marker; returns messages/s. */
async function throughput(transport: WebSocketTransport, inbox: Inbox, size: number, count: number): Promise<number> {
  const payload = new Uint8Array(size).fill(0xab);
  const start = performance.now();
  for (let i = 0; i < count; i++) await sendWithBackpressure(transport, payload);
  await sendWithBackpressure(transport, Uint8Array.of(0));
  const reply = await inbox.next((m) => m.bytes.length === 8);
  const elapsed = (performance.now() - start) / 1000;
  const received = Number(new DataView(reply.bytes.buffer, reply.bytes.byteOffset, 8).getBigUint64(0));
  if (received !== count) throw new Error(`the sink counted ${received} of ${count} messages`);
  return count / elapsed;
}

async function echo(transport: WebSocketTransport, inbox: Inbox, samples: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await transport.send('sink', Uint8Array.of(1, 2, 3));
    await inbox.next((m) => m.bytes.length === 3);
    out.push((performance.now() - t0) * 1000);
  }
  return out.sort((a, b) => a - b);
}

async function sendWithBackpressure(transport: WebSocketTransport, bytes: Uint8Array): Promise<void> {
  for (;;) {
    try {
      return await transport.send('sink', bytes);
    } catch (error) {
      if (!isAdmitOneError(error, 'TRANSPORT_QUEUE_FULL')) throw error;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

interface Inbox {
  next(match: (m: InboundMessage) => boolean): Promise<InboundMessage>;
}

function createInbox(transport: WebSocketTransport): Inbox {
  let waiter: { match: (m: InboundMessage) => boolean; resolve: (m: InboundMessage) => void } | undefined;
  transport.onMessage((m) => {
    if (waiter?.match(m)) {
      const w = waiter;
      waiter = undefined;
      w.resolve(m);
    }
  });
  return {
    next: (match) => new Promise((resolve) => (waiter = { match, resolve })),
  };
}

function startSink(): { url: Promise<string>; stop(): Promise<void> } {
  const require = createRequire(import.meta.url);
  const tsx = pathToFileURL(require.resolve('tsx')).href;
  const peer = fileURLToPath(new URL('./peer.ts', import.meta.url));
  const proc = spawn(process.execPath, ['--conditions=admitone-source', '--import', tsx, peer], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const url = new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (chunk: string) => {
      out += chunk;
      const match = /READY (\S+)/.exec(out);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    proc.once('exit', (code) => reject(new Error(`the sink exited with code ${String(code)}`)));
  });
  return {
    url,
    async stop() {
      proc.stdin.end();
      const killer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function label(size: number): string {
  return size >= 1024 ? `${size / 1024} KiB` : `${size} B`;
}

function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}
