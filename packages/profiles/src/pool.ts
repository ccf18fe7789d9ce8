import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { LptError } from '@lptool/core';
import { isSiteWideError, removeTempsOf, startFsync } from '@lptool/io';
import { failedOutcome, type MeterJob, type MeterOutcome, runMeterJob } from './meter-job.js';
import { shadowPathFor } from './shadow.js';
import { cachePathFor } from './sidecar.js';

/** A worker's old-generation cap (MB): keeps each thread's RSS flat. `LPTOOL_WORKER_HEAP_MB` changes it. */
const WORKER_HEAP_MB = 192;

/**
 * Each worker's old-generation cap in MB: `LPTOOL_WORKER_HEAP_MB` (a whole number > 0), else 192. Anything else
 * in the variable is exit 2 naming it — a typo must not quietly give the default.
 */
export function workerHeapMb(env: NodeJS.ProcessEnv): number {
  const text = env.LPTOOL_WORKER_HEAP_MB;
  if (text === undefined || text.trim() === '') return WORKER_HEAP_MB;
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1 || !Number.isSafeInteger(Number(text)))
    throw new LptError(
      'LPT_CONFIG',
      `LPTOOL_WORKER_HEAP_MB — expected a whole number of megabytes > 0 (default ${WORKER_HEAP_MB}), got ${JSON.stringify(text)}`,
      { key: 'LPTOOL_WORKER_HEAP_MB' },
    );
  return Number(text);
}

/** What a worker posts back for one job. */
export type WorkerReply =
  | { ok: true; outcome: MeterOutcome }
  | { ok: false; message: string; code?: string | undefined; stack?: string | undefined };

/**
 * Run meter jobs on a pool of worker threads (one per core, at most one per
 * job and per 64 input files), or in this thread when there is one job, one
 * core, `LPTOOL_WORKERS=1`,
 * or the code runs from TypeScript sources (tests). Outcomes come back in job
 * order, so output and logs do not depend on thread timing. As each meter
 * finishes, the fsyncs of what it wrote start on this thread's libuv pool, so
 * the disk works while the next meters are built; the caller commits.
 *
 * One meter never fails the others: a meter whose job throws is reported as
 * failed (its profile left as it was); a worker that dies on its memory cap (one
 * huge export) is replaced, and its meter is built again in this thread, whose
 * heap is not capped, in full. Only a full or read-only disk stops the run.
 */
export async function runMeterJobs(
  jobs: MeterJob[],
  env: NodeJS.ProcessEnv = process.env,
  onDone?: (outcome: MeterOutcome) => void,
): Promise<MeterOutcome[]> {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const wanted = env.LPTOOL_WORKERS ? Math.max(1, Number(env.LPTOOL_WORKERS) || 1) : cores;
  // a thread costs ~0.15 s to start: only worth it for real work (a cron append reads a file or two per meter)
  const files = jobs.reduce((n, j) => n + (j.append?.files.length ?? j.files.length), 0);
  const size = Math.min(wanted, jobs.length, Math.ceil(files / 64));
  const done = (o: MeterOutcome) => {
    onDone?.(o);
    return o;
  };
  if (size <= 1 || import.meta.url.endsWith('.ts')) return jobs.map((j) => done(started(runGuarded(j))));

  const outcomes: MeterOutcome[] = new Array(jobs.length);
  const died: number[] = [];
  let next = 0;
  const workers: Worker[] = [];
  const heapMb = workerHeapMb(env);
  /** One worker taking jobs until none are left; if it dies, the job it had is noted and a new worker goes on. */
  const drain = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      // a young generation of 16 MB keeps scavenges cheap; the old-generation cap keeps RSS flat per worker
      const w = new Worker(new URL('./worker.js', import.meta.url), {
        resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: Math.min(16, heapMb) },
      });
      workers.push(w);
      let current = -1;
      const feed = () => {
        if (next >= jobs.length) return resolve();
        current = next++;
        w.postMessage(jobs[current]);
      };
      w.on('message', (m: WorkerReply) => {
        if (!m.ok && isSiteWideError(m)) return reject(Object.assign(new Error(m.message), { code: m.code }));
        outcomes[current] = done(m.ok ? started(m.outcome) : failedOutcome(jobs[current]!, m.message));
        current = -1;
        feed();
      });
      w.once('error', () => {
        w.removeAllListeners('message');
        if (current >= 0) died.push(current);
        drain().then(resolve, reject);
      });
      feed();
    });
  try {
    await Promise.all(Array.from({ length: size }, drain));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  for (const i of died.sort((a, b) => a - b)) {
    // what the dead worker was writing is nobody's now (we hold the site lock)
    for (const f of [jobs[i]!.output, shadowPathFor(jobs[i]!.output), cachePathFor(jobs[i]!.output)]) removeTempsOf(f);
    outcomes[i] = started(runGuarded({ ...jobs[i]!, append: null }));
    outcomes[i]!.events.unshift([
      'warn',
      { event: 'worker-died', meter: jobs[i]!.info.meter, name: jobs[i]!.info.name, heapMb },
      `${jobs[i]!.info.name}: its worker thread hit its memory cap (${heapMb} MB); built again in the main thread`,
    ]);
  }
  return outcomes;
}

/** As each meter finishes, start the fsyncs of what it wrote (the caller commits). */
function started(o: MeterOutcome): MeterOutcome {
  for (const f of o.pending ?? []) startFsync(f.temp);
  if (o.swap) startFsync(o.swap.shadow);
  return o;
}

/** Build one meter in this thread; anything it throws fails that meter only — but a full or read-only disk stops the run. */
export function runGuarded(job: MeterJob): MeterOutcome {
  try {
    return runMeterJob(job);
  } catch (e) {
    if (isSiteWideError(e)) throw e;
    return failedOutcome(job, (e as Error)?.message ?? String(e));
  }
}
