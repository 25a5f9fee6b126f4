/**
 * What each page needs to run, as JSON: the wallet's pass and holder key, the
 * gate's policy, device key and replica list, the organizer's key. A page
 * reads its configuration from the URL fragment (`#config=<base64url JSON>`,
 * never sent to a server) or from a pasted or loaded JSON document.
 *
 * Carrying secret keys in a link is for a local demo only: a real wallet keeps
 * its holder key in the platform keystore and a real gate device is
 * provisioned once by the venue.
 * @module
 */
import { type DeploymentId, type EventId, type GateId, type TicketId, eventId as toEventId, gateId as toGateId, isDeploymentId } from '@admitone/core';
import { type CommitteePublicInfo, DEFAULT_CODE_STEP_MS, type TicketPass, decodeTicketPass, encodeTicketPass } from '@admitone/identity';
import type { WebSocketMember } from '@admitone/transport-ws';
import { fromBase64Url, hex, invalid, jsonFromBase64Url, jsonToBase64Url, parseJson, readHex, readInteger, readList, readObject, readText, toBase64Url } from './encoding.js';

/** The `kind` tags of the three configurations. */
export const CONFIG_KINDS = {
  wallet: 'admitone.wallet/v1',
  gate: 'admitone.gate/v2',
  organizer: 'admitone.organizer/v2',
} as const;

/** Most replicas a configuration may list. */
export const MAX_REPLICAS = 64;

/** A wallet: one ticket pass and the holder's key. */
export interface WalletConfig {
  /** The organizer-signed pass. */
  readonly pass: TicketPass;
  /** The holder's 32-byte Ed25519 secret key (it signs the rotating codes). */
  readonly holderSecretKey: Uint8Array;
  /** Rotating-code step in ms (the gate's `stepMs`). */
  readonly stepMs: number;
  /** A name to show, e.g. the holder's or the seat's. */
  readonly label?: string;
}

/** A device's identity on the ledger mesh: its peer id and its Ed25519 secret key. */
export interface DeviceIdentity {
  /** The peer id the replicas list it under. */
  readonly peerId: string;
  /** The 32-byte Ed25519 secret key (transport handshake, and request signatures). */
  readonly secretKey: Uint8Array;
}

/** A gate device for one event. */
export interface GateConfig {
  /** The venue's deployment id (its passes, codes and the device's requests are bound to it). */
  readonly deployment: DeploymentId;
  /** The event this gate admits to. */
  readonly eventId: EventId;
  /** The entrance recorded in every scan. */
  readonly gateId: GateId;
  /** The identity committee whose credentials are accepted. */
  readonly committee: CommitteePublicInfo;
  /** Keys allowed to sign passes. */
  readonly organizerKeys: readonly Uint8Array[];
  /** The device key, authorised on the event contract by the organizer. */
  readonly device: DeviceIdentity;
  /** The PBFT replicas, with their `ws://` urls. */
  readonly replicas: readonly WebSocketMember[];
  /** Rotating-code step in ms. */
  readonly stepMs: number;
  /** How long an online scan waits for the ledger before the holder is let in provisionally (ms). Default 5,000. */
  readonly commitTimeoutMs?: number;
}

/** The organizer's console. */
export interface OrganizerConfig {
  /** The venue's deployment id (the organizer's requests are signed for it). */
  readonly deployment: DeploymentId;
  /** The organizer's ledger identity (its key signs `createEvent` and `authorizeGate`). */
  readonly organizer: DeviceIdentity;
  /** The PBFT replicas, with their `ws://` urls. */
  readonly replicas: readonly WebSocketMember[];
  /** The event to watch at start, if any. */
  readonly eventId?: EventId;
  /** Gate devices to offer for authorisation. */
  readonly devices?: readonly { readonly name: string; readonly publicKey: Uint8Array }[];
  /** A venue node's HTTP base url (`http://127.0.0.1:port`) for live stats, when one runs. */
  readonly apiUrl?: string;
}

/** Any page configuration, by kind. */
export interface PageConfigs {
  /** The wallet page's. */
  readonly wallet: WalletConfig;
  /** The gate page's. */
  readonly gate: GateConfig;
  /** The organizer page's. */
  readonly organizer: OrganizerConfig;
}

/** The JSON document of a wallet configuration. */
export function walletConfigToJson(c: WalletConfig): Record<string, unknown> {
  return {
    kind: CONFIG_KINDS.wallet,
    pass: toBase64Url(encodeTicketPass(c.pass)),
    holderSecretKey: hex(c.holderSecretKey),
    stepMs: c.stepMs,
    ...(c.label === undefined ? {} : { label: c.label }),
  };
}

/** Strictly reads a wallet configuration; throws `APP_CONFIG_INVALID` naming the field. */
export function parseWalletConfig(json: unknown): WalletConfig {
  const r = readObject(json, 'wallet', ['kind', 'pass', 'holderSecretKey'], ['stepMs', 'label']);
  checkKind(r['kind'], 'wallet');
  const passBytes = fromBase64Url(readText(r['pass'], 'wallet.pass', 16_384), 'wallet.pass');
  let pass: TicketPass;
  try {
    pass = decodeTicketPass(passBytes);
  } catch (cause) {
    throw invalid('wallet.pass', 'is not a ticket pass', cause);
  }
  const label = r['label'] === undefined ? undefined : readText(r['label'], 'wallet.label', 80);
  return {
    pass,
    holderSecretKey: readHex(r['holderSecretKey'], 'wallet.holderSecretKey', 32),
    stepMs: r['stepMs'] === undefined ? DEFAULT_CODE_STEP_MS : readInteger(r['stepMs'], 'wallet.stepMs', 1000, 3_600_000),
    ...(label === undefined ? {} : { label }),
  };
}

/** The JSON document of a gate configuration. */
export function gateConfigToJson(c: GateConfig): Record<string, unknown> {
  return {
    kind: CONFIG_KINDS.gate,
    deployment: c.deployment,
    eventId: c.eventId,
    gateId: c.gateId,
    committee: { committeeId: c.committee.committeeId, groupPublicKey: hex(c.committee.groupPublicKey) },
    organizerKeys: c.organizerKeys.map(hex),
    device: deviceToJson(c.device),
    replicas: c.replicas.map(replicaToJson),
    stepMs: c.stepMs,
    ...(c.commitTimeoutMs === undefined ? {} : { commitTimeoutMs: c.commitTimeoutMs }),
  };
}

/** Strictly reads a gate configuration; throws `APP_CONFIG_INVALID` naming the field. */
export function parseGateConfig(json: unknown): GateConfig {
  const r = readObject(json, 'gate', ['kind', 'deployment', 'eventId', 'gateId', 'committee', 'organizerKeys', 'device', 'replicas'], ['stepMs', 'commitTimeoutMs']);
  checkKind(r['kind'], 'gate');
  const committee = readObject(r['committee'], 'gate.committee', ['committeeId', 'groupPublicKey']);
  const organizerKeys = readList(r['organizerKeys'], 'gate.organizerKeys', 16).map((k, i) => readHex(k, `gate.organizerKeys[${i}]`, 32));
  if (organizerKeys.length === 0) throw invalid('gate.organizerKeys', 'must list at least one key');
  return {
    deployment: readDeployment(r['deployment'], 'gate.deployment'),
    eventId: readId(r['eventId'], 'gate.eventId', toEventId),
    gateId: readId(r['gateId'], 'gate.gateId', toGateId),
    committee: { committeeId: readText(committee['committeeId'], 'gate.committee.committeeId', 128), groupPublicKey: readHex(committee['groupPublicKey'], 'gate.committee.groupPublicKey', 32) },
    organizerKeys,
    device: parseDevice(r['device'], 'gate.device'),
    replicas: parseReplicas(r['replicas'], 'gate.replicas'),
    stepMs: r['stepMs'] === undefined ? DEFAULT_CODE_STEP_MS : readInteger(r['stepMs'], 'gate.stepMs', 1000, 3_600_000),
    ...(r['commitTimeoutMs'] === undefined ? {} : { commitTimeoutMs: readInteger(r['commitTimeoutMs'], 'gate.commitTimeoutMs', 100, 120_000) }),
  };
}

/** The JSON document of an organizer configuration. */
export function organizerConfigToJson(c: OrganizerConfig): Record<string, unknown> {
  return {
    kind: CONFIG_KINDS.organizer,
    deployment: c.deployment,
    organizer: deviceToJson(c.organizer),
    replicas: c.replicas.map(replicaToJson),
    ...(c.eventId === undefined ? {} : { eventId: c.eventId }),
    ...(c.devices === undefined ? {} : { devices: c.devices.map((d) => ({ name: d.name, publicKey: hex(d.publicKey) })) }),
    ...(c.apiUrl === undefined ? {} : { apiUrl: c.apiUrl }),
  };
}

/** Strictly reads an organizer configuration; throws `APP_CONFIG_INVALID` naming the field. */
export function parseOrganizerConfig(json: unknown): OrganizerConfig {
  const r = readObject(json, 'organizer', ['kind', 'deployment', 'organizer', 'replicas'], ['eventId', 'devices', 'apiUrl']);
  checkKind(r['kind'], 'organizer');
  const devices =
    r['devices'] === undefined
      ? undefined
      : readList(r['devices'], 'organizer.devices', 64).map((d, i) => {
          const o = readObject(d, `organizer.devices[${i}]`, ['name', 'publicKey']);
          return { name: readText(o['name'], `organizer.devices[${i}].name`, 80), publicKey: readHex(o['publicKey'], `organizer.devices[${i}].publicKey`, 32) };
        });
  return {
    deployment: readDeployment(r['deployment'], 'organizer.deployment'),
    organizer: parseDevice(r['organizer'], 'organizer.organizer'),
    replicas: parseReplicas(r['replicas'], 'organizer.replicas'),
    ...(r['eventId'] === undefined ? {} : { eventId: readId(r['eventId'], 'organizer.eventId', toEventId) }),
    ...(devices === undefined ? {} : { devices }),
    ...(r['apiUrl'] === undefined ? {} : { apiUrl: readUrl(r['apiUrl'], 'organizer.apiUrl', ['http:', 'https:']) }),
  };
}

function readDeployment(value: unknown, field: string): DeploymentId {
  const text = readText(value, field, 64);
  if (!isDeploymentId(text)) throw invalid(field, 'must be a deployment id (printable ASCII, no spaces)');
  return text;
}

/** The page link for a configuration: `<pageUrl>#config=<base64url JSON>`. */
export function configLink(pageUrl: string, json: Record<string, unknown>): string {
  return `${pageUrl.split('#')[0] ?? pageUrl}#config=${jsonToBase64Url(json)}`;
}

/**
 * The JSON document in a URL fragment (`#config=…`), or `undefined` when the
 * fragment has none. Throws `APP_CONFIG_INVALID` when it is there but malformed.
 */
export function configFromFragment(fragment: string): unknown {
  const params = new URLSearchParams(fragment.startsWith('#') ? fragment.slice(1) : fragment);
  const value = params.get('config');
  if (value === null || value === '') return undefined;
  return jsonFromBase64Url(value, 'config');
}

/** Parses pasted or loaded JSON text. Throws `APP_CONFIG_INVALID`. */
export function configFromText(text: string): unknown {
  return parseJson(text.trim(), 'config');
}

/** The ticket serial of a pass's ticket id (`<eventId>:<serial>`), or `undefined` when it does not name one. */
export function serialOf(eventId: EventId, ticketId: TicketId): number | undefined {
  const prefix = `${eventId}:`;
  if (!ticketId.startsWith(prefix)) return undefined;
  const tail = ticketId.slice(prefix.length);
  if (!/^[1-9][0-9]{0,15}$/.test(tail)) return undefined;
  const serial = Number(tail);
  return Number.isSafeInteger(serial) ? serial : undefined;
}

function checkKind(value: unknown, kind: keyof typeof CONFIG_KINDS): void {
  if (value !== CONFIG_KINDS[kind]) throw invalid(`${kind}.kind`, `must be "${CONFIG_KINDS[kind]}" (is this a ${kind} configuration?)`);
}

function deviceToJson(d: DeviceIdentity): Record<string, unknown> {
  return { peerId: d.peerId, secretKey: hex(d.secretKey) };
}

function parseDevice(value: unknown, field: string): DeviceIdentity {
  const d = readObject(value, field, ['peerId', 'secretKey']);
  return { peerId: readText(d['peerId'], `${field}.peerId`, 256), secretKey: readHex(d['secretKey'], `${field}.secretKey`, 32) };
}

function replicaToJson(m: WebSocketMember): Record<string, unknown> {
  return { id: m.id, publicKey: hex(m.publicKey), ...(m.url === undefined ? {} : { url: m.url }) };
}

function parseReplicas(value: unknown, field: string): readonly WebSocketMember[] {
  const list = readList(value, field, MAX_REPLICAS).map((m, i) => {
    const o = readObject(m, `${field}[${i}]`, ['id', 'publicKey', 'url']);
    return { id: readText(o['id'], `${field}[${i}].id`, 256), publicKey: readHex(o['publicKey'], `${field}[${i}].publicKey`, 32), url: readUrl(o['url'], `${field}[${i}].url`, ['ws:', 'wss:']) };
  });
  if (list.length < 4) throw invalid(field, 'must list at least 4 replicas (n = 3f + 1)');
  if (new Set(list.map((m) => m.id)).size !== list.length) throw invalid(field, 'must have distinct ids');
  return list;
}

function readUrl(value: unknown, field: string, protocols: readonly string[]): string {
  const text = readText(value, field, 2048);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid(field, 'must be an absolute URL');
  }
  if (!protocols.includes(url.protocol)) throw invalid(field, `must be a ${protocols.join(' or ')} URL`);
  return text;
}

function readId<T>(value: unknown, field: string, brand: (s: string) => T): T {
  const text = readText(value, field, 128);
  try {
    return brand(text);
  } catch (cause) {
    throw invalid(field, 'must be 1–128 characters of [A-Za-z0-9._:-]', cause);
  }
}
