/**
 * Seeds a venue with a ready-made story for the browser pages: an organizer
 * creates an event (resale cap, royalty), authorises gate devices, buyers are
 * funded, get event credentials and buy one ticket each, and the organizer
 * signs each buyer a ticket pass. It returns the page configurations (and
 * links) for the wallets, the gates and the organizer.
 *
 * Every operation is a request signed by its actor (organizer, payment
 * gateway, buyer) and relayed through a driver device's PBFT client, exactly
 * as the node host relays end users' requests: the driver never holds their
 * keys' authority, only forwards their signatures.
 * @module
 */
import type { Client } from '@admitone/consensus';
import { defaultCrypto, signRequest, type Clock, type CryptoProvider, type EventId, type Random, eventId as toEventId, gateId as toGateId } from '@admitone/core';
import { DEFAULT_CODE_STEP_MS, decodeCredential, issueTicketPass, type CommitteePublicInfo, type EventCredential, type TicketPass } from '@admitone/identity';
import { decodeContractResult, encodeContractOp, ticketIdOf, type ContractApplied, type ContractOp, type EventPolicy } from '@admitone/market';
import type { WebSocketMember } from '@admitone/transport-ws';
import {
  configLink,
  gateConfigToJson,
  organizerConfigToJson,
  walletConfigToJson,
  type DeviceIdentity,
  type GateConfig,
  type OrganizerConfig,
  type WalletConfig,
} from '../src/config/pages.js';

/** What the scenario needs from a venue (the in-process fixture or a node-host network). */
export interface VenueAccess {
  /** The venue's deployment id (requests, passes and codes are bound to it). */
  readonly deployment: string;
  /** The replicas, with their urls. */
  readonly replicas: readonly WebSocketMember[];
  /** The identity committee's public info. */
  readonly committee: CommitteePublicInfo;
  /** Client devices on the ledger mesh, by peer id. */
  readonly devices: ReadonlyMap<string, DeviceIdentity>;
  /** The payment gateway's secret key (a funding key of the contract). */
  readonly fundingSecretKey: Uint8Array;
  /** An encoded event credential for the holder of `holderSecretKey`. */
  eventCredential(holderSecretKey: Uint8Array, eventId: EventId, validity: { readonly issuedAt: number; readonly expiresAt: number }): Promise<Uint8Array>;
  /** A PBFT client on the mesh as `device`. */
  client(device: string): Promise<Client>;
}

/** Options of {@link seedScenario}. */
export interface ScenarioOptions {
  /** The event to create. */
  readonly eventId: string;
  /** One ticket per buyer, in this order (serials 1, 2, …). */
  readonly buyers: readonly string[];
  /** Gate ids and the mesh device each one uses. */
  readonly gates: readonly { readonly gateId: string; readonly device: string }[];
  /** The organizer's mesh device (its key is the organizer key). */
  readonly organizerDevice: string;
  /** The device whose client relays the scenario's requests. */
  readonly driverDevice: string;
  /** Keys of the organizer's signing and of buyers. */
  readonly random: Random;
  /** The event's windows are around `clock.now()`. */
  readonly clock: Clock;
  /** Rotating-code step. Default 15 s. */
  readonly stepMs?: number;
  /** The gates' commit timeout (see `GateConfig.commitTimeoutMs`). Default: the page's. */
  readonly commitTimeoutMs?: number;
}

/** One sold ticket and what its wallet needs. */
export interface ScenarioTicket {
  /** The buyer's name. */
  readonly buyer: string;
  /** The ticket's serial. */
  readonly serial: number;
  /** The buyer's secret key (holds the ticket). */
  readonly holderSecretKey: Uint8Array;
  /** The organizer-signed pass. */
  readonly pass: TicketPass;
}

/** A seeded venue: configurations for every page. */
export interface Scenario {
  /** The event. */
  readonly eventId: EventId;
  /** The event's policy as created. */
  readonly policy: EventPolicy;
  /** The tickets, in buyer order. */
  readonly tickets: readonly ScenarioTicket[];
  /** The wallet configuration of ticket `i`. */
  wallet(i: number): WalletConfig;
  /** The gate configuration of a gate id. */
  gate(gateId: string): GateConfig;
  /** The organizer configuration. */
  organizer(apiUrl?: string): OrganizerConfig;
  /** Page links under `baseUrl` (which ends with `/`); `apiUrl` is a venue node's HTTP API for the organizer's live stats. */
  links(baseUrl: string, apiUrl?: string): { readonly wallets: readonly string[]; readonly gates: Readonly<Record<string, string>>; readonly organizer: string };
}

const HOUR = 3_600_000;

/** Creates the event, authorises the gates, sells one ticket per buyer and issues their passes. */
export async function seedScenario(venue: VenueAccess, options: ScenarioOptions): Promise<Scenario> {
  const { random, clock } = options;
  const crypto: CryptoProvider = await defaultCrypto();
  const eventId = toEventId(options.eventId);
  const stepMs = options.stepMs ?? DEFAULT_CODE_STEP_MS;
  const organizer = device(venue, options.organizerDevice);
  const driver = await venue.client(options.driverDevice);
  const seqs = new Map<Uint8Array, number>();
  const run = async (secretKey: Uint8Array, op: ContractOp, what: string): Promise<ContractApplied> => {
    const requestSeq = seqs.get(secretKey) ?? Math.max(1, Math.floor(clock.now()));
    seqs.set(secretKey, requestSeq + 1);
    const request = await signRequest(crypto, secretKey, { deployment: venue.deployment, requestSeq, op: encodeContractOp(op) });
    const result = decodeContractResult(await driver.relay(request));
    if (result.status !== 'ok') throw new Error(`${what} was rejected: ${result.reason}`);
    return result;
  };

  const now = clock.now();
  const window = { start: now - HOUR, end: now + 24 * HOUR };
  const policy: EventPolicy = {
    capacity: 100,
    facePrice: 5_000n,
    sale: window,
    resale: window,
    resaleCap: { kind: 'percent', percent: 110 },
    royaltyBps: 1_000,
    perPersonCap: 4,
    transferable: true,
    epochs: { kind: 'time', lengthMs: HOUR },
    maxOrdersPerAccount: 8,
  };
  await run(organizer.secretKey, { type: 'createEvent', eventId, policy }, 'createEvent');
  const gateDevices = new Map<string, DeviceIdentity>();
  for (const g of options.gates) {
    const d = device(venue, g.device);
    gateDevices.set(g.gateId, d);
    await run(organizer.secretKey, { type: 'authorizeGate', eventId, device: await crypto.getPublicKey(d.secretKey) }, `authorizeGate ${g.gateId}`);
  }

  const tickets: ScenarioTicket[] = [];
  for (const buyer of options.buyers) {
    const holderSecretKey = random.bytes(32);
    const holderKey = await crypto.getPublicKey(holderSecretKey);
    await run(venue.fundingSecretKey, { type: 'deposit', account: holderKey, amount: 20_000n }, `deposit for ${buyer}`);
    const encoded = await venue.eventCredential(holderSecretKey, eventId, { issuedAt: now - HOUR, expiresAt: now + 48 * HOUR });
    const bought = await run(holderSecretKey, { type: 'buyPrimary', eventId, quantity: 1, credential: encoded }, `buyPrimary by ${buyer}`);
    const ticket = bought.tickets?.[0];
    if (ticket === undefined) throw new Error(`buyPrimary by ${buyer} issued no ticket`);
    const credential = decodeCredential(encoded) as EventCredential;
    const pass = await issueTicketPass(crypto, organizer.secretKey, { deployment: venue.deployment, eventId, ticketId: ticketIdOf(eventId, ticket.serial), version: ticket.version, holderKey, credential });
    tickets.push({ buyer, serial: ticket.serial, holderSecretKey, pass });
  }
  const organizerKey = await crypto.getPublicKey(organizer.secretKey);
  const gatePublicKeys = await Promise.all([...gateDevices].map(async ([name, d]) => ({ name, publicKey: await crypto.getPublicKey(d.secretKey) })));

  const scenario: Scenario = {
    eventId,
    policy,
    tickets,
    wallet(i) {
      const t = tickets[i];
      if (t === undefined) throw new RangeError(`no ticket ${i}`);
      return { pass: t.pass, holderSecretKey: t.holderSecretKey, stepMs, label: `${t.buyer}’s ticket` };
    },
    gate(gateId) {
      const d = gateDevices.get(gateId);
      if (d === undefined) throw new RangeError(`no gate ${gateId}`);
      return {
        deployment: venue.deployment,
        eventId,
        gateId: toGateId(gateId),
        committee: venue.committee,
        organizerKeys: [organizerKey],
        device: d,
        replicas: venue.replicas,
        stepMs,
        ...(options.commitTimeoutMs === undefined ? {} : { commitTimeoutMs: options.commitTimeoutMs }),
      };
    },
    organizer(apiUrl) {
      return { deployment: venue.deployment, organizer, replicas: venue.replicas, eventId, devices: gatePublicKeys, ...(apiUrl === undefined ? {} : { apiUrl }) };
    },
    links(baseUrl, apiUrl) {
      return {
        wallets: tickets.map((_, i) => configLink(`${baseUrl}wallet.html`, walletConfigToJson(scenario.wallet(i)))),
        gates: Object.fromEntries([...gateDevices.keys()].map((g) => [g, configLink(`${baseUrl}gate.html`, gateConfigToJson(scenario.gate(g)))])),
        organizer: configLink(`${baseUrl}organizer.html`, organizerConfigToJson(scenario.organizer(apiUrl))),
      };
    },
  };
  return scenario;
}

function device(venue: VenueAccess, peerId: string): DeviceIdentity {
  const d = venue.devices.get(peerId);
  if (d === undefined) throw new RangeError(`the venue has no device ${peerId}`);
  return d;
}
