import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ParquetCodec } from './parquet-encode.js';
import { type Prepared, type PrepJob, prepareJob } from './prepare.js';

export interface PoolOptions {
  /** Threads wanted (default: one per core; `LPTOOL_WORKERS` overrides). */
  threads?: number;
  /** How many results may wait, prepared, ahead of the one being consumed. */
  lookahead?: number;
  env?: NodeJS.ProcessEnv;
  /** In-thread runs only (tests): another codec. */
  codec?: ParquetCodec;
}

/**
 * Prepare sources on worker threads, ahead of the consumer, and yield the results in job order: while the
 * command writes one source's files (or the server loads its rows), the next ones are read and encoded. Runs
 * in this thread for a single job, a single thread, or from TypeScript sources (tests).
 */
export async function* preparedInOrder(jobs: PrepJob[], options: PoolOptions = {}): AsyncGenerator<Prepared> {
  const env = options.env ?? process.env;
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const wanted = env.LPTOOL_WORKERS ? Math.max(1, Number(env.LPTOOL_WORKERS) || 1) : (options.threads ?? cores);
  const size = Math.min(wanted, jobs.length);
  if (size < 1 || jobs.length <= 1 || import.meta.url.endsWith('.ts')) {
    for (const job of jobs) yield await prepareJob(job, options.codec);
    return;
  }
  const lookahead = Math.max(size, options.lookahead ?? size * 2);
  const results = new Map<number, Promise<Prepared>>();
  const workers = Array.from({ length: size }, () => ({
    worker: new Worker(new URL('./prep-worker.js', import.meta.url), {
      resourceLimits: { maxOldGenerationSizeMb: 1024, maxYoungGenerationSizeMb: 64 },
    }),
    busy: Promise.resolve() as Promise<unknown>,
  }));
  let dispatched = 0;
  /** Send job i to the next thread once it is free. */
  const dispatch = (i: number) => {
    const w = workers[i % size]!;
    const run = w.busy.then(
      () =>
        new Promise<Prepared>((resolve, reject) => {
          const onError = (e: Error) => reject(e);
          w.worker.once('error', onError);
          w.worker.once('message', (m: { ok: true; result: Prepared } | { ok: false; error: string }) => {
            w.worker.off('error', onError);
            if (m.ok) resolve(m.result);
            else reject(new Error(m.error));
          });
          w.worker.postMessage(jobs[i]);
        }),
    );
    run.catch(() => {});
    w.busy = run.catch(() => {});
    results.set(i, run);
  };
  try {
    for (let i = 0; i < jobs.length; i++) {
      while (dispatched < jobs.length && dispatched <= i + lookahead) dispatch(dispatched++);
      const r = await results.get(i)!;
      results.delete(i);
      yield r;
    }
  } finally {
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }
}
