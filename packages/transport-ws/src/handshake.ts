/**
 * The authenticated handshake.
 *
 * Both sides send HELLO `[PROTOCOL, id, nonce]` with a fresh 32-byte nonce as
 * soon as the socket opens. Once a side has the other's HELLO, it signs
 *
 * ```
 * encode(['admitone/ws-handshake/v1', dialerId, listenerId, dialerNonce, listenerNonce, role])
 * ```
 *
 * with its own Ed25519 key (`role` is the signer's: `'dialer'` or
 * `'listener'`) and sends it as AUTH. Each side verifies the other's AUTH
 * against the public key listed for the claimed id, then sends READY; a side
 * sends application data only after it has verified the peer's AUTH *and*
 * received the peer's READY. So nothing but HELLO, AUTH and READY can
 * legitimately arrive before a connection is open.
 *
 * Why this shape:
 * - both nonces are in every signature, so a recorded AUTH never verifies in a
 *   later session (the other side's nonce is new) — no replay;
 * - both ids and the signer's role are in every signature, so a signature
 *   cannot be reflected back to its signer or presented to a third member;
 * - a dialer checks that the listener's id is the one it meant to dial, and
 *   nobody accepts its own id or a non-member, so a peer never counts as
 *   another id.
 *
 * The handshake authenticates the peer, not each later frame: use `wss://`
 * where an on-path attacker could inject into a TCP stream.
 * @module
 */
import { encode } from '@admitone/core';
import type { PeerId } from '@admitone/core';

/** Domain separator of the signed transcript. */
export const HANDSHAKE_DOMAIN = 'admitone/ws-handshake/v1';

/** Which end of a connection a side is. */
export type Role = 'dialer' | 'listener';

/** What both sides know once HELLOs have crossed. */
export interface HandshakeTranscript {
  readonly dialerId: PeerId;
  readonly listenerId: PeerId;
  readonly dialerNonce: Uint8Array;
  readonly listenerNonce: Uint8Array;
}

/** The bytes a side in `role` signs (and the other side verifies). */
export function transcriptBytes(t: HandshakeTranscript, role: Role): Uint8Array {
  return encode([HANDSHAKE_DOMAIN, t.dialerId, t.listenerId, t.dialerNonce, t.listenerNonce, role]);
}

/** The other role. */
export function otherRole(role: Role): Role {
  return role === 'dialer' ? 'listener' : 'dialer';
}
