import os from 'node:os';
import v8 from 'node:v8';
import { threadId, Worker } from 'node:worker_threads';
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

/** What a worker posts back for one job (`at`: its place in the queue). */
export type JobReply =
  | { at: number; ok: true; outcome: MeterOutcome }
  | { at: number; ok: false; message: string; code?: string | undefined; stack?: string | undefined };

/** What a worker posts: a job's reply, or that it found the queue empty. */
export type WorkerReply = JobReply | { done: true };

/** What a worker is started with: the jobs in queue order (`SharedJobs`), the shared queue, and its slot in it. */
export interface WorkerStart {
  jobs: { bytes: SharedArrayBuffer; offsets: SharedArrayBuffer };
  queue: SharedArrayBuffer;
  slot: number;
}

/**
 * The jobs in queue order, serialized once into shared memory: a worker decodes only the job it takes (a copy of
 * every job in every worker would be 10–15 MB a worker at 1,000 meters — their 53,000 file names).
 */
export class SharedJobs {
  private readonly bytes: Buffer;
  private readonly offsets: Int32Array;

  constructor(readonly shared: WorkerStart['jobs']) {
    this.bytes = Buffer.from(shared.bytes);
    this.offsets = new Int32Array(shared.offsets);
  }

  static of(jobs: MeterJob[]): SharedJobs {
    const each = jobs.map((j) => v8.serialize(j));
    const offsets = new Int32Array(new SharedArrayBuffer(4 * (each.length + 1)));
    each.forEach((b, k) => {
      offsets[k + 1] = offsets[k]! + b.length;
    });
    const bytes = new SharedArrayBuffer(offsets[each.length]!);
    const view = Buffer.from(bytes);
    each.forEach((b, k) => {
      b.copy(view, offsets[k]!);
    });
    return new SharedJobs({ bytes, offsets: offsets.buffer as SharedArrayBuffer });
  }

  /** Job `at` of the queue. */
  get(at: number): MeterJob {
    return v8.deserialize(this.bytes.subarray(this.offsets[at]!, this.offsets[at + 1]!)) as MeterJob;
  }
}

/**
 * The shared job queue: jobs in queue order (largest first), taken from the front by the workers and from the
 * back by the main thread. Word 0 (BigInt64) holds the front (low 32 bits) and the back (high 32 bits), claimed
 * with one compare-exchange; then one Int32 per worker slot: the queue place it is building (−1: none), so the
 * job of a worker that dies is known.
 */
export class JobQueue {
  private readonly ends: BigInt64Array;
  private readonly building: Int32Array;

  constructor(
    readonly buffer: SharedArrayBuffer,
    count?: number,
  ) {
    this.ends = new BigInt64Array(buffer, 0, 1);
    this.building = new Int32Array(buffer, 8);
    if (count !== undefined) {
      Atomics.store(this.ends, 0, BigInt(count) << 32n);
      this.building.fill(-1);
    }
  }

  /** A queue of `count` jobs for `slots` workers. */
  static create(count: number, slots: number): JobQueue {
    return new JobQueue(new SharedArrayBuffer(8 + 4 * Math.max(1, slots)), count);
  }

  /**
   * The next place to build, from the front (workers) or the back (the main thread, which leaves the first
   * `reserved` places to the workers: each worker's first meter is one of the largest, whenever it starts);
   * −1 when none is left.
   */
  take(fromBack: boolean, reserved = 0): number {
    for (;;) {
      const v = Atomics.load(this.ends, 0);
      const front = Number(v & 0xffff_ffffn);
      const back = Number(v >> 32n);
      if (front >= back || (fromBack && back <= reserved)) return -1;
      const next = fromBack ? (BigInt(back - 1) << 32n) | BigInt(front) : (BigInt(back) << 32n) | BigInt(front + 1);
      if (Atomics.compareExchange(this.ends, 0, v, next) === v) return fromBack ? back - 1 : front;
    }
  }

  /** Nothing more is handed out (a site-wide error stops the run). */
  close(): void {
    for (;;) {
      const v = Atomics.load(this.ends, 0);
      if (Atomics.compareExchange(this.ends, 0, v, ((v >> 32n) << 32n) | (v >> 32n)) === v) return;
    }
  }

  /** Worker `slot` is building queue place `at` (−1: nothing). */
  mark(slot: number, at: number): void {
    Atomics.store(this.building, slot, at);
  }

  /** The queue place worker `slot` is building (−1: none). */
  at(slot: number): number {
    return Atomics.load(this.building, slot);
  }
}

/** Job indices largest first (input bytes; ties in job order): the order the queue hands them out. */
export function queueOrder(jobs: readonly MeterJob[]): number[] {
  return jobs.map((_, i) => i).sort((a, b) => (jobs[b]!.bytes ?? 0) - (jobs[a]!.bytes ?? 0) || a - b);
}

/** How many threads build (the main thread among them): one per core, at most one per job and per 64 input files. */
function threadCount(jobs: readonly MeterJob[], env: NodeJS.ProcessEnv): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const wanted = env.LPTOOL_WORKERS ? Math.max(1, Number(env.LPTOOL_WORKERS) || 1) : cores;
  // a thread costs ~0.05 s to start and warm: only worth it for real work (a cron append reads a file or two per meter)
  const files = jobs.reduce((n, j) => n + (j.append?.files.length ?? j.files.length), 0);
  return Math.min(wanted, jobs.length, Math.ceil(files / 64));
}

/**
 * Run meter jobs on this thread and a pool of worker threads (threads = one per core, at most one per job and per
 * 64 input files; workers = threads − 1), or in this thread alone when that is one thread, `LPTOOL_WORKERS=1`, or
 * the code runs from TypeScript sources (tests). The jobs are queued largest first (input bytes): the workers take
 * them from the front, this thread from the back, so the big meters start first and no core waits at the end on
 * one of them, and this thread — whose isolate is warm already — starts at once while the workers start (the first
 * meter of each worker is kept for it: the largest are always built on a worker, whose heap is capped). Outcomes
 * come back in job order, so output and logs do not depend on thread timing. As each meter finishes, the fsyncs
 * of what it wrote start on this thread's libuv pool, so the disk works while the next meters are built; the
 * caller commits.
 *
 * One meter never fails the others: a meter whose job throws is reported as failed (its profile left as it was);
 * a worker that dies on its memory cap (one huge export) is replaced, and its meter is built again in this
 * thread, whose heap is not capped, in full. Only a full or read-only disk stops the run.
 */
export async function runMeterJobs(
  jobs: MeterJob[],
  env: NodeJS.ProcessEnv = process.env,
  onDone?: (outcome: MeterOutcome) => void,
): Promise<MeterOutcome[]> {
  const threads = threadCount(jobs, env);
  const done = (o: MeterOutcome) => {
    onDone?.(o);
    return o;
  };
  if (threads <= 1 || import.meta.url.endsWith('.ts')) return jobs.map((j) => done(started(runGuarded(j))));
  const order = queueOrder(jobs);
  const outcomes: MeterOutcome[] = new Array(jobs.length);
  const take = (at: number, o: MeterOutcome) => {
    outcomes[order[at]!] = done(started({ ...o, thread: o.thread ?? threadId }));
  };
  const pool = new WorkerPool(
    order.map((i) => jobs[i]!),
    threads - 1,
    workerHeapMb(env),
    take,
  );
  try {
    // this thread takes from the back, yielding between meters so the workers' outcomes are taken as they come;
    // what is left when the workers are done (none could start) is built here too
    await buildHere(pool, threads - 1, (at) => take(at, runGuarded(jobs[order[at]!]!)));
    await pool.finished();
    await buildHere(pool, 0, (at) => take(at, runGuarded(jobs[order[at]!]!)));
  } finally {
    await pool.stop();
  }
  rebuildDied(
    jobs,
    outcomes,
    pool.died.map((at) => order[at]!),
    pool.heapMb,
  );
  return outcomes;
}

/** Meters from the back of the queue, built in this thread (not the first `reserved`), until none is left. */
async function buildHere(pool: WorkerPool, reserved: number, build: (at: number) => void): Promise<void> {
  for (let at = pool.queue.take(true, reserved); at >= 0 && !pool.failed; at = pool.queue.take(true, reserved)) {
    build(at);
    await new Promise<void>((r) => setImmediate(r));
  }
}

/** The workers of one run: started on the shared queue, replaced when one dies; what they built goes to `take`. */
class WorkerPool {
  readonly queue: JobQueue;
  /** Queue places whose worker died while building them. */
  readonly died: number[] = [];
  /** A site-wide error (disk full, read-only) a worker met: the run stops. */
  failed: Error | null = null;
  private readonly shared: SharedJobs;
  private readonly workers = new Set<Worker>();
  private readonly running: Promise<void>[] = [];
  private fail: (e: Error) => void = () => {};
  private readonly failure = new Promise<never>((_, reject) => {
    this.fail = reject;
  });

  constructor(
    private readonly queued: MeterJob[],
    slots: number,
    readonly heapMb: number,
    private readonly take: (at: number, o: MeterOutcome) => void,
  ) {
    this.queue = JobQueue.create(queued.length, slots);
    this.shared = SharedJobs.of(queued);
    this.failure.catch(() => {}); // (awaited in finished(); a failure before that is not unhandled)
    for (let slot = 0; slot < slots; slot++) this.running.push(this.start(slot));
  }

  /** Every worker done (the queue is empty), or the site-wide error one of them met. */
  async finished(): Promise<void> {
    await Promise.race([Promise.all(this.running), this.failure]);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.workers].map((w) => w.terminate()));
  }

  /** One worker on `slot` until the queue is empty; if it dies, its job is noted and a new one goes on. */
  private start(slot: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const workerData: WorkerStart = { jobs: this.shared.shared, queue: this.queue.buffer, slot };
      // a young generation of 16 MB keeps scavenges cheap; the old-generation cap keeps RSS flat per worker
      const w = new Worker(new URL('./worker.js', import.meta.url), {
        workerData,
        resourceLimits: { maxOldGenerationSizeMb: this.heapMb, maxYoungGenerationSizeMb: Math.min(16, this.heapMb) },
      });
      this.workers.add(w);
      w.on('message', (m: WorkerReply) => {
        if ('done' in m) return resolve();
        if (m.ok) return this.take(m.at, m.outcome);
        if (isSiteWideError(m)) {
          this.failed ??= Object.assign(new Error(m.message), { code: m.code });
          this.queue.close();
          this.fail(this.failed);
          return resolve();
        }
        this.take(m.at, failedOutcome(this.queued[m.at]!, m.message));
      });
      w.once('error', () => {
        this.workers.delete(w);
        const at = this.queue.at(slot);
        this.queue.mark(slot, -1);
        // one that died building a meter (its memory cap) is replaced; one that could not start is not (the main
        // thread builds what is left)
        if (at < 0 || this.failed) return resolve();
        this.died.push(at);
        this.start(slot).then(resolve);
      });
    });
  }
}

/** The meters whose worker died building them, built again in this thread (in full), with a warning each. */
function rebuildDied(jobs: MeterJob[], outcomes: MeterOutcome[], died: number[], heapMb: number): void {
  for (const i of died.sort((a, b) => a - b)) {
    if (outcomes[i]) continue; // (its outcome came before the worker died)
    // what the dead worker was writing is nobody's now (we hold the site lock)
    for (const f of [jobs[i]!.output, shadowPathFor(jobs[i]!.output), cachePathFor(jobs[i]!.output)]) removeTempsOf(f);
    outcomes[i] = started(runGuarded({ ...jobs[i]!, append: null }));
    outcomes[i]!.events.unshift([
      'warn',
      { event: 'worker-died', meter: jobs[i]!.info.meter, name: jobs[i]!.info.name, heapMb },
      `${jobs[i]!.info.name}: its worker thread hit its memory cap (${heapMb} MB); built again in the main thread`,
    ]);
  }
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
