/**
 * What `docs/BENCHMARKS.md` shows: every key of `bench/results.json` that the
 * benches must report, grouped by section, each with its limit (a primitive
 * ceiling or floor measured in the same run) and its target from the issues.
 * The runner fails when a key listed here is missing, so quick and full mode
 * produce the same keys.
 */

/** A target from the issues: `value op target.value` is "met". */
export interface Target {
  readonly op: '>=' | '<=';
  readonly value: number;
  /** Where the target comes from, e.g. "issue 4". */
  readonly source: string;
}

/**
 * A limit: `scale × results[key]`, or with `invert`, `scale ÷ results[key]`
 * (a rate turned into a time: `invert` with scale 1000 turns ops/s into ms per op).
 */
export interface Limit {
  /** What the limit is, for the table. */
  readonly label: string;
  readonly key: string;
  readonly scale?: number;
  readonly invert?: boolean;
  /** Unit of the limit when it differs from the row's. */
  readonly unit?: string;
  /** Show this key as the ratio instead of figure ÷ limit (a ratio the bench measured round by round). */
  readonly ratioKey?: string;
}

/** One figure of the report. */
export interface Row {
  readonly key: string;
  readonly label: string;
  /** Unit shown beside the value: 'ops/s', 'ms', 's', 'MB/s', '' (ratios). */
  readonly unit: string;
  readonly limit?: Limit | readonly Limit[];
  readonly target?: Target;
}

/** A table of the report. */
export interface Section {
  readonly title: string;
  /** Prefix for the section's rows in the "targets at a glance" table. */
  readonly short: string;
  readonly note?: string;
  readonly rows: readonly Row[];
}

const ISSUE3 = 'issue 3';
const ISSUE4 = 'issue 4';
const ISSUE5 = 'issue 5';
const ISSUE6 = 'issue 6';

const perS = (key: string, label: string, limit?: Limit | readonly Limit[], target?: Target, unit = 'ops/s'): Row => ({
  key,
  label,
  unit,
  ...(limit === undefined ? {} : { limit }),
  ...(target === undefined ? {} : { target }),
});
const ms = (key: string, label: string, limit?: Limit | readonly Limit[], target?: Target): Row => ({
  key,
  label,
  unit: 'ms',
  ...(limit === undefined ? {} : { limit }),
  ...(target === undefined ? {} : { target }),
});
const ratio = (key: string, label: string, target?: Target): Row => ({ key, label, unit: '', ...(target === undefined ? {} : { target }) });
const atLeast = (value: number, source: string): Target => ({ op: '>=', value, source });
const atMost = (value: number, source: string): Target => ({ op: '<=', value, source });

/** Ed25519 verifications/s ÷ n, for PBFT: every replica verifies every client signature. */
const verifyPerReplica = (key: string, n: number, how: string): Limit => ({ label: `Ed25519 verifies/s (${how}) ÷ ${n}`, key, scale: 1 / n });

function pbftMemory(n: number): Row[] {
  const one = verifyPerReplica('pbft_memory_verify_1_per_s', n, 'one at a time');
  const all = verifyPerReplica('pbft_memory_verify_32_per_s', n, '32 in flight');
  return [
    perS(`pbft_n${n}_memory_ops_per_s`, `n=${n} peak committed ops/s (closed loop)`, [one, all]),
    ratio(`pbft_n${n}_memory_ratio`, `n=${n} ratio to one-core limit (verifies/s one at a time ÷ n)`, n === 4 ? atLeast(0.6, ISSUE3) : undefined),
    ratio(`pbft_n${n}_memory_all_cores_ratio`, `n=${n} ratio to all-core limit (verifies/s 32 in flight ÷ n)`, n === 4 ? atLeast(0.6, ISSUE3) : undefined),
    ms(`pbft_n${n}_memory_p50_ms`, `n=${n} peak p50 latency`),
    ms(`pbft_n${n}_memory_p99_ms`, `n=${n} peak p99 latency`),
    ms(`pbft_n${n}_memory_cpu_per_op_ms`, `n=${n} process CPU per committed op (all threads)`, { label: `${n} Ed25519 verifies, one at a time`, key: 'pbft_memory_verify_1_per_s', invert: true, scale: 1000 * n }),
    perS(`pbft_n${n}_memory_half_ops_per_s`, `n=${n} half load: offered ops/s (open loop at ½ peak)`, one),
    ms(`pbft_n${n}_memory_half_p50_ms`, `n=${n} half load p50`),
    ms(`pbft_n${n}_memory_half_p99_ms`, `n=${n} half load p99`, undefined, atMost(20, ISSUE3)),
  ];
}

function pbftWs(n: number): Row[] {
  const all = verifyPerReplica('pbft_ws_verify_32_per_s', n, '32 in flight');
  const raw: Limit = { label: 'raw WS 100 B msgs/s between 2 processes', key: 'ws_100b_msgs_per_s', unit: 'msgs/s' };
  const hops: Limit = { label: 'network floor: 5 one-way hops = 2.5 × WS echo RTT p50', key: 'ws_echo_p50_ms', scale: 2.5 };
  const four = n === 4;
  return [
    perS(`pbft_n${n}_ws_ops_per_s`, `n=${n} peak committed ops/s (closed loop)`, [all, raw], four ? atLeast(1500, ISSUE4) : undefined),
    ratio(`pbft_n${n}_ws_ratio`, `n=${n} peak ratio to Ed25519 limit (32 in flight ÷ n)`),
    ms(`pbft_n${n}_ws_peak_p50_ms`, `n=${n} peak p50 latency`),
    ms(`pbft_n${n}_ws_peak_p99_ms`, `n=${n} peak p99 latency`),
    ms(`pbft_n${n}_ws_peak_cpu_per_op_ms`, `n=${n} peak: CPU of all processes per op`, { label: `${n} Ed25519 verifies, one at a time`, key: 'pbft_ws_verify_1_per_s', invert: true, scale: 1000 * n }),
    perS(`pbft_n${n}_ws_half_ops_per_s`, `n=${n} 50 % load: committed ops/s`, all),
    ms(`pbft_n${n}_ws_p50_ms`, `n=${n} 50 % load p50 latency`, hops, four ? atMost(10, ISSUE4) : undefined),
    ms(`pbft_n${n}_ws_p99_ms`, `n=${n} 50 % load p99 latency`, hops, four ? atMost(50, ISSUE4) : undefined),
    ms(`pbft_n${n}_ws_half_cpu_per_op_ms`, `n=${n} 50 % load: CPU of all processes per op`, { label: `${n} Ed25519 verifies, one at a time`, key: 'pbft_ws_verify_1_per_s', invert: true, scale: 1000 * n }),
    perS(`pbft_n${n}_ws_90_ops_per_s`, `n=${n} 90 % load: committed ops/s`, all),
    ms(`pbft_n${n}_ws_90_p50_ms`, `n=${n} 90 % load p50 latency`, hops),
    ms(`pbft_n${n}_ws_90_p99_ms`, `n=${n} 90 % load p99 latency`, hops),
    ms(`pbft_n${n}_ws_90_cpu_per_op_ms`, `n=${n} 90 % load: CPU of all processes per op`, { label: `${n} Ed25519 verifies, one at a time`, key: 'pbft_ws_verify_1_per_s', invert: true, scale: 1000 * n }),
  ];
}

function tdh2(n: number): Row[] {
  const rows: [string, string][] = [
    ['encrypt', 'encrypt a 105-byte order'],
    ['check', 'ciphertext validity check'],
    ['share', 'decryption share (incl. validity check)'],
    ['verify_share', 'verify one share'],
    ['batch_verify16', 'batch verify 16 shares, per share'],
    ['batch_verify64', 'batch verify 64 shares, per share'],
    ['batch_verify256', 'batch verify 256 shares, per share'],
    ['batch_verify64_bad', 'batch 64 with 1 bad share (fallback), per share'],
    ['combine', `combine (${n === 4 ? 2 : 3} shares, incl. checks)`],
    ['decrypt_many', 'decryptMany 32 ciphertexts, per ciphertext'],
  ];
  return rows.map(([k, label]) =>
    perS(`tdh2_n${n}_${k}_per_s`, `n=${n} ${label}`, {
      label: 'ristretto255 mult (ct) beside each round, as implied by the per-round ratio',
      key: 'ristretto_mul_per_s',
      ratioKey: `tdh2_n${n}_${k}_ratio`,
    }),
  );
}

function epoch(n: number): Row[] {
  const k = `f3b_n${n}`;
  const mult = (scale: number, label: string): Limit => ({ label, key: `${k}_mult_per_s`, invert: true, scale });
  const one = mult(1000, 'one ristretto255 mult');
  const orders = n === 4 ? '1,000 orders' : '1,000 orders; 250 in quick mode';
  const totals: Row[] =
    n === 4
      ? [
          { key: 'f3b_epoch1000_n4_s', label: 'n=4: epoch of 1,000 sealed orders, cutoff → settled', unit: 's', limit: mult(1000, '1,000 ristretto255 mults (one per order)'), target: atMost(5, ISSUE6) },
          { key: 'f3b_epoch1000_n4_cold_s', label: 'n=4: the same when members start their shares only at the cutoff', unit: 's', limit: mult(1000, '1,000 ristretto255 mults') },
        ]
      : [];
  return [
    ...totals,
    ms(`${k}_settle_per_order_ms`, `n=${n}: cutoff → settled, per order (${orders})`, one),
    ms(`${k}_cold_per_order_ms`, `n=${n}: the same with members starting their shares at the cutoff, per order`, one),
    ms(`${k}_member_shares_per_order_ms`, `n=${n}: one member's decryption share work, per order (while the epoch is open)`, one),
    ms(`${k}_prepare_per_order_ms`, `n=${n}: prepare (decode + batch DLEQ verify of t+1 shares), per order`, one),
    ms(`${k}_execute_per_order_ms`, `n=${n}: execute (decrypt, shuffle, match, settle), per order`, one),
    ms(`${k}_post_shares_p50_ms`, `n=${n}: one postShares op (≤ 256 shares) p50`, mult(256_000, '256 mults')),
    ms(`${k}_post_shares_p99_ms`, `n=${n}: one postShares op p99`, mult(256_000, '256 mults')),
    ms(`${k}_seal_ms`, `n=${n}: seal one order (client)`, one),
    ms(`${k}_submit_ms`, `n=${n}: submit one sealed order (prepare validity check + execute)`, one),
    perS(`${k}_mult_per_s`, `n=${n}: ristretto255 var-base mult (ct), measured around each round (limit)`),
  ];
}

/** The report's sections, in order. */
export const SECTIONS: readonly Section[] = [
  {
    title: 'Ed25519 and the crypto provider (`packages/core/bench`)',
    short: 'Ed25519',
    note: 'One operation at a time on a 200-byte message. `ed25519_verify_per_s` is the provider every package uses (`defaultCrypto()`: WebCrypto on Node 20, with a noble re-check of a native "false").',
    rows: [
      perS('ed25519_verify_per_s', 'provider verify (WebCrypto), one at a time', { label: 'noble verify (pure JS)', key: 'ed25519_noble_verify_per_s' }),
      ms('ed25519_verify_p99_ms', 'provider verify p99 latency'),
      perS('ed25519_subtle_verify_per_s', 'raw `subtle.verify`, cached key (the native ceiling)'),
      perS('ed25519_verify_invalid_per_s', 'provider verify of an invalid signature (native + noble re-check)', { label: 'noble verify', key: 'ed25519_noble_verify_per_s' }),
      perS('ed25519_noble_verify_per_s', 'noble verify (ZIP-215)'),
      perS('ed25519_sign_per_s', 'provider sign', { label: 'raw `subtle.sign`, cached key', key: 'ed25519_subtle_sign_per_s' }),
      perS('ed25519_subtle_sign_per_s', 'raw `subtle.sign`, cached key'),
      perS('ed25519_noble_sign_per_s', 'noble sign'),
    ],
  },
  {
    title: 'Codec, ledger and threshold building blocks (`packages/core/bench`)',
    short: 'core',
    rows: [
      perS('cbor_encode_op_per_s', 'CBOR encode a 255-byte ticket op'),
      perS('cbor_decode_op_per_s', 'CBOR strict decode (canonical re-encode check)', { label: 'CBOR encode of the same op', key: 'cbor_encode_op_per_s' }),
      perS('cbor_encode_state_1k_per_s', 'CBOR encode a 71 KiB 1k-ticket state'),
      perS('cbor_decode_state_1k_per_s', 'CBOR decode a 71 KiB 1k-ticket state', { label: 'CBOR encode of the same state', key: 'cbor_encode_state_1k_per_s' }),
      perS('sha256_op_per_s', 'SHA-256 of 255 bytes'),
      perS('ledger_validate_per_s', 'ticket ledger prepare + execute `validate` (WebCrypto)', { label: 'provider verify in the same loop', key: 'ledger_verify_per_s' }),
      perS('ledger_verify_per_s', 'provider verify (ledger baseline, WebCrypto)'),
      perS('ledger_digest_per_s', 'ledger `digest()` (incremental)'),
      perS('ledger_noble_validate_per_s', 'ticket ledger prepare + execute `validate` (noble)', { label: 'noble verify in the same loop', key: 'ledger_noble_verify_per_s' }),
      perS('ledger_noble_verify_per_s', 'noble verify (ledger baseline)'),
      perS('ledger_noble_digest_per_s', 'ledger `digest()` (noble ledger)'),
      perS('bn254_mul_per_s', 'bn254 Fr multiplications'),
      ...[4, 7].flatMap((n) => {
        const mul: Limit = { label: 'bn254 Fr mult', key: 'bn254_mul_per_s' };
        return [
          perS(`shamir_n${n}_open_many_per_s`, `n=${n} openMany (values/s, batches of 1,000)`, mul),
          perS(`shamir_n${n}_open_per_s`, `n=${n} open, one value per call`, mul),
          perS(`shamir_n${n}_open_many_liar_per_s`, `n=${n} openMany with 1 liar on every value`, mul),
          perS(`shamir_n${n}_open_bw_per_s`, `n=${n} open with 1 wrong share (Berlekamp–Welch)`, mul),
          perS(`shamir_n${n}_robust_reconstruct_per_s`, `n=${n} robustReconstruct, 1 wrong share`, mul),
        ];
      }),
      perS('x25519_per_s', 'x25519 shared secret (noble)'),
      perS('seal_per_s', '`sealTo` (keygen + ECDH + HKDF + AEAD)', { label: 'x25519', key: 'x25519_per_s' }),
      perS('open_sealed_per_s', '`openSealed` (ECDH + HKDF + AEAD)', { label: 'x25519', key: 'x25519_per_s' }),
      perS('ed25519_var_mul_per_s', 'ed25519 variable-base multiply (noble)'),
      ...[4, 7].flatMap((n) => {
        const mul: Limit = { label: `${n} members × 1 ed25519 var-base mult (all in one thread)`, key: 'ed25519_var_mul_per_s', invert: true, scale: 1000 * n };
        return [ms(`dkg_n${n}_p50_ms`, `FROST DKG n=${n}, all members in one thread, p50`, mul), ms(`dkg_n${n}_p99_ms`, `FROST DKG n=${n} p99`, mul)];
      }),
    ],
  },
  {
    title: 'Transport and storage (`packages/transport-ws/bench`, `packages/storage-level/bench`)',
    short: 'transport/storage',
    note: 'Raw `webSocketTransport` between two processes on loopback (the transport\'s own ceiling, every frame sealed), and `levelStorage` in a temp dir (`sync: true` is an fsync per write).',
    rows: [
      { key: 'ws_100b_msgs_per_s', label: 'WS 100 B messages/s', unit: 'msgs/s' },
      { key: 'ws_100b_mb_per_s', label: 'WS 100 B payload MB/s', unit: 'MB/s' },
      { key: 'ws_64k_msgs_per_s', label: 'WS 64 KiB messages/s', unit: 'msgs/s' },
      { key: 'ws_64k_mb_per_s', label: 'WS 64 KiB payload MB/s', unit: 'MB/s' },
      ms('ws_echo_p50_ms', 'WS echo round trip (3 B) p50'),
      ms('ws_echo_p99_ms', 'WS echo round trip p99'),
      ms('ws_handshake_p50_ms', 'WS fresh endpoint to authenticated connection p50'),
      ms('ws_handshake_p99_ms', 'WS fresh endpoint to authenticated connection p99'),
      perS('level_put_sync_per_s', 'LevelDB put 256 B (sync)', { label: 'put without sync', key: 'level_put_nosync_per_s' }),
      ms('level_put_sync_p99_ms', 'LevelDB put (sync) p99'),
      perS('level_batch16_sync_per_s', 'LevelDB batch of 16 × 256 B (sync)', { label: 'batch without sync', key: 'level_batch16_nosync_per_s' }),
      perS('level_get_per_s', 'LevelDB get 256 B'),
      perS('level_put_nosync_per_s', 'LevelDB put 256 B (no sync)'),
      perS('level_batch16_nosync_per_s', 'LevelDB batch of 16 (no sync)'),
    ],
  },
  {
    title: 'PBFT in one process, in-memory transport (`packages/consensus/bench`)',
    short: 'PBFT one process',
    note: 'Ticket ledger, WebCrypto, signed `issue` ops through `createClient` (16 clients × 16 outstanding). The limit is Ed25519 verifies/s through the provider measured in the same run ÷ n, one at a time (one core, the performance model of DESIGN.md) and with 32 in flight (both cores). Issue 3 asks for a ratio ≥ 0.6 ("roughly 1,000+ ops/s in one process") and p99 < 20 ms at half load.',
    rows: [
      perS('pbft_memory_verify_1_per_s', 'Ed25519 verifies/s, one at a time (limit)'),
      perS('pbft_memory_verify_32_per_s', 'Ed25519 verifies/s, 32 in flight (limit)'),
      ...pbftMemory(4),
      ...pbftMemory(7),
      { key: 'pbft_transfer_sha256_mb_per_s', label: 'SHA-256 MB/s (limit of checking transferred state)', unit: 'MB/s' },
      {
        key: 'pbft_transfer_receive_mb_per_s',
        label: 'state transfer: receiver checks the manifest and every part of a stadium-sized state (100,000 tickets; 50,000 quick)',
        unit: 'MB/s',
        limit: { label: 'SHA-256 MB/s, same run', key: 'pbft_transfer_sha256_mb_per_s', unit: 'MB/s' },
      },
      ms('pbft_transfer_serve_ms', 'state transfer: responder splits and hashes that state into parts (once per stable checkpoint)'),
      ms('pbft_transfer_catch_up_ms', 'state transfer end to end: a restarted replica catches up after 20,000 tickets (6,000 quick), n = 4, 256 KiB chunks'),
    ],
  },
  {
    title: 'PBFT cluster: replica processes on loopback WebSocket + LevelDB (`examples/cluster/bench`)',
    short: 'PBFT cluster (WS)',
    note: 'n replica processes (`sync: true`), 16 clients on 4 endpoints in the parent process, signed `issue` ops. "50 % / 90 % load" are open loops at that share of the measured peak; `pbft_n4_ws_p50_ms` / `pbft_n4_ws_p99_ms` are the 50 % load latencies that issue 4 targets. CPU per op counts every process (replicas and clients, all threads).',
    rows: [perS('pbft_ws_verify_32_per_s', 'Ed25519 verifies/s, 32 in flight (limit)'), perS('pbft_ws_verify_1_per_s', 'Ed25519 verifies/s, one at a time'), ...pbftWs(4), ...pbftWs(7)],
  },
  {
    title: 'Identity: MiMC, threshold PRF, committee, gate (`packages/identity/bench`)',
    short: 'identity',
    note: 'All committee members run in this one process (one thread), so CPU-bound figures are the whole committee\'s cost. "PRF over WS" is the MPC evaluation alone (tuples preprocessed) over loopback `webSocketTransport`; enrollment is end to end (sealed shares, MPC, registry, one FROST signature per batch).',
    rows: [
      perS('mimc7_per_s', 'plain MiMC-7 (91 rounds)', { label: 'bn254 Fr mults ÷ 364 (MiMC-7 = 364 mults by design)', key: 'mimc_bn254_mul_per_s', scale: 1 / 364 }),
      perS('mimc_bn254_mul_per_s', 'bn254 Fr mults (MiMC baseline)'),
      perS('prf_mimc7_baseline_per_s', 'plain MiMC-7 in the PRF run (limit)'),
      ...[4, 7].flatMap((n) => {
        const plain: Limit = { label: 'one plain MiMC-7', key: 'prf_mimc7_baseline_per_s', invert: true, scale: 1000 };
        return [
          ms(`prf_n${n}_memory_p50_ms`, `PRF n=${n}, one input, in memory, p50`, plain),
          ms(`prf_n${n}_memory_p99_ms`, `PRF n=${n} in memory p99`, plain),
          ms(`prf_n${n}_preprocess_tuple_ms`, `PRF n=${n} preprocessing per power tuple, verified by sacrifice (whole committee)`, n === 4 ? { label: 'the same unverified (semi-honest only)', key: 'prf_n4_preprocess_unverified_tuple_ms' } : undefined),
          ...(n === 4
            ? [ms('prf_n4_preprocess_signed_tuple_ms', 'PRF n=4 preprocessing per power tuple, verified, signed transcripts (names a cheater)', { label: 'verified, unsigned', key: 'prf_n4_preprocess_tuple_ms' })]
            : []),
        ];
      }),
      ...[4, 7].flatMap((n) => {
        const mem: Limit = { label: `the same evaluation in memory (p50/p99)`, key: `prf_n${n}_memory_p50_ms` };
        const net: Limit = { label: 'network floor: 92 rounds × WS echo RTT p50', key: 'ws_echo_p50_ms', scale: 92 };
        return [
          ms(`prf_n${n}_ws_p50_ms`, `PRF n=${n}, one input, over loopback WS, p50`, [mem, net], n === 4 ? atMost(40, ISSUE5) : undefined),
          ms(`prf_n${n}_ws_p99_ms`, `PRF n=${n} over WS p99`, { label: 'in-memory p99', key: `prf_n${n}_memory_p99_ms` }),
        ];
      }),
      perS('prf_n4_batch_per_s', 'MPC PRF n=4 batched (256 inputs), online', { label: 'plain MiMC-7', key: 'prf_mimc7_baseline_per_s', unit: 'ops/s' }, atLeast(500, ISSUE5), 'ids/s'),
      perS('prf_n4_batch_with_preprocessing_per_s', 'MPC PRF n=4 batched (256), including preprocessing', { label: 'plain MiMC-7', key: 'prf_mimc7_baseline_per_s', unit: 'ops/s' }, undefined, 'ids/s'),
      perS('prf_n4_batch64_per_s', 'MPC PRF n=4 batched (64), online', { label: 'plain MiMC-7', key: 'prf_mimc7_baseline_per_s', unit: 'ops/s' }, undefined, 'ids/s'),
      perS('prf_n4_batch64_with_preprocessing_per_s', 'MPC PRF n=4 batched (64), including preprocessing', { label: 'plain MiMC-7', key: 'prf_mimc7_baseline_per_s', unit: 'ops/s' }, undefined, 'ids/s'),
      perS(
        'enroll_n4_batch_per_s',
        'committee enrollment n=4 in memory, batched, tuples prepared in idle time',
        [
          { label: 'MPC PRF batched (256), online', key: 'prf_n4_batch_per_s' },
          { label: 'x25519 ÷ 4 (each member opens its sealed share, all in one thread)', key: 'x25519_per_s', scale: 1 / 4 },
        ],
        atLeast(500, ISSUE5),
        'ids/s',
      ),
      // Issue 5 names batched enrollment with preprocessing done ahead (input-independent, in idle time: the row
      // above). Sustaining 500/s with preprocessing inline is our own stretch target, kept visible because the
      // sustained rate is bounded by preprocessing.
      perS('enroll_n4_batch_inline_per_s', 'committee enrollment n=4 in memory, batched, preprocessing inline', { label: 'MPC PRF batched (256) incl. preprocessing', key: 'prf_n4_batch_with_preprocessing_per_s' }, atLeast(500, 'stretch (ours)'), 'ids/s'),
      perS(
        'enroll_n4_batch_ledger_per_s',
        'committee enrollment n=4 in memory, batched, tag registry on PBFT (4 replicas in the same process)',
        { label: 'the same with the registry in member storage', key: 'enroll_n4_batch_per_s' },
        undefined,
        'ids/s',
      ),
      ms('enroll_memory_p50_ms', 'one enrollment end to end, in memory, p50'),
      ms('enroll_memory_p99_ms', 'one enrollment in memory p99'),
      ms('enroll_ws_p50_ms', 'one enrollment over loopback WS p50', { label: 'the same in memory', key: 'enroll_memory_p50_ms' }),
      ms('enroll_ws_p99_ms', 'one enrollment over WS p99', { label: 'the same in memory', key: 'enroll_memory_p99_ms' }),
      ms('enroll_ledger_memory_p50_ms', 'one enrollment in memory, tag registry on PBFT, p50', { label: 'registry in member storage', key: 'enroll_memory_p50_ms' }),
      ms('enroll_ledger_memory_p99_ms', 'one enrollment in memory, tag registry on PBFT, p99', { label: 'registry in member storage', key: 'enroll_memory_p99_ms' }),
    ],
  },
  {
    title: 'Gate: offline `verifyAdmission` (`packages/identity/bench`)',
    short: 'gate',
    note: 'Distinct valid presentations. Cold = batch cache off (3 signatures: committee batch, organizer pass, holder code); the shipped default caches verified committee batches (2 signatures). Issue 5 targets ≥ 3,000/s with p99 ≤ 2 ms "on one core": the one-at-a-time rows. "16 in flight" is a gate server handling many lanes; by Little\'s law its mean latency is 16 ÷ throughput (≥ 1.4 ms at the 2-verify limit), so its p99 is queueing, shown without a target.',
    rows: [
      perS('gate_ed25519_verify_16_per_s', 'Ed25519 verifies/s, 16 in flight (limit)'),
      perS('gate_ed25519_verify_1_per_s', 'Ed25519 verifies/s, one at a time (limit)'),
      perS('gate_verify_per_s', 'verifyAdmission, default (batch cache), 16 in flight', { label: 'verifies/s (16 in flight) ÷ 2', key: 'gate_ed25519_verify_16_per_s', scale: 1 / 2, unit: 'ops/s' }, undefined, 'verifications/s'),
      ms('gate_verify_p50_ms', 'verifyAdmission p50 latency (16 in flight)'),
      ms('gate_verify_p99_ms', 'verifyAdmission p99 latency (16 in flight)', { label: '16 × 2 verifies (queue of 16)', key: 'gate_ed25519_verify_16_per_s', invert: true, scale: 32_000 }),
      perS('gate_verify_serial_per_s', 'verifyAdmission, default (batch cache), one at a time', { label: 'verifies/s (one at a time) ÷ 2', key: 'gate_ed25519_verify_1_per_s', scale: 1 / 2, unit: 'ops/s' }, atLeast(3000, ISSUE5), 'verifications/s'),
      ms('gate_verify_serial_p50_ms', 'verifyAdmission p50 latency (one at a time)'),
      ms('gate_verify_serial_p99_ms', 'verifyAdmission p99 latency (one at a time)', { label: '2 verifies, one at a time', key: 'gate_ed25519_verify_1_per_s', invert: true, scale: 2000 }, atMost(2, ISSUE5)),
      perS('gate_verify_cold_per_s', 'verifyAdmission, cold (no cache), 16 in flight', { label: 'verifies/s (16 in flight) ÷ 3', key: 'gate_ed25519_verify_16_per_s', scale: 1 / 3 }),
      ms('gate_verify_cold_p99_ms', 'verifyAdmission p99 latency (cold, 16 in flight)'),
      perS('gate_verify_cold_serial_per_s', 'verifyAdmission, cold, one at a time', { label: 'verifies/s (one at a time) ÷ 3', key: 'gate_ed25519_verify_1_per_s', scale: 1 / 3 }),
      ms('gate_verify_cold_serial_p99_ms', 'verifyAdmission p99 latency (cold, one at a time)', { label: '3 verifies, one at a time', key: 'gate_ed25519_verify_1_per_s', invert: true, scale: 3000 }),
    ],
  },
  {
    title: 'Market: TDH2 on ristretto255 (`packages/market/bench`)',
    short: 'TDH2',
    note: 'Items/s beside one constant-time ristretto255 variable-base scalar multiplication; the ratio is the median of per-round ratios, each round\'s limit measured right after it (steadier than either rate on a shared machine).',
    rows: [perS('ristretto_mul_per_s', 'ristretto255 var-base mult, constant time (limit)'), perS('ristretto_mul_unsafe_per_s', 'ristretto255 var-base `multiplyUnsafe`', { label: 'constant-time mult', key: 'ristretto_mul_per_s' }), ...tdh2(4), ...tdh2(7)],
  },
  {
    title: 'Market: F3B sealed-order epoch and `buyPrimary` (`packages/market/bench`)',
    short: 'market',
    note: 'An epoch of sealed orders (half asks, half bids) on the EventContract, timed from the committed cutoff to the settled state on one replica; members compute decryption shares as orders commit and release them after the cutoff ("cold" adds one member\'s share work). The limit is ristretto255 constant-time mults measured around each round, so a per-order ratio is scalar-mult equivalents per order. n = 4 always seals 1,000 orders (issue 6\'s target); n = 7 seals 250 in quick mode, so its figures are per order.',
    rows: [
      ...epoch(4),
      ...epoch(7),
      perS('buy_primary_n4_memory_ops_per_s', '`buyPrimary` through a 4-replica in-memory PBFT cluster', { label: 'Ed25519 verifies/s (16 in flight) around each round', key: 'buy_primary_n4_memory_verify_per_s' }),
      ratio('buy_primary_n4_memory_ratio', '`buyPrimary` cluster: ratio to Ed25519 verifies/s (median of per-round ratios)'),
      ms('buy_primary_n4_memory_p50_ms', '`buyPrimary` cluster p50 latency'),
      ms('buy_primary_n4_memory_p99_ms', '`buyPrimary` cluster p99 latency'),
      perS('buy_primary_n4_memory_verify_per_s', 'Ed25519 verifies/s, 16 in flight, around the cluster rounds (limit)'),
      perS('buy_primary_local_ops_per_s', '`buyPrimary` through the local engine (no replication)', { label: 'Ed25519 verifies/s (16 in flight)', key: 'buy_primary_local_verify_per_s' }),
      ms('buy_primary_local_p50_ms', '`buyPrimary` local engine p50 latency'),
      ms('buy_primary_local_p99_ms', '`buyPrimary` local engine p99 latency'),
      perS('buy_primary_local_verify_per_s', 'Ed25519 verifies/s, 16 in flight, after the local run (limit)'),
    ],
  },
  {
    title: 'Market: "which tickets do I hold?" (`packages/market/bench`)',
    short: 'holdings',
    note: "Pages of 10 of one holder's tickets through `contract.query` (the `tickets` query with `holder`), from the derived per-event holder index; each holder holds 10 tickets of 1,000 (1 %) or 100 of 100,000 (0.1 %). The limit of the 100,000-ticket rows is the same query at 1,000 tickets, so the ratio shows how little a page's cost depends on the event's size; the full scan is what a client would do without the index.",
    rows: [
      perS('holder_page_1k_per_s', 'holder page of 10, 1,000 tickets / 100 holders', undefined, undefined, 'pages/s'),
      ms('holder_page_1k_p50_ms', 'holder page p50, 1,000 tickets'),
      ms('holder_page_1k_p99_ms', 'holder page p99, 1,000 tickets'),
      perS('holder_page_100k_per_s', 'holder page of 10, 100,000 tickets / 1,000 holders', { label: 'the same at 1,000 tickets', key: 'holder_page_1k_per_s', unit: 'pages/s' }, undefined, 'pages/s'),
      ratio('holder_page_100k_vs_1k_ratio', 'pages/s at 100,000 tickets ÷ at 1,000'),
      ms('holder_page_100k_p50_ms', 'holder page p50, 100,000 tickets'),
      ms('holder_page_100k_p99_ms', 'holder page p99, 100,000 tickets'),
      ms('holder_scan_100k_ms', 'without the index: scan every page of 100,000 tickets for one holder', { label: '10 holder pages at 100,000 tickets', key: 'holder_page_100k_per_s', invert: true, scale: 10_000 }),
    ],
  },
];

/** The keys the issue names explicitly; all are in {@link SECTIONS} too. */
export const REQUIRED_KEYS: readonly string[] = [
  'ed25519_verify_per_s',
  'pbft_n4_memory_ops_per_s',
  'pbft_n4_ws_ops_per_s',
  'pbft_n4_ws_p50_ms',
  'pbft_n4_ws_p99_ms',
  'pbft_n7_ws_ops_per_s',
  'gate_verify_per_s',
  'prf_n4_ws_p50_ms',
  'prf_n4_batch_per_s',
  'f3b_epoch1000_n4_s',
];

/** Every key the report describes (rows, and the ratio keys their limits point at). */
export function describedKeys(): Set<string> {
  const keys = new Set<string>();
  for (const s of SECTIONS) {
    for (const r of s.rows) {
      keys.add(r.key);
      const limits = r.limit === undefined ? [] : Array.isArray(r.limit) ? r.limit : [r.limit as Limit];
      for (const l of limits) if (l.ratioKey !== undefined) keys.add(l.ratioKey);
    }
  }
  return keys;
}

/** Keys that `figures` lacks: the issue's required keys and every key the report describes. */
export function missingKeys(figures: Readonly<Record<string, number>>): string[] {
  const wanted = new Set([...REQUIRED_KEYS, ...describedKeys()]);
  return [...wanted].filter((k) => !(k in figures));
}
