/**
 * Page configurations: JSON and URL-fragment round trips, and strict refusal
 * of malformed input with `APP_CONFIG_INVALID` naming the field (never a key).
 * Also the QR path in Node: a payload drawn by `qrcode` reads back through
 * the gate's `jsqr` decoder byte for byte.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bytesToHex, eventId, gateId, nobleCrypto, seededRandom, ticketId } from '@admitone/core';
import { credentialBatchStatement, credentialLeaf, issueTicketPass, merkleBatch, type EventCredential } from '@admitone/identity';
import { fromBase64Url, toBase64Url } from '../src/config/encoding.js';
import {
  configFromFragment,
  configLink,
  gateConfigToJson,
  organizerConfigToJson,
  parseGateConfig,
  parseOrganizerConfig,
  parseWalletConfig,
  serialOf,
  walletConfigToJson,
  type GateConfig,
  type WalletConfig,
} from '../src/config/pages.js';
import { AppError } from '../src/errors.js';
import { blankPng, qrPng, readQrPng } from './qr-images.js';

const crypto = nobleCrypto();
const random = seededRandom('config');
const EVENT = eventId('cfg-gig');

async function walletConfig(): Promise<WalletConfig> {
  const holderSecretKey = random.bytes(32);
  const holderKey = await crypto.getPublicKey(holderSecretKey);
  const committeeSecret = random.bytes(32);
  const body: Omit<EventCredential, 'proof'> = { kind: 'event', committeeId: 'c', eventId: EVENT, eventTag: random.bytes(32), holderKey, issuedAt: 1, expiresAt: 2 };
  const batchId = random.bytes(16);
  const tree = merkleBatch([credentialLeaf(body)]);
  const signature = await crypto.sign(credentialBatchStatement('c', batchId, 1, tree.root), committeeSecret);
  const credential: EventCredential = { ...body, proof: { batchId, size: 1, index: 0, path: [], signature } };
  const pass = await issueTicketPass(crypto, random.bytes(32), { deployment: 'test', eventId: EVENT, ticketId: ticketId('cfg-gig:7'), version: 1, holderKey, credential });
  return { pass, holderSecretKey, stepMs: 15_000, label: 'seat 7' };
}

function gateConfig(): GateConfig {
  return {
    deployment: 'test',
    eventId: EVENT,
    gateId: gateId('north-1'),
    committee: { committeeId: 'c', groupPublicKey: random.bytes(32) },
    organizerKeys: [random.bytes(32)],
    device: { peerId: 'gate-1', secretKey: random.bytes(32) },
    replicas: ['r0', 'r1', 'r2', 'r3'].map((id, i) => ({ id, publicKey: random.bytes(32), url: `ws://127.0.0.1:${7000 + i}` })),
    stepMs: 15_000,
    commitTimeoutMs: 8_000,
  };
}

/** Runs `f`, expecting an `APP_CONFIG_INVALID` that names `field` and leaks no secret. */
function expectInvalid(f: () => unknown, field: string, secrets: readonly Uint8Array[] = []): void {
  let caught: unknown;
  try {
    f();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(AppError);
  const err = caught as AppError;
  expect(err.code).toBe('APP_CONFIG_INVALID');
  expect(err.meta['field']).toBe(field);
  expect(err.message).toContain(field);
  for (const s of secrets) expect(`${err.message} ${JSON.stringify(err.meta)}`).not.toContain(bytesToHex(s));
}

describe('page configurations', () => {
  it('round-trip through JSON and a URL fragment link', async () => {
    const wallet = await walletConfig();
    const gate = gateConfig();
    const organizer = { deployment: 'test', organizer: gate.device, replicas: gate.replicas, eventId: EVENT, devices: [{ name: 'north-1', publicKey: random.bytes(32) }], apiUrl: 'http://127.0.0.1:8080' };
    expect(parseWalletConfig(JSON.parse(JSON.stringify(walletConfigToJson(wallet))))).toEqual(wallet);
    expect(parseGateConfig(JSON.parse(JSON.stringify(gateConfigToJson(gate))))).toEqual(gate);
    expect(parseOrganizerConfig(JSON.parse(JSON.stringify(organizerConfigToJson(organizer))))).toEqual(organizer);
    const link = configLink('http://127.0.0.1:5173/gate.html#old', gateConfigToJson(gate));
    expect(link.startsWith('http://127.0.0.1:5173/gate.html#config=')).toBe(true);
    expect(parseGateConfig(configFromFragment(new URL(link).hash))).toEqual(gate);
    expect(configFromFragment('')).toBeUndefined();
    expect(configFromFragment('#other=1')).toBeUndefined();
  });

  it('refuse malformed input naming the field, never echoing a key', async () => {
    const wallet = walletConfigToJson(await walletConfig());
    const gate = gateConfig();
    const gateJson = gateConfigToJson(gate);
    const secrets = [gate.device.secretKey];
    expectInvalid(() => parseWalletConfig({ ...wallet, extra: 1 }), 'wallet.extra');
    expectInvalid(() => parseWalletConfig({ ...wallet, kind: 'admitone.gate/v1' }), 'wallet.kind');
    expectInvalid(() => parseWalletConfig({ ...wallet, pass: 'AAAA' }), 'wallet.pass');
    expectInvalid(() => parseWalletConfig({ ...wallet, pass: 'not base64!' }), 'wallet.pass');
    expectInvalid(() => parseWalletConfig({ ...wallet, holderSecretKey: 'abcd' }), 'wallet.holderSecretKey');
    expectInvalid(() => parseWalletConfig({ ...wallet, stepMs: 0.5 }), 'wallet.stepMs');
    expectInvalid(() => parseGateConfig({ ...gateJson, eventId: 'no spaces allowed' }), 'gate.eventId', secrets);
    expectInvalid(() => parseGateConfig({ ...gateJson, organizerKeys: [] }), 'gate.organizerKeys', secrets);
    expectInvalid(() => parseGateConfig({ ...gateJson, device: { peerId: 'g', secretKey: `${bytesToHex(gate.device.secretKey)}00` } }), 'gate.device.secretKey', secrets);
    expectInvalid(() => parseGateConfig({ ...gateJson, replicas: (gateJson['replicas'] as unknown[]).slice(0, 3) }), 'gate.replicas', secrets);
    const replicas = gateJson['replicas'] as Record<string, unknown>[];
    expectInvalid(() => parseGateConfig({ ...gateJson, replicas: [{ ...replicas[0], url: 'http://127.0.0.1:1' }, ...replicas.slice(1)] }), 'gate.replicas[0].url', secrets);
    expectInvalid(() => parseGateConfig({ ...gateJson, replicas: [...replicas, replicas[0]] }), 'gate.replicas', secrets);
    expectInvalid(() => parseGateConfig(null), 'gate');
    expectInvalid(() => configFromFragment('#config=%%%'), 'config');
    expectInvalid(() => configFromFragment(`#config=${toBase64Url(new TextEncoder().encode('{not json'))}`), 'config');
  });

  it('base64url round-trips any bytes and refuses other alphabets', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const text = toBase64Url(bytes);
        expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(fromBase64Url(text, 'x')).toEqual(bytes);
      }),
    );
    for (const bad of ['a', 'ab+c', 'ab/c', 'abc=', 'ab c']) expect(() => fromBase64Url(bad, 'x')).toThrow(AppError);
  });

  it('serialOf reads `<eventId>:<serial>` and nothing else', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (n) => {
        expect(serialOf(EVENT, ticketId(`${EVENT}:${n}`))).toBe(n);
      }),
    );
    for (const id of ['cfg-gig:0', 'cfg-gig:01', 'cfg-gig:1x', 'other:1', 'cfg-gig-2:1', 'cfg-gig:', 'cfg-gig:99999999999999999']) {
      expect(serialOf(EVENT, ticketId(id))).toBeUndefined();
    }
  });
});

describe('QR codes', () => {
  it('a binary payload drawn by qrcode reads back byte for byte through jsqr', async () => {
    for (const size of [1, 200, 900]) {
      const payload = seededRandom(`qr/${size}`).bytes(size);
      expect(readQrPng(await qrPng(payload))).toEqual(payload);
    }
  });

  it('an image without a code is APP_QR_NOT_FOUND', () => {
    expect(() => readQrPng(blankPng())).toThrow(expect.objectContaining({ name: 'AppError', code: 'APP_QR_NOT_FOUND' }));
  });
});
