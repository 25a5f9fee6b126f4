/**
 * MiMC-7 over BN254 Fr (circomlib-compatible) and RFC 9380 hashing to Fr.
 * @module
 */
export {
  BN254_FR,
  BN254_FR_ORDER,
  MIMC7_ROUNDS,
  MIMC7_SEED,
  checkFieldElement,
  mimc7,
  mimc7Constants,
} from './mimc7.js';
export { HASH_TO_FIELD_BYTES, MAX_DST_BYTES, hashToField } from './hash-to-field.js';
