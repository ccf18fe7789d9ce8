import { parentPort, threadId, workerData } from 'node:worker_threads';
import { errnoOf, isSiteWideError } from '@lptool/io';
import { type MeterJob, runMeterJob } from './meter-job.js';
import { JobQueue, type JobReply, type WorkerReply, type WorkerStart } from './pool.js';

// Meters from the front of the shared queue until none is left (the main thread fsyncs and commits what they wrote).
const { jobs, queue: buffer, slot } = workerData as WorkerStart;
const queue = new JobQueue(buffer);
for (let at = queue.take(false); at >= 0; at = queue.take(false)) {
  queue.mark(slot, at);
  const reply = build(jobs[at]!, at);
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
