/**
 * The node configuration: a valid configuration resolves with its keys
 * decoded and defaults applied; every kind of mistake is refused with a
 * `NodeConfigError` whose code names the problem and whose field names the
 * place, and never echoes a secret; command-line flags parse strictly and
 * override the file.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { bytesToHex, seededRandom } from '@admitone/core';
import { NodeConfigError, resolveNodeConfig, type NodeConfigErrorCode, type VenueNodeConfig } from '../src/config.js';
import { applyFlags, loadNodeConfig, parseNodeFlags } from '../src/flags.js';

const random = seededRandom('config-test');
const nodes = Array.from({ length: 4 }, (_, i) => {
  const secretKey = random.bytes(32);
  const encryptionSecretKey = random.bytes(32);
  const relaySecretKey = random.bytes(32);
  return {
    keys: { secretKey: bytesToHex(secretKey), encryptionSecretKey: bytesToHex(encryptionSecretKey), relaySecretKey: bytesToHex(relaySecretKey) },
    entry: {
      id: `n${i}`,
      publicKey: bytesToHex(ed25519.getPublicKey(secretKey)),
      ledgerUrl: `ws://127.0.0.1:${7000 + i}`,
      committeeUrl: `ws://127.0.0.1:${7100 + i}`,
      httpUrl: `http://127.0.0.1:${8000 + i}`,
      encryptionKey: bytesToHex(x25519.getPublicKey(encryptionSecretKey)),
      relay: { id: `n${i}-relay`, publicKey: bytesToHex(ed25519.getPublicKey(relaySecretKey)) },
    },
  };
});
const secrets = nodes.flatMap((n) => Object.values(n.keys));

function valid(i = 1): VenueNodeConfig {
  const me = nodes[i]!;
  return {
    deployment: 'test',
    id: me.entry.id,
    keys: me.keys,
    replicas: nodes.map((n) => n.entry),
    clients: [{ id: 'gate-1', publicKey: bytesToHex(ed25519.getPublicKey(random.bytes(32))) }],
    dataDir: '/var/lib/admitone/n1',
    http: { port: 8001 },
    organizer: { tokenSha256: ['ab'.repeat(32)] },
    fundingKeys: ['cd'.repeat(32)],
    identity: { committeeId: 'venue-identity', degree: 1 },
    orders: { committeeId: 'venue-orders', degree: 1 },
  };
}

/** Mutates a copy of a valid configuration. */
function variant(edit: (c: Record<string, any>) => void): unknown {
  const c = JSON.parse(JSON.stringify(valid())) as Record<string, any>;
  edit(c);
  return c;
}

function refused(json: unknown): NodeConfigError {
  try {
    resolveNodeConfig(json);
  } catch (err) {
    expect(err).toBeInstanceOf(NodeConfigError);
    for (const s of secrets) expect((err as Error).message).not.toContain(s);
    return err as NodeConfigError;
  }
  throw new Error('the configuration was accepted');
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('resolveNodeConfig', () => {
  it('resolves a valid configuration: keys decoded, listen addresses from its own urls, defaults applied', () => {
    const c = resolveNodeConfig(valid());
    expect(c.id).toBe('n1');
    expect(c.secretKey).toHaveLength(32);
    expect(c.self.id).toBe('n1');
    expect(c.ledgerListen).toEqual({ host: '127.0.0.1', port: 7001 });
    expect(c.committeeListen).toEqual({ host: '127.0.0.1', port: 7101 });
    expect(c.http).toEqual({ host: '127.0.0.1', port: 8001 });
    expect(c.replicas.map((r) => r.relay.id)).toEqual(['n0-relay', 'n1-relay', 'n2-relay', 'n3-relay']);
    expect(c).toMatchObject({ sync: true, logLevel: 'info', codeStepMs: 15_000, maxBodyBytes: 65_536, streamQueue: 8192, maxMessageBytes: 8 << 20 });
    expect(c.identity).toMatchObject({ committeeId: 'venue-identity', degree: 1, preprocessAhead: 728, timeoutMs: 10_000, authorizedGates: [] });
    expect(c.orders).toEqual({ committeeId: 'venue-orders', degree: 1, dkgTimeoutMs: 120_000 });
    expect(c.relay).toEqual({ timeoutMs: 500, deadlineMs: 20_000 });
    expect(c.corsOrigins).toEqual(['*']);
    expect(resolveNodeConfig({ ...valid(), corsOrigins: ['http://127.0.0.1:5173'] }).corsOrigins).toEqual(['http://127.0.0.1:5173']);
    expect(resolveNodeConfig({ ...valid(), tunables: { checkpointInterval: 8 } }).tunables).toEqual({ checkpointInterval: 8 });
  });

  const cases: [string, (c: Record<string, any>) => void, NodeConfigErrorCode, string][] = [
    ['an unknown top-level field', (c) => (c['dataDirectory'] = '/x'), 'CONFIG_UNKNOWN_FIELD', 'dataDirectory'],
    ['an unknown nested field', (c) => (c['replicas'][2]['url'] = 'ws://x:1'), 'CONFIG_UNKNOWN_FIELD', 'replicas[2].url'],
    ['an unknown tunable', (c) => (c['tunables'] = { checkpointIntervl: 8 }), 'CONFIG_UNKNOWN_FIELD', 'tunables.checkpointIntervl'],
    ['a missing id', (c) => delete c['id'], 'CONFIG_MISSING', 'id'],
    ['missing keys', (c) => delete c['keys'], 'CONFIG_MISSING', 'keys'],
    ['a short secret key', (c) => (c['keys']['secretKey'] = 'abcd'), 'CONFIG_TYPE', 'keys.secretKey'],
    ['a non-hex public key', (c) => (c['replicas'][0]['publicKey'] = 'zz'.repeat(32)), 'CONFIG_TYPE', 'replicas[0].publicKey'],
    ['a wrong ledger url', (c) => (c['replicas'][1]['ledgerUrl'] = 'http://127.0.0.1:7001'), 'CONFIG_TYPE', 'replicas[1].ledgerUrl'],
    ['a url without a port', (c) => (c['replicas'][1]['httpUrl'] = 'http://127.0.0.1'), 'CONFIG_TYPE', 'replicas[1].httpUrl'],
    ['a port out of range', (c) => (c['http']['port'] = 70000), 'CONFIG_RANGE', 'http.port'],
    ['a public HTTP host', (c) => (c['http']['host'] = '0.0.0.0'), 'CONFIG_RANGE', 'http.host'],
    ['a non-integer', (c) => (c['maxBodyBytes'] = 1.5), 'CONFIG_TYPE', 'maxBodyBytes'],
    ['a bad log level', (c) => (c['logLevel'] = 'loud'), 'CONFIG_TYPE', 'logLevel'],
    ['three replicas', (c) => c['replicas'].pop(), 'CONFIG_INCONSISTENT', 'replicas'],
    ['this node missing', (c) => (c['id'] = 'n9'), 'CONFIG_INCONSISTENT', 'id'],
    ['a duplicate id', (c) => (c['clients'][0]['id'] = 'n2'), 'CONFIG_INCONSISTENT', 'clients[0].id'],
    ['a relay id clashing with a replica', (c) => (c['replicas'][3]['relay']['id'] = 'n0'), 'CONFIG_INCONSISTENT', 'replicas[3].relay.id'],
    ['a reused key', (c) => (c['clients'][0]['publicKey'] = c['replicas'][0]['publicKey']), 'CONFIG_INCONSISTENT', 'clients[0].id'],
    ['a shared encryption key', (c) => (c['replicas'][0]['encryptionKey'] = c['replicas'][1]['encryptionKey']), 'CONFIG_INCONSISTENT', 'replicas[1].encryptionKey'],
    ['a shared port', (c) => (c['replicas'][0]['httpUrl'] = c['replicas'][1]['httpUrl']), 'CONFIG_INCONSISTENT', 'replicas[1].httpUrl'],
    ['a secret key of another node', (c) => (c['keys']['secretKey'] = nodes[0]!.keys.secretKey), 'CONFIG_INCONSISTENT', 'keys.secretKey'],
    ['an encryption key of another node', (c) => (c['keys']['encryptionSecretKey'] = nodes[2]!.keys.encryptionSecretKey), 'CONFIG_INCONSISTENT', 'keys.encryptionSecretKey'],
    ['a relay key of another node', (c) => (c['keys']['relaySecretKey'] = nodes[3]!.keys.relaySecretKey), 'CONFIG_INCONSISTENT', 'keys.relaySecretKey'],
    ['an identity degree n cannot carry', (c) => (c['identity']['degree'] = 2), 'CONFIG_INCONSISTENT', 'identity.degree'],
    ['an order degree ≥ n', (c) => (c['orders']['degree'] = 4), 'CONFIG_RANGE', 'orders.degree'],
    ['a bad token hash', (c) => (c['organizer']['tokenSha256'] = ['secret-token']), 'CONFIG_TYPE', 'organizer.tokenSha256[0]'],
    ['an array for an object', (c) => (c['http'] = [8001]), 'CONFIG_TYPE', 'http'],
    ['a CORS origin with a path', (c) => (c['corsOrigins'] = ['*', 'http://a.example/app']), 'CONFIG_TYPE', 'corsOrigins[1]'],
  ];
  for (const [what, edit, code, field] of cases) {
    it(`refuses ${what} (${code} at ${field})`, () => {
      const err = refused(variant(edit));
      expect(err.code).toBe(code);
      expect(err.field).toBe(field);
      expect(err.meta['field']).toBe(field);
      expect(err.message).toContain(field);
    });
  }

  it('refuses non-objects', () => {
    for (const v of [null, 42, 'config', []]) expect(refused(v).code).toBe('CONFIG_TYPE');
  });
});

describe('flags', () => {
  it('parses --config and the overrides, or a positional config file', () => {
    expect(parseNodeFlags(['--config', 'a.json', '--http-port', '9000', '--data-dir', '/d', '--log-level', 'debug', '--ignore-stdin'])).toEqual({
      config: 'a.json',
      httpPort: 9000,
      dataDir: '/d',
      logLevel: 'debug',
      ignoreStdin: true,
    });
    expect(parseNodeFlags(['b.json'])).toEqual({ config: 'b.json', ignoreStdin: false });
  });

  it('refuses unknown, malformed or missing flags with CONFIG_FLAG', () => {
    for (const argv of [[], ['--config'], ['a.json', '--bogus'], ['--config', 'a.json', 'b.json'], ['a.json', '--http-port', 'x'], ['a.json', '--http-port', '65536'], ['a.json', '--log-level', 'loud'], ['a.json', 'b.json']]) {
      expect(() => parseNodeFlags(argv), argv.join(' ')).toThrow(NodeConfigError);
      try {
        parseNodeFlags(argv);
      } catch (err) {
        expect((err as NodeConfigError).code).toBe('CONFIG_FLAG');
      }
    }
  });

  it('applies overrides on top of the file and reads the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'node-host-config-'));
    dirs.push(dir);
    const path = join(dir, 'node.json');
    writeFileSync(path, JSON.stringify(valid()));
    const c = loadNodeConfig({ config: path, httpPort: 9100, dataDir: '/tmp/other', logLevel: 'warn', ignoreStdin: false });
    expect(c.http.port).toBe(9100);
    expect(c.dataDir).toBe('/tmp/other');
    expect(c.logLevel).toBe('warn');
    expect(applyFlags(42, { httpPort: 1 })).toBe(42);
    const missing = () => loadNodeConfig({ config: join(dir, 'nope.json'), ignoreStdin: false });
    expect(missing).toThrow(expect.objectContaining({ code: 'CONFIG_UNREADABLE' }));
    writeFileSync(join(dir, 'bad.json'), '{ not json');
    expect(() => loadNodeConfig({ config: join(dir, 'bad.json'), ignoreStdin: false })).toThrow(expect.objectContaining({ code: 'CONFIG_UNREADABLE' }));
  });
});
