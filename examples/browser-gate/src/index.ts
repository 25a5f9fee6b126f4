/**
 * `@admitone/example-browser-gate`: the browser wallet, gate and organizer
 * pages (Vite, plain TypeScript and DOM), and the parts a venue vendor can
 * embed in their own scanner UI without the pages:
 *
 * - {@link openGateStation}: offline verification (`createGateVerifier`), a
 *   durable scan queue in any `Storage` (IndexedDB via `idbStorage` in the
 *   browser), strict online admission through a PBFT client's `relay`, and
 *   idempotent sync with incidents for double admissions;
 * - {@link connectLedger}: the browser `webSocketTransport` and `createClient`
 *   to the venue's replicas;
 * - {@link decodeQrFile}, {@link decodeQrPixels}, {@link drawQr}: QR codes
 *   with `jsqr` and `qrcode`;
 * - the page configurations ({@link parseGateConfig}, {@link parseWalletConfig},
 *   {@link parseOrganizerConfig}) with strict, typed refusals ({@link AppError}).
 *
 * Runs in browsers (no Node APIs). `npm start` serves the pages against a
 * local venue network.
 *
 * @example
 * ```ts
 * import { defaultCrypto, systemClock, systemRandom } from '@admitone/core';
 * import { idbStorage } from '@admitone/storage-idb';
 * import { connectLedger, decodeQrFile, openGateStation, parseGateConfig } from '@admitone/example-browser-gate';
 *
 * const config = parseGateConfig(JSON.parse(provisionedJson));
 * const crypto = await defaultCrypto();
 * const [clock, random] = [systemClock(), systemRandom()];
 * const station = await openGateStation({ config, storage: await idbStorage({ dbName: 'gate' }), crypto, clock, random });
 * const ledger = await connectLedger({ device: config.device, replicas: config.replicas, deployment: config.deployment, crypto, clock, random });
 * station.setLedger(ledger.client); // online: strict admission, queued scans sync
 * const verdict = await station.scan(await decodeQrFile(photo)); // admitted | provisional | rejected (reason)
 * ```
 * @packageDocumentation
 */
export { AppError, describeError, type AppErrorCode } from './errors.js';
export {
  CONFIG_KINDS,
  MAX_REPLICAS,
  configFromFragment,
  configFromText,
  configLink,
  gateConfigToJson,
  organizerConfigToJson,
  parseGateConfig,
  parseOrganizerConfig,
  parseWalletConfig,
  serialOf,
  walletConfigToJson,
  type DeviceIdentity,
  type GateConfig,
  type OrganizerConfig,
  type PageConfigs,
  type WalletConfig,
} from './config/pages.js';
export { fromBase64Url, toBase64Url } from './config/encoding.js';
export {
  openGateStation,
  type GateRejection,
  type GateStation,
  type GateStationOptions,
  type LedgerLink,
  type ScanVerdict,
  type StationStats,
  type SyncReport,
} from './gate/station.js';
export { decodeItem, encodeItem, type Incident, type ItemState, type QueueItem, type Refusal } from './gate/records.js';
export { connectLedger, type ConnectLedgerOptions, type LedgerConnection } from './ledger.js';
export { MAX_DECODE_SIDE, decodeQrFile, decodeQrPixels, pixelsOfImage, type Pixels } from './qr/decode.js';
export { drawQr, type DrawQrOptions } from './qr/render.js';
export { reasonWords, type Reason } from './ui/reasons.js';
