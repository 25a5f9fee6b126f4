/** The benchmark's two members, with keys derived from a fixed seed (shared by both processes). */
import { seededRandom, type CryptoProvider } from '@admitone/core';
import type { WebSocketMember } from '../src/index.js';

/** Largest benchmark message (64 KiB) plus headroom. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/** The members `bench` (dials) and `sink` (listens at `sinkUrl`, once known). */
export async function benchMembers(
  crypto: CryptoProvider,
  sinkUrl: string | undefined,
): Promise<{ members: WebSocketMember[]; keys: { bench: Uint8Array; sink: Uint8Array } }> {
  const rng = seededRandom('transport-ws-bench');
  const keys = { bench: rng.fork('bench').bytes(32), sink: rng.fork('sink').bytes(32) };
  const sink = { id: 'sink', publicKey: await crypto.getPublicKey(keys.sink) };
  return {
    keys,
    members: [{ id: 'bench', publicKey: await crypto.getPublicKey(keys.bench) }, sinkUrl === undefined ? sink : { ...sink, url: sinkUrl }],
  };
}
