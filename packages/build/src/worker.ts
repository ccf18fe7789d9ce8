import { parentPort } from 'node:worker_threads';
import { fileSynced } from '@lptool/io';
import { type MeterJob, runMeterJob } from './meter-job.js';

// One meter at a time, as the pool sends them; the profile's temp is durable before the outcome goes back.
parentPort!.on('message', async (job: MeterJob) => {
  try {
    const outcome = runMeterJob(job);
    if (outcome.pending) await fileSynced(outcome.pending);
    parentPort!.postMessage({ ok: true, outcome });
  } catch (e) {
    parentPort!.postMessage({ ok: false, error: (e as Error).stack ?? String(e) });
  }
});
