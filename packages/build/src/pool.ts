import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { startFsync } from '@lptool/io';
import { type MeterJob, type MeterOutcome, runMeterJob } from './meter-job.js';

/**
 * Run meter jobs on a pool of worker threads (one per core, at most one per
 * job and per 64 input files), or in this thread when there is one job, one
 * core, `LPTOOL_WORKERS=1`,
 * or the code runs from TypeScript sources (tests). Outcomes come back in job
 * order, so output and logs do not depend on thread timing. As each meter
 * finishes, the fsyncs of what it wrote start on this thread's libuv pool, so
 * the disk works while the next meters are built; the caller commits.
 */
export async function runMeterJobs(jobs: MeterJob[], env: NodeJS.ProcessEnv = process.env): Promise<MeterOutcome[]> {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const wanted = env.LPTOOL_WORKERS ? Math.max(1, Number(env.LPTOOL_WORKERS) || 1) : cores;
  // a thread costs ~0.15 s to start: only worth it for real work (a cron append reads a file or two per meter)
  const files = jobs.reduce((n, j) => n + j.list.length, 0);
  const size = Math.min(wanted, jobs.length, Math.ceil(files / 64));
  const workerUrl = new URL('./worker.js', import.meta.url);
  const started = (o: MeterOutcome) => {
    for (const f of o.pending ?? []) startFsync(f.temp);
    if (o.swap) startFsync(o.swap.shadow);
    return o;
  };
  if (size <= 1 || import.meta.url.endsWith('.ts')) return jobs.map((j) => started(runMeterJob(j)));

  const outcomes: MeterOutcome[] = new Array(jobs.length);
  let next = 0;
  const workers: Worker[] = [];
  try {
    await Promise.all(
      Array.from({ length: size }, () => {
        // a young generation of 16 MB keeps scavenges cheap; the old-generation cap keeps RSS flat per worker
        const w = new Worker(workerUrl, {
          resourceLimits: { maxOldGenerationSizeMb: 192, maxYoungGenerationSizeMb: 16 },
        });
        workers.push(w);
        return new Promise<void>((resolve, reject) => {
          const feed = () => {
            if (next >= jobs.length) return resolve();
            const i = next++;
            w.once('message', (m: { ok: true; outcome: MeterOutcome } | { ok: false; error: string }) => {
              if (!m.ok) return reject(new Error(m.error));
              outcomes[i] = started(m.outcome);
              feed();
            });
            w.postMessage(jobs[i]);
          };
          w.once('error', reject);
          feed();
        });
      }),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return outcomes;
}
