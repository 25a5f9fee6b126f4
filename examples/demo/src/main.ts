/**
 * `npm run demo`: starts a local venue network — 4 venue-node processes, each
 * a PBFT replica of the event contract, an identity-committee member and a
 * secret-management committee member, on loopback WebSocket with LevelDB
 * under a temp dir — then runs the whole story against it and prints a
 * summary table.
 *
 * Flags: `--json` prints the summary as one JSON object (progress goes to
 * stderr); `--keep` leaves the network running (and its temp dir in place)
 * until Ctrl-C; `--epoch-ms N` sets the resale epoch length. Exits 0 when
 * every check came out as expected, 1 otherwise, 2 on a usage error.
 * @module
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultCrypto } from '@admitone/core';
import { httpCommitteeEndpoint, startVenueNetwork, type VenueNetwork } from '@admitone/example-node-host/network';
import { runStory, type DemoVenue, type StorySummary } from './story.js';
import { renderSummary, storyPassed } from './summary.js';

/** Parsed command line. */
export interface DemoFlags {
  /** Print the summary as JSON. */
  readonly json: boolean;
  /** Leave the network running. */
  readonly keep: boolean;
  /** Resale epoch length in ms. */
  readonly epochMs: number;
}

/** Parses the demo's flags; throws `TypeError` with a usage message on anything unknown. */
export function parseDemoFlags(argv: readonly string[]): DemoFlags {
  let json = false;
  let keep = false;
  let epochMs = 3_000;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') json = true;
    else if (a === '--keep') keep = true;
    else if (a === '--epoch-ms') {
      const v = Number(argv[++i]);
      if (!Number.isSafeInteger(v) || v < 500 || v > 60_000) throw new TypeError('--epoch-ms takes an integer between 500 and 60000');
      epochMs = v;
    } else if (a === '--help' || a === '-h') throw new TypeError(USAGE);
    else throw new TypeError(`unknown flag ${JSON.stringify(a)}\n${USAGE}`);
  }
  return { json, keep, epochMs };
}

const USAGE = 'usage: npm run demo [-- --json] [--keep] [--epoch-ms N]';

/** The JSON the demo prints with `--json`. */
export interface DemoReport extends StorySummary {
  /** True when every check came out as expected. */
  readonly passed: boolean;
  /** The network's directory (configurations, LevelDB data, logs). */
  readonly dataDir: string;
  /** The nodes' HTTP APIs. */
  readonly nodes: readonly { readonly id: string; readonly httpUrl: string }[];
}

/** Adapts a running network to what the story needs. */
export function demoVenue(network: VenueNetwork, device: string, gateway: string): DemoVenue {
  const relay = network.clients[device];
  const funder = network.clients[gateway];
  if (relay === undefined || funder === undefined) throw new Error('the network lacks the demo’s client devices');
  return {
    deployment: network.venue.deployment,
    replicas: network.nodes.map((n, i) => {
      const member = network.ledgerMembers.find((m) => m.id === network.replicaIds[i]);
      if (member === undefined) throw new Error(`no ledger member ${n.id}`);
      return { id: member.id, publicKey: member.publicKey, url: n.ledgerUrl };
    }),
    device: { id: relay.id, secretKey: relay.secretKey },
    identity: { committee: network.identityCommittee, endpoint: httpCommitteeEndpoint(Object.fromEntries(network.nodes.map((n) => [n.id, n.httpUrl]))) },
    orderKey: network.orderCommittee.publicKey,
    fundingSecretKey: funder.secretKey,
    kill: (i) => network.kill(i),
    async view() {
      // the view most live nodes report (a lagging node may still be in the old one)
      const views: number[] = [];
      for (let i = 0; i < network.nodes.length; i++) {
        if (!network.alive(i)) continue;
        const h = await network.api(i).health().catch(() => undefined);
        if (h?.ok === true) views.push(h.data.view);
      }
      if (views.length === 0) throw new Error('no node answered /health');
      views.sort((a, b) => a - b);
      return views[Math.floor((views.length - 1) / 2)] as number;
    },
  };
}

/** Runs the demo; resolves with the process exit code. */
export async function main(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  let flags: DemoFlags;
  try {
    flags = parseDemoFlags(argv);
  } catch (e) {
    err(String((e as Error).message));
    return 2;
  }
  const progress = flags.json ? err : out;
  progress('AdmitOne demo: starting a venue network — 4 PBFT replicas + identity committee + secret-management committee');
  progress('(loopback WebSocket, LevelDB in a temp dir; the committees run their DKGs on first start)');
  const t0 = Date.now();
  const network = await startVenueNetwork({ n: 4, clients: ['demo-relay', 'gateway'], funders: ['gateway'], keep: flags.keep, logLevel: 'warn', tunables: { viewChangeTimeoutMs: 1_000 } });
  let code = 1;
  try {
    progress(`venue up in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${network.nodes.map((n) => `${n.id} ${n.httpUrl}`).join(', ')}`);
    const crypto = await defaultCrypto();
    const summary = await runStory(demoVenue(network, 'demo-relay', 'gateway'), { crypto, progress, epochMs: flags.epochMs });
    const passed = storyPassed(summary);
    if (flags.json) {
      const report: DemoReport = { ...summary, passed, dataDir: network.dir, nodes: network.nodes.map((n) => ({ id: n.id, httpUrl: n.httpUrl })) };
      out(JSON.stringify(report));
    } else {
      out(renderSummary(summary, { nodes: network.nodes.length, dataDir: network.dir }));
      out(passed ? '\nEvery check came out as expected.' : '\nSome checks did not come out as expected (see FAIL above).');
    }
    code = passed ? 0 : 1;
    if (flags.keep) {
      progress(`\n--keep: the network keeps running (data in ${network.dir}). Organizer token: ${network.organizerToken}. Ctrl-C stops it.`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    }
  } catch (e) {
    err(`demo failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    for (let i = 0; i < network.nodes.length; i++) err(`--- ${network.nodes[i]?.id} log tail ---\n${network.logs(i).split('\n').slice(-15).join('\n')}`);
    code = 1;
  } finally {
    await network.stop();
  }
  return code;
}

const isMain = (() => {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();
if (isMain) {
  main(
    process.argv.slice(2),
    (s) => process.stdout.write(`${s}\n`),
    (s) => process.stderr.write(`${s}\n`),
  ).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`demo failed: ${String(e)}\n`);
      process.exit(1);
    },
  );
}
