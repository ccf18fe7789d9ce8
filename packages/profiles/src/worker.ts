import { parentPort, threadId, workerData } from 'node:worker_threads';
import { errnoOf, isSiteWideError } from '@lptool/io';
import { type MeterJob, runMeterJob } from './meter-job.js';
import { JobQueue, type JobReply, SharedJobs, type WorkerReply, type WorkerStart } from './pool.js';

// Meters from the front of the shared queue until none is left (the main thread fsyncs and commits what they wrote).
const start = workerData as WorkerStart;
const jobs = new SharedJobs(start.jobs);
const queue = new JobQueue(start.queue);
const { slot } = start;
for (let at = queue.take(false); at >= 0; at = queue.take(false)) {
  queue.mark(slot, at);
  const reply = build(jobs.get(at), at);
  parentPort!.postMessage(reply);
  queue.mark(slot, -1);
  if (!reply.ok && isSiteWideError(reply)) break; // (the main thread stops the run)
}
parentPort!.postMessage({ done: true } satisfies WorkerReply);

function build(job: MeterJob, at: number): JobReply {
  try {
    return { at, ok: true, outcome: { ...runMeterJob(job), thread: threadId } };
  } catch (e) {
    return { at, ok: false, message: (e as Error)?.message ?? String(e), code: errnoOf(e), stack: (e as Error)?.stack };
  }
}
