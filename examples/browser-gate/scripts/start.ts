/**
 * `npm start`: a local venue and the browser app, ready to click through.
 *
 * Starts the venue network — `startVenueNetwork` from
 * `@admitone/example-node-host`: four venue nodes, one process each (a PBFT
 * replica of the event contract, identity and order committee members, an
 * HTTP API), on 127.0.0.1 — seeds it with an event, two authorised gate
 * devices and three enrolled buyers holding one ticket each, serves the app
 * (the node API proxied same-origin under `/api` and `/ws`) and prints links
 * to the wallet, gate and organizer pages.
 *
 * The links carry secret keys in the URL fragment (never sent to the server,
 * but kept in the browser's history): a local demo only.
 *
 * Flags: `--dev` (Vite dev server instead of a build), `--port <n>` (app port,
 * default 5173; 0 picks a free one), `--in-process` (four replicas inside this
 * process instead of the node-host network; no node API, a stand-in identity
 * committee).
 * @module
 */
import { systemClock, systemRandom } from '@admitone/core';
import { startNetworkVenue } from './network-venue.js';
import { seedScenario, type VenueAccess } from './scenario.js';
import { serveApp, type ServedApp } from './serve.js';
import { startVenueFixture } from './venue-fixture.js';

const GATES = [
  { gateId: 'north-1', device: 'gate-1' },
  { gateId: 'south-1', device: 'gate-2' },
] as const;
const DEVICES = ['driver', 'organizer', ...GATES.map((g) => g.device)];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const dev = args.includes('--dev');
  const inProcess = args.includes('--in-process');
  const portArg = args.indexOf('--port');
  const port = portArg >= 0 ? Number(args[portArg + 1]) : 5173;
  if (!Number.isSafeInteger(port) || port < 0 || port > 65_535) throw new RangeError('--port must be 0 … 65535');

  const clock = systemClock();
  const random = systemRandom();
  let venue: (VenueAccess & { stop(): Promise<void> }) | undefined;
  let apiUrl: string | undefined;
  let app: ServedApp | undefined;
  const shutdown = async (): Promise<void> => {
    await app?.close();
    await venue?.stop();
  };
  process.once('SIGINT', () => void shutdown().then(() => process.exit(0)));
  process.once('SIGTERM', () => void shutdown().then(() => process.exit(0)));

  try {
    if (inProcess) {
      console.log('Starting 4 PBFT replicas of the event contract in this process on 127.0.0.1…');
      venue = await startVenueFixture({ devices: DEVICES, random });
    } else {
      console.log('Starting the venue network: 4 venue nodes (PBFT replica, identity and order committees, HTTP API), one process each…');
      const network = await startNetworkVenue({ devices: DEVICES, random });
      venue = network;
      apiUrl = network.network.nodes[0]?.httpUrl;
    }
    console.log('Seeding: an event, two gate devices, three enrolled buyers with a ticket each…');
    const scenario = await seedScenario(venue, {
      eventId: `demo-${clock.now().toString(36)}`,
      buyers: ['alice', 'bob', 'carol'],
      gates: GATES,
      organizerDevice: 'organizer',
      driverDevice: 'driver',
      random,
      clock,
    });
    app = await serveApp({ dev, port, ...(apiUrl === undefined ? {} : { proxy: apiUrl }) });
    const links = scenario.links(app.url, apiUrl === undefined ? undefined : app.url.replace(/\/$/, ''));
    const lines = [
      '',
      `AdmitOne browser gate: ${app.url}`,
      `Event ${scenario.eventId}; replicas ${venue.replicas.map((r) => r.url).join(' ')}`,
      ...(apiUrl === undefined ? [] : [`Venue node API: ${apiUrl} (proxied at ${app.url}api/v1/…)`]),
      '',
      'Organizer (create events, authorise gates, watch sales and scans):',
      `  ${links.organizer}`,
      '',
      ...Object.entries(links.gates).flatMap(([gate, link]) => [`Gate ${gate}:`, `  ${link}`]),
      '',
      ...scenario.tickets.flatMap((t, i) => [`Wallet of ${t.buyer} (ticket ${t.pass.ticketId}):`, `  ${links.wallets[i]}`]),
      '',
      'These links carry secret keys in the URL fragment: for a local demo only.',
      'Open a wallet, save its QR code as an image (or point a camera at it) and scan it at a gate. Ctrl-C stops.',
    ];
    console.log(lines.join('\n'));
  } catch (err) {
    await shutdown();
    throw err;
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
