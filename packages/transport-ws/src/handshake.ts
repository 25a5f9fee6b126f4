/**
 * The authenticated key exchange that opens every connection.
 *
 * Both sides send HELLO `[PROTOCOL, id, nonce, ephemeral]` as soon as the
 * socket opens: a fresh 32-byte nonce and a fresh x25519 public key. Once a
 * side has the other's HELLO, it signs
 *
 * ```
 * encode(['admitone/ws-handshake/v2', dialerId, listenerId, dialerNonce, listenerNonce,
 *         dialerEphemeral, listenerEphemeral, role])
 * ```
 *
 * with its own Ed25519 key (`role` is the signer's: `'dialer'` or
 * `'listener'`) and sends it as AUTH. Each side verifies the other's AUTH
 * against the public key listed for the claimed id, derives the connection's
 * two keys from the ephemeral exchange (`channel.ts`), and sends READY as its
 * first sealed frame; a side sends application data only after it has
 * verified the peer's AUTH *and* opened the peer's sealed READY. So nothing
 * but HELLO, AUTH and the sealed READY can legitimately arrive before a
 * connection is open, and everything after it is sealed.
 *
 * Why this shape (signed ephemeral Diffie-Hellman with both identities in the
 * signature, the ISO 9798-3 / SIGMA family):
 * - both nonces and both ephemeral keys are in every signature, so a recorded
 *   AUTH never verifies in a later session — no replay — and an on-path
 *   attacker cannot substitute its own ephemeral key without breaking a
 *   signature, so it never learns the channel keys;
 * - both ids and the signer's role are in every signature, so a signature
 *   cannot be reflected back to its signer or presented to a third member;
 * - the sealed READY confirms that both sides derived the same keys;
 * - a dialer checks that the listener's id is the one it meant to dial, and
 *   nobody accepts its own id or a non-member, so a peer never counts as
 *   another id;
 * - every later frame is sealed under a per-direction key with a counter
 *   nonce, so an attacker who can inject into, drop from or replay within the
 *   TCP stream gets the connection closed, never a forged or altered message
 *   delivered; and recorded traffic stays sealed even if an Ed25519 key leaks
 *   later (the ephemeral secrets are wiped).
 * @module
 */
import { encode } from '@admitone/core';
import type { ChannelTranscript } from './channel.js';

/** Domain separator of the signed transcript. */
export const HANDSHAKE_DOMAIN = 'admitone/ws-handshake/v2';

/** Which end of a connection a side is. */
export type Role = 'dialer' | 'listener';

/** What both sides know once HELLOs have crossed (the same fields the channel keys are bound to). */
export type HandshakeTranscript = ChannelTranscript;

/** The bytes a side in `role` signs (and the other side verifies). */
export function transcriptBytes(t: HandshakeTranscript, role: Role): Uint8Array {
  return encode([HANDSHAKE_DOMAIN, t.dialerId, t.listenerId, t.dialerNonce, t.listenerNonce, t.dialerEphemeral, t.listenerEphemeral, role]);
}

/** The other role. */
export function otherRole(role: Role): Role {
  return role === 'dialer' ? 'listener' : 'dialer';
}
