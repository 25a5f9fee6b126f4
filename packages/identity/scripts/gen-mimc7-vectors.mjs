#!/usr/bin/env node
/**
 * Generates MiMC-7 test vectors from the reference implementation, circomlibjs
 * `buildMimc7().hash(x, k)`, into test/vectors/mimc7.circomlibjs.json.
 *
 * circomlibjs is NOT a dependency of this repository. Install it somewhere
 * else and point this script at the node_modules folder that holds it:
 *
 *   mkdir /tmp/circom && cd /tmp/circom && npm init -y && npm i circomlibjs@0.1.7
 *   cd packages/identity
 *   CIRCOMLIBJS_NODE_MODULES=/tmp/circom/node_modules node scripts/gen-mimc7-vectors.mjs
 *
 * (CIRCOMLIBJS_NODE_MODULES defaults to /tmp/circom/node_modules.) The inputs
 * are edge cases plus pseudo-random field elements drawn from SHA-512 in
 * counter mode under a fixed seed, so re-running the script reproduces the
 * same file (except for the `generated` date).
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const EXPECTED_VERSION = '0.1.7';
const SEED = 'admitone/identity/mimc7-vectors/v1';
const RANDOM_COUNT = 48;
const P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

const nodeModules = process.env.CIRCOMLIBJS_NODE_MODULES ?? '/tmp/circom/node_modules';
const pkgDir = join(nodeModules, 'circomlibjs');
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
if (pkg.version !== EXPECTED_VERSION) {
  throw new Error(`expected circomlibjs ${EXPECTED_VERSION} in ${pkgDir}, found ${pkg.version}`);
}
const circomlibjs = await import(pathToFileURL(join(pkgDir, pkg.module ?? 'main.js')).href);
const mimc = await circomlibjs.buildMimc7();
const F = mimc.F;
if (F.p !== P) throw new Error('circomlibjs field is not BN254 Fr');

/** Deterministic field element number `i` for `label`. */
function drawField(label, i) {
  const digest = createHash('sha512').update(`${SEED}/${label}/${i}`).digest('hex');
  return BigInt(`0x${digest}`) % P;
}

const inputs = [];
for (const [x, k] of [
  [0n, 0n],
  [1n, 0n],
  [0n, 1n],
  [1n, 1n],
  [1n, 2n],
  [P - 1n, 0n],
  [0n, P - 1n],
  [P - 1n, P - 1n],
  [P - 1n, 1n],
  [1n, P - 1n],
  [P - 2n, 2n],
  [(P - 1n) / 2n, (P + 1n) / 2n],
  [1n << 253n, 1n << 252n],
  [(1n << 128n) - 1n, 123456789n],
  [25n, 123456789n],
  [123n, 456n],
]) {
  inputs.push({ x, k });
}
for (let i = 0; i < RANDOM_COUNT; i++) inputs.push({ x: drawField('x', i), k: drawField('k', i) });
if (!inputs.every(({ x, k }) => x >= 0n && x < P && k >= 0n && k < P)) throw new Error('input out of range');

const vectors = inputs.map(({ x, k }) => {
  const out = F.toObject(mimc.hash(x, k));
  return { x: x.toString(), k: k.toString(), out: out.toString() };
});
const constants = mimc.cts.map((c) => F.toObject(c).toString());

const doc = {
  provenance: {
    tool: 'circomlibjs buildMimc7().hash(x, k), output converted with F.toObject',
    version: pkg.version,
    generated: new Date().toISOString().slice(0, 10),
    command:
      'CIRCOMLIBJS_NODE_MODULES=/tmp/circom/node_modules node packages/identity/scripts/gen-mimc7-vectors.mjs',
    field: 'BN254 scalar field Fr, p = ' + P.toString(),
    rounds: 91,
    constantsSeed: 'mimc',
    inputSeed: `${SEED} (SHA-512 counter mode, reduced mod p)`,
    note: 'x, k and out are decimal strings; inputs are 16 edge cases then pseudo-random field elements.',
  },
  constants,
  vectors,
};
const here = dirname(fileURLToPath(import.meta.url));
const outPath = join(here, '..', 'test', 'vectors', 'mimc7.circomlibjs.json');
writeFileSync(outPath, `${JSON.stringify(doc, null, 2)}\n`);
console.log(`wrote ${vectors.length} vectors and ${constants.length} constants to ${outPath}`);
process.exit(0);
