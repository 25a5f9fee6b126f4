/**
 * The secure channel behind every authenticated connection: an ephemeral
 * x25519 exchange, signed into the handshake transcript, gives each
 * connection two fresh ChaCha20-Poly1305 keys (one per direction), and every
 * frame after the handshake is sealed under the sender's key with an
 * implicit counter nonce.
 *
 * Key schedule (both sides compute it once HELLOs have crossed):
 *
 * ```
 * ss   = x25519(own ephemeral secret, peer ephemeral public)   // a low-order peer key is refused
 * salt = SHA-256(encode([KEYS_DOMAIN, dialerId, listenerId, dialerNonce, listenerNonce, dialerEphemeral, listenerEphemeral]))
 * okm  = HKDF-SHA256(ikm = ss, salt, info = KEYS_DOMAIN, 64)
 * dialer → listener key = okm[0..32], listener → dialer key = okm[32..64]
 * ```
 *
 * Frame `i` (0, 1, 2, … per direction) is `SEALED ‖ ChaCha20-Poly1305(key,
 * nonce = 0⁴ ‖ u64le(i)).seal(inner frame)`. The counter is never sent: a
 * receiver opens frame `i` only with nonce `i`, so a dropped, repeated,
 * reordered, reflected or altered frame fails to open, and the connection is
 * closed. The ephemeral secret is wiped once the keys are derived, so a
 * recorded session stays sealed even if a long-term Ed25519 key leaks later
 * (forward secrecy).
 *
 * The AEAD (RFC 8439 ChaCha20-Poly1305) and x25519 (RFC 7748) come from the
 * platform: Node's native implementations where they exist, `@noble/ciphers`
 * and `@noble/curves` elsewhere. Both compute the same bytes, so a browser
 * (noble) talks to a Node replica (native).
 * @module
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { encode, utf8ToBytes, type PeerId, type Random } from '@admitone/core';

/** Domain separator of the channel key derivation (HKDF salt input and info). */
export const KEYS_DOMAIN = 'admitone/ws-channel-keys/v2';
/** Size of an x25519 public or secret key. */
export const EPHEMERAL_KEY_BYTES = 32;
/** Size of the ChaCha20-Poly1305 key of each direction. */
export const CHANNEL_KEY_BYTES = 32;
/** Size of the Poly1305 tag at the end of every sealed frame. */
export const TAG_BYTES = 16;
/** Size of the ChaCha20-Poly1305 nonce. */
const NONCE_BYTES = 12;
/**
 * Frames a direction may seal. Far beyond any real connection's life (2^48
 * frames); reaching it closes the connection rather than reuse a nonce.
 */
export const MAX_FRAMES_PER_DIRECTION = 2 ** 48;

/**
 * RFC 8439 ChaCha20-Poly1305 without associated data, as a platform provides
 * it: {@link Aead.forKey} prepares a 32-byte key once, for many 12-byte nonces.
 */
export interface Aead {
  /** Shown in logs and benchmarks. */
  readonly name: string;
  /** The cipher under `key` (which the caller may wipe later; implementations may hold their own copy). */
  forKey(key: Uint8Array): AeadKey;
}

/** One key of an {@link Aead}. */
export interface AeadKey {
  /** Writes `ciphertext ‖ tag` of `plaintext` into `out`, which is exactly `plaintext.length + 16` bytes. */
  seal(nonce: Uint8Array, plaintext: Uint8Array, out: Uint8Array): void;
  /** The plaintext of `sealed` (`ciphertext ‖ tag`), or `undefined` when it does not authenticate. Never throws. */
  open(nonce: Uint8Array, sealed: Uint8Array): Uint8Array | undefined;
}

/** {@link Aead} on `@noble/ciphers` (portable; used by browsers). */
export const nobleAead: Aead = {
  name: 'noble',
  forKey(key) {
    return {
      seal(nonce, plaintext, out) {
        chacha20poly1305(key, nonce).encrypt(plaintext, out);
      },
      open(nonce, sealed) {
        if (sealed.length < TAG_BYTES) return undefined;
        try {
          return chacha20poly1305(key, nonce).decrypt(sealed);
        } catch {
          return undefined;
        }
      },
    };
  },
};

/**
 * RFC 7748 x25519, as a platform provides it: Node's native implementation
 * where it exists (a listener makes one key pair per incoming connection,
 * before the peer has authenticated), `@noble/curves` elsewhere.
 */
export interface KeyAgreement {
  /** Shown in logs and benchmarks. */
  readonly name: string;
  /** The public key of a 32-byte secret key. */
  publicKey(secretKey: Uint8Array): Uint8Array;
  /**
   * The shared secret of `own` and `peerPublic`, or `undefined` when
   * `peerPublic` is unusable (wrong size, or a low-order point that makes the
   * result all zeros). Never throws.
   */
  sharedSecret(own: EphemeralKeyPair, peerPublic: Uint8Array): Uint8Array | undefined;
}

/** {@link KeyAgreement} on `@noble/curves` (portable; used by browsers). */
export const nobleX25519: KeyAgreement = {
  name: 'noble',
  publicKey: (secretKey) => x25519.getPublicKey(secretKey),
  sharedSecret(own, peerPublic) {
    if (peerPublic.length !== EPHEMERAL_KEY_BYTES) return undefined;
    try {
      return x25519.getSharedSecret(own.secretKey, peerPublic); // throws on a low-order point
    } catch {
      return undefined;
    }
  },
};

/** An ephemeral x25519 key pair, fresh per connection. */
export interface EphemeralKeyPair {
  /** Wiped by {@link deriveChannelKeys}. */
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** A fresh ephemeral key pair from `random`. */
export function ephemeralKeyPair(random: Random, x: KeyAgreement = nobleX25519): EphemeralKeyPair {
  const secretKey = random.bytes(EPHEMERAL_KEY_BYTES);
  return { secretKey, publicKey: x.publicKey(secretKey) };
}

/** Everything both sides agree on once HELLOs have crossed. */
export interface ChannelTranscript {
  readonly dialerId: PeerId;
  readonly listenerId: PeerId;
  readonly dialerNonce: Uint8Array;
  readonly listenerNonce: Uint8Array;
  readonly dialerEphemeral: Uint8Array;
  readonly listenerEphemeral: Uint8Array;
}

/** The two keys of a connection, as one side uses them. */
export interface ChannelKeys {
  /** Seals what this side sends. */
  readonly send: Uint8Array;
  /** Opens what this side receives. */
  readonly receive: Uint8Array;
}

/**
 * Derives the connection's keys (see the module comment) and wipes `own.secretKey`.
 * Returns `undefined` when the peer's ephemeral key is unusable (wrong size
 * or a low-order point, which would make the shared secret predictable).
 */
export function deriveChannelKeys(
  role: 'dialer' | 'listener',
  own: EphemeralKeyPair,
  t: ChannelTranscript,
  x: KeyAgreement = nobleX25519,
): ChannelKeys | undefined {
  const peerPublic = role === 'dialer' ? t.listenerEphemeral : t.dialerEphemeral;
  const shared = x.sharedSecret(own, peerPublic);
  own.secretKey.fill(0);
  if (shared === undefined) return undefined;
  const salt = sha256(encode([KEYS_DOMAIN, t.dialerId, t.listenerId, t.dialerNonce, t.listenerNonce, t.dialerEphemeral, t.listenerEphemeral]));
  const okm = hkdf(sha256, shared, salt, utf8ToBytes(KEYS_DOMAIN), 2 * CHANNEL_KEY_BYTES);
  shared.fill(0);
  const toListener = okm.slice(0, CHANNEL_KEY_BYTES);
  const toDialer = okm.slice(CHANNEL_KEY_BYTES);
  okm.fill(0);
  return role === 'dialer' ? { send: toListener, receive: toDialer } : { send: toDialer, receive: toListener };
}

/** One connection's sealing state: keys and the two frame counters. */
export interface SecureChannel {
  /**
   * `prefix ‖ seal(inner)` under the next send counter. Throws `RangeError`
   * once {@link MAX_FRAMES_PER_DIRECTION} frames were sealed.
   */
  seal(prefix: number, inner: Uint8Array): Uint8Array;
  /**
   * The inner frame of `sealed` (`ciphertext ‖ tag`, without the prefix byte)
   * under the next receive counter, or `undefined` when it does not
   * authenticate (the counter then stays, and the caller closes the connection).
   */
  open(sealed: Uint8Array): Uint8Array | undefined;
  /** Wipes both keys; later calls fail. */
  destroy(): void;
}

/** A {@link SecureChannel} over `keys`, sealing with `aead`. */
export function secureChannel(keys: ChannelKeys, aead: Aead): SecureChannel {
  const sender = aead.forKey(keys.send);
  const receiver = aead.forKey(keys.receive);
  let sent = 0;
  let received = 0;
  const sendNonce = new Uint8Array(NONCE_BYTES);
  const receiveNonce = new Uint8Array(NONCE_BYTES);
  return {
    seal(prefix, inner) {
      if (sent >= MAX_FRAMES_PER_DIRECTION) throw new RangeError('the channel sealed its last frame');
      setCounter(sendNonce, sent++);
      const frame = new Uint8Array(1 + inner.length + TAG_BYTES);
      frame[0] = prefix;
      sender.seal(sendNonce, inner, frame.subarray(1));
      return frame;
    },
    open(sealed) {
      if (received >= MAX_FRAMES_PER_DIRECTION) return undefined;
      setCounter(receiveNonce, received);
      const inner = receiver.open(receiveNonce, sealed);
      if (inner !== undefined) received++;
      return inner;
    },
    destroy() {
      keys.send.fill(0);
      keys.receive.fill(0);
      sent = received = MAX_FRAMES_PER_DIRECTION;
    },
  };
}

/** Writes `counter` as a little-endian u64 into bytes 4..12 of `nonce` (bytes 0..4 stay zero). */
export function setCounter(nonce: Uint8Array, counter: number): void {
  let low = counter % 0x1_0000_0000;
  let high = Math.floor(counter / 0x1_0000_0000);
  for (let i = 4; i < 8; i++, low >>>= 8) nonce[i] = low & 0xff;
  for (let i = 8; i < 12; i++, high >>>= 8) nonce[i] = high & 0xff;
}
