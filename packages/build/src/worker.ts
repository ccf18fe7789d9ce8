import { parentPort } from 'node:worker_threads';
import { type MeterJob, runMeterJob } from './meter-job.js';

// One meter at a time, as the pool sends them (the main thread fsyncs and commits what they wrote).
parentPort!.on('message', (job: MeterJob) => {
  try {
    parentPort!.postMessage({ ok: true, outcome: runMeterJob(job) });
  } catch (e) {
    parentPort!.postMessage({ ok: false, error: (e as Error).stack ?? String(e) });
  }
});
