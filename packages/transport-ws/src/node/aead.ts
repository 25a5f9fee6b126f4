/**
 * ChaCha20-Poly1305 from Node's OpenSSL: the same RFC 8439 bytes as
 * `@noble/ciphers`, at a fraction of the CPU for large frames (a PRE-PREPARE
 * with a full batch, a state-transfer snapshot).
 * @module
 */
import { createCipheriv, createDecipheriv, getCiphers } from 'node:crypto';
import { TAG_BYTES, nobleAead, type Aead } from '../channel.js';

const ALGORITHM = 'chacha20-poly1305';

/** The native {@link Aead}, or noble's where this Node's OpenSSL lacks ChaCha20-Poly1305. */
export const nodeAead: Aead = getCiphers().includes(ALGORITHM)
  ? {
      name: 'node',
      seal(key, nonce, plaintext, out) {
        const cipher = createCipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES });
        const body = cipher.update(plaintext);
        out.set(body);
        cipher.final();
        out.set(cipher.getAuthTag(), body.length);
      },
      open(key, nonce, sealed) {
        if (sealed.length < TAG_BYTES) return undefined;
        const end = sealed.length - TAG_BYTES;
        try {
          const decipher = createDecipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES });
          decipher.setAuthTag(sealed.subarray(end));
          const body = decipher.update(sealed.subarray(0, end));
          decipher.final(); // throws when the tag does not match
          return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
        } catch {
          return undefined;
        }
      },
    }
  : nobleAead;
