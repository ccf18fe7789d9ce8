import { parentPort } from 'node:worker_threads';
import { type PrepJob, prepareJob, transferables } from './prepare.js';

// One source at a time, as the pool sends them; results go back with their buffers transferred, not copied.
parentPort!.on('message', async (job: PrepJob) => {
  try {
    const result = await prepareJob(job);
    parentPort!.postMessage({ ok: true, result }, transferables(result));
  } catch (e) {
    parentPort!.postMessage({ ok: false, error: (e as Error).stack ?? String(e) });
  }
});
