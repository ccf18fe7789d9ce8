import { parentPort } from 'node:worker_threads';
import { errnoOf } from '@lptool/io';
import { type MeterJob, runMeterJob } from './meter-job.js';
import type { WorkerReply } from './pool.js';

// One meter at a time, as the pool sends them (the main thread fsyncs and commits what they wrote).
parentPort!.on('message', (job: MeterJob) => {
  let reply: WorkerReply;
  try {
    reply = { ok: true, outcome: runMeterJob(job) };
  } catch (e) {
    reply = { ok: false, message: (e as Error)?.message ?? String(e), code: errnoOf(e), stack: (e as Error)?.stack };
  }
  parentPort!.postMessage(reply);
});
