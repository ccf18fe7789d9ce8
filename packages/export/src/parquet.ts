import fs from 'node:fs';
import path from 'node:path';
import {
  AtomicFile,
  acquireLock,
  commitAll,
  createLogger,
  type Logger,
  openSite,
  type PendingFile,
  type SiteOptions,
} from '@lptool/io';
import type { Shard } from '@lptool/profiles';
import {
  type DatasetManifest,
  type DatasetSource,
  MANIFEST_NAME,
  readDatasetManifest,
  writeDatasetManifest,
} from './dataset-manifest.js';
import type { ParquetCodec } from './parquet-encode.js';
import type { PartitionOut } from './parquet-engine.js';
import { preparedInOrder } from './prep-pool.js';
import type { Prepared, PrepJob } from './prepare.js';
import { type ExportSource, exportSources, sha256OfFile } from './sources.js';
import { ZSTD_LABEL } from './zstd.js';

export interface ParquetExportOptions extends SiteOptions {
  /** The dataset folder (default `export/parquet` under the root). */
  out?: string | undefined;
  /** Export only this shard's meters, and no system total (the fleet total is SQL over the shared dataset). */
  shard?: Shard | undefined;
  /** Rewrite every partition, changed or not. */
  full: boolean;
  lockWaitMs: number;
  /** Tests: another codec than zstd. */
  codec?: ParquetCodec;
}

export interface SourceExport {
  name: string;
  table: 'profiles' | 'system_total';
  status: 'exported' | 'unchanged' | 'missing' | 'failed' | 'removed';
  rows: number;
  partitionsWritten: number;
  error?: string;
}

export interface ParquetExportSummary {
  root: string;
  out: string;
  codec: string;
  sources: SourceExport[];
  rows: number;
  rowsWritten: number;
  partitionsWritten: number;
  partitionsUnchanged: number;
  partitionsRemoved: number;
  bytesWritten: number;
  seconds: number;
  exitCode: 0 | 1;
}

/** What one run changes in the dataset: files to commit, files to remove, manifest entries. */
interface Changes {
  pending: PendingFile[];
  remove: string[];
  entries: Map<string, DatasetSource | null>;
}

/** `lptool export parquet`: the site's profiles and total as a hive-partitioned Parquet dataset, incrementally. */
export async function exportParquet(options: ParquetExportOptions): Promise<ParquetExportSummary> {
  const t0 = performance.now();
  const { layout, clock } = openSite(options, []);
  const { sources, names } = exportSources(layout, options.shard);
  const out = path.resolve(layout.root, options.out ?? path.join('export', 'parquet'));
  // the codec itself is loaded where partitions are encoded (worker threads), and only when one is
  const codec = { label: options.codec?.label ?? ZSTD_LABEL };
  const releaseSite = acquireLock(layout.lockFile, { waitMs: options.lockWaitMs, command: 'lptool export' });
  fs.mkdirSync(out, { recursive: true });
  let releaseDataset = () => {};
  try {
    releaseDataset = acquireLock(path.join(out, '.lptool-export.lock'), {
      waitMs: options.lockWaitMs,
      command: 'lptool export parquet',
    });
    const log = createLogger(layout.logs, 'export', { cmd: 'export parquet' });
    log.info({ event: 'start', out, shard: options.shard, codec: codec.label }, 'export parquet started');
    const manifest = readDatasetManifest(path.join(out, MANIFEST_NAME), `lptool (${codec.label})`);
    const known = knownPartitions(out, options.full);
    const changes: Changes = { pending: [], remove: [], entries: new Map() };
    const summary = newSummary(layout.root, out, codec.label);
    const plans = sources.map((s) => planSource(s, manifest, out, options.full, log));
    const todo = plans.filter((p) => p.result.status === 'exported');
    const jobs: PrepJob[] = todo.map((p) => ({
      kind: 'parquet',
      source: p.source,
      zone: clock.zone,
      clock: clock.clock,
      known: known(p.prev),
    }));
    const counters = { encoded: 0, unchanged: 0, bytes: 0 };
    let k = 0;
    for await (const r of preparedInOrder(jobs, { env: options.env, codec: options.codec })) {
      const plan = todo[k++]!;
      plan.result = applyPrepared(plan, r, out, changes, log);
      if (r.ok) for (const c of ['encoded', 'unchanged', 'bytes'] as const) counters[c] += r.counters![c];
    }
    summary.sources.push(...plans.map((p) => p.result), ...removedMeters(manifest, names, changes));
    await commit(out, manifest, changes);
    finishSummary(summary, counters, changes, t0);
    log.info({ event: 'end', ...summaryCounts(summary) }, 'export parquet finished');
    return summary;
  } finally {
    releaseDataset();
    releaseSite();
  }
}

function newSummary(root: string, out: string, codec: string): ParquetExportSummary {
  return {
    root,
    out,
    codec,
    sources: [],
    rows: 0,
    rowsWritten: 0,
    partitionsWritten: 0,
    partitionsUnchanged: 0,
    partitionsRemoved: 0,
    bytesWritten: 0,
    seconds: 0,
    exitCode: 0,
  };
}

function finishSummary(
  summary: ParquetExportSummary,
  counters: { encoded: number; unchanged: number; bytes: number },
  changes: Changes,
  t0: number,
) {
  summary.rows = summary.sources.reduce((s, x) => s + x.rows, 0);
  summary.rowsWritten = summary.sources.reduce((s, x) => s + (x.status === 'exported' ? x.rows : 0), 0);
  summary.partitionsWritten = counters.encoded;
  summary.partitionsUnchanged = counters.unchanged;
  summary.partitionsRemoved = changes.remove.length;
  summary.bytesWritten = counters.bytes;
  summary.seconds = (performance.now() - t0) / 1000;
  summary.exitCode = summary.sources.some((s) => s.status === 'failed') ? 1 : 0;
}

function summaryCounts(s: ParquetExportSummary) {
  const { rows, rowsWritten, partitionsWritten, partitionsUnchanged, partitionsRemoved, bytesWritten, exitCode } = s;
  return { rows, rowsWritten, partitionsWritten, partitionsUnchanged, partitionsRemoved, bytesWritten, exitCode };
}

/** A source's recorded partition hashes, each trusted only while its file is there with the recorded size. */
function knownPartitions(out: string, full: boolean) {
  return (prev: DatasetSource | undefined): Record<string, string> => {
    const known: Record<string, string> = {};
    if (full || !prev) return known;
    for (const [p, x] of Object.entries(prev.partitions)) {
      const st = fs.statSync(path.join(out, p), { throwIfNoEntry: false });
      if (st && st.size === x.bytes) known[p] = x.hash;
    }
    return known;
  };
}

/** What to do with one source: keep it (unchanged or missing) or prepare it again. */
interface SourcePlan {
  source: ExportSource;
  result: SourceExport;
  sha256: string;
  stat: fs.Stats | undefined;
  prev: DatasetSource | undefined;
}

/** Unchanged (same SHA-256, every partition file in place), missing (kept as it was), or to be exported. */
function planSource(
  source: ExportSource,
  manifest: DatasetManifest,
  out: string,
  full: boolean,
  log: Logger,
): SourcePlan {
  const result: SourceExport = {
    name: source.key,
    table: source.table.name,
    status: 'exported',
    rows: 0,
    partitionsWritten: 0,
  };
  const stat = fs.statSync(source.file, { throwIfNoEntry: false });
  const prev = manifest.sources[source.key];
  if (!stat?.isFile()) {
    // never delete data because an input is missing: its partitions stay as they are
    log.warn({ event: 'missing', source: source.display }, `${source.display} is missing; its partitions are kept`);
    return {
      source,
      result: { ...result, status: 'missing', rows: prev?.rows ?? 0 },
      sha256: '',
      stat: undefined,
      prev,
    };
  }
  const sameFile = prev && prev.size === stat.size && prev.mtimeMs === stat.mtimeMs;
  const sha256 = sameFile ? prev.sha256 : sha256OfFile(source.file);
  if (prev && prev.sha256 === sha256 && !full && partitionsInPlace(prev, out))
    return { source, result: { ...result, status: 'unchanged', rows: prev.rows }, sha256, stat, prev };
  return { source, result, sha256, stat, prev };
}

/** A prepared source: its new partitions to temps, the old ones it no longer has to remove, its manifest entry. */
function applyPrepared(plan: SourcePlan, r: Prepared, out: string, changes: Changes, log: Logger): SourceExport {
  const { source, result, prev } = plan;
  if (!r.ok) {
    log.error({ event: 'failed', source: source.display, message: r.error }, r.error);
    return { ...result, status: 'failed', rows: prev?.rows ?? 0, error: r.error };
  }
  const parts = r.partitions!;
  for (const p of parts) if (p.bytes) changes.pending.push(writeTemp(out, p));
  const now = new Set(parts.map((p) => p.path));
  for (const old of Object.keys(prev?.partitions ?? {})) if (!now.has(old)) changes.remove.push(old);
  const bytes = (p: PartitionOut) => p.bytes?.length ?? prev?.partitions[p.path]?.bytes ?? 0;
  changes.entries.set(source.key, {
    table: source.table.name,
    file: source.display,
    ...(source.meter !== undefined ? { meter: source.meter } : {}),
    sha256: plan.sha256,
    size: plan.stat!.size,
    mtimeMs: plan.stat!.mtimeMs,
    rows: r.rows,
    first: r.first,
    last: r.last,
    exportedAt: new Date().toISOString(),
    partitions: Object.fromEntries(parts.map((p) => [p.path, { rows: p.rows, hash: p.hash, bytes: bytes(p) }])),
  });
  const written = parts.filter((p) => p.bytes).length;
  log.info(
    { event: 'source', source: source.display, rows: r.rows, partitions: parts.length, written },
    `${source.display} exported`,
  );
  return { ...result, rows: r.rows, partitionsWritten: written };
}

function partitionsInPlace(prev: DatasetSource, out: string): boolean {
  return Object.entries(prev.partitions).every(
    ([p, x]) => fs.statSync(path.join(out, p), { throwIfNoEntry: false })?.size === x.bytes,
  );
}

function writeTemp(out: string, p: PartitionOut): PendingFile {
  const f = new AtomicFile(path.join(out, ...p.path.split('/')));
  try {
    f.writeBytes(p.bytes!);
    return f.detach();
  } catch (e) {
    f.abort();
    throw e;
  }
}

/** Meters no longer in meter-data.csv (removed or renamed): their partitions go. */
function removedMeters(manifest: DatasetManifest, names: Set<string>, changes: Changes): SourceExport[] {
  const gone = Object.entries(manifest.sources).filter(([k, s]) => s.table === 'profiles' && !names.has(k));
  for (const [key, s] of gone) {
    changes.remove.push(...Object.keys(s.partitions));
    changes.entries.set(key, null);
  }
  return gone.map(([key]) => ({ name: key, table: 'profiles', status: 'removed', rows: 0, partitionsWritten: 0 }));
}

/**
 * New partition files replace the old ones (fsync'd together, then renamed: each file is the old or the new one,
 * whole, at every instant), then the partitions no longer made go, then the manifest is rewritten.
 */
async function commit(out: string, manifest: DatasetManifest, changes: Changes): Promise<void> {
  if (!changes.pending.length && !changes.remove.length && !changes.entries.size) return; // nothing changed
  await commitAll(changes.pending);
  for (const p of changes.remove) {
    const file = path.join(out, ...p.split('/'));
    fs.rmSync(file, { force: true });
    removeEmptyDirs(path.dirname(file), out);
  }
  for (const [key, entry] of changes.entries) {
    if (entry) manifest.sources[key] = entry;
    else delete manifest.sources[key];
  }
  writeDatasetManifest(path.join(out, MANIFEST_NAME), manifest);
}

function removeEmptyDirs(dir: string, stop: string): void {
  for (let d = dir; d.startsWith(stop) && d !== stop; d = path.dirname(d)) {
    try {
      fs.rmdirSync(d);
    } catch {
      return; // not empty
    }
  }
}
