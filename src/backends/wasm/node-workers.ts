import { Worker } from 'node:worker_threads';
import type { PoolHost } from './pool.ts';
import { SERVE_SOURCE } from './worker-source.ts';

/** A node:worker_threads worker: the start message is its workerData. */
const NODE_WORKER_SOURCE = `${SERVE_SOURCE}
serve(require('node:worker_threads').workerData);
`;

/** User + system CPU time of the process, all threads, in ms. */
function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * The Node pool's threads: node:worker_threads workers running the worker program from source, unref'd so they
 * never keep the process alive. The calling thread may sleep in Atomics.wait, and the process CPU clock feeds
 * the pool's starvation test.
 */
export const nodeWorkers: PoolHost = {
  spawn(start, onError) {
    const w = new Worker(NODE_WORKER_SOURCE, {
      eval: true,
      workerData: start,
      // The worker needs none of the parent's flags (a TypeScript loader would only slow its start).
      execArgv: [],
    });
    w.unref();
    w.on('error', onError);
    return w;
  },
  callerMayWait: true,
  cpuMs: processCpuMs,
};
