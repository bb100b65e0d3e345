import { Worker } from 'node:worker_threads';
import type { WasmMemory, WasmModule } from './wasm-api.ts';
import { WORKER_SOURCE } from './worker-source.ts';

/** Exports with the task signature (argsPtr, tid, nt) that may run on several threads. */
export const TASKS = [
  'k_matmul',
  'k_conv2d',
  'k_conv2d_bwd_input',
  'k_conv2d_bwd_filter',
  'k_sum_partials',
  'k_maxpool2d',
  'k_maxpool2d_bwd',
  'k_avgpool2d',
  'k_avgpool2d_bwd',
  'k_unary',
  'k_binary',
  'k_where',
  'k_fill32',
  'k_copy32',
  'k_reduce',
] as const;
export type TaskName = (typeof TASKS)[number];

type TaskFn = (args: number, tid: number, nt: number) => void;

const GEN = 0;
const PENDING = 1;
const FN = 2;
const ARGS = 3;
const NT = 4;
const READY = 5;

/**
 * A fixed pool of worker threads over the backend's shared memory. `run` is synchronous: the calling
 * thread publishes the task, does share 0 itself, then waits (spinning briefly, then Atomics.wait,
 * which Node allows on the main thread) for the workers' shares. Workers are unref'd so they never keep
 * the process alive. There is one pool per backend and kernels never dispatch from inside a task, so
 * there is no nested parallelism.
 */
export class ThreadPool {
  private readonly ctl: Int32Array;
  private readonly workers: Worker[] = [];
  private readonly local: Record<TaskName, TaskFn>;

  constructor(
    module: WasmModule,
    memory: WasmMemory,
    exports: Record<string, unknown>,
    ctrlPtr: number,
    stackTops: readonly number[],
    spinMs = 2,
  ) {
    this.ctl = new Int32Array(memory.buffer, ctrlPtr, 8);
    this.local = Object.fromEntries(TASKS.map((t) => [t, exports[t] as TaskFn])) as Record<TaskName, TaskFn>;
    stackTops.forEach((stackTop, i) => {
      const w = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { module, memory, ctrl: ctrlPtr, tid: i + 1, stackTop, tasks: [...TASKS], spinMs },
        // The worker needs none of the parent's flags (a TypeScript loader would only slow its start).
        execArgv: [],
      });
      w.unref();
      w.on('error', (e) => {
        this.error = e;
      });
      this.workers.push(w);
    });
  }

  private error: Error | undefined;

  /**
   * Resolves when every worker has instantiated the module. It polls with a timer, which keeps the event
   * loop alive while waiting (the unref'd workers' own events would not).
   */
  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      const poll = () => {
        if (this.error !== undefined) reject(this.error);
        else if (Atomics.load(this.ctl, READY) >= this.workers.length) resolve();
        else setTimeout(poll, 1);
      };
      poll();
    });
  }

  /** Threads a task can use right now: 1 until every worker has started. */
  get threads(): number {
    return Atomics.load(this.ctl, READY) >= this.workers.length ? this.workers.length + 1 : 1;
  }

  /** Threads once warmed up. */
  get size(): number {
    return this.workers.length + 1;
  }

  /** Runs `task` on `nt` threads (clamped to what is ready) and returns when all shares are done. */
  run(task: TaskName, args: number, nt: number): void {
    const n = Math.max(1, Math.min(nt, this.threads));
    const fn = this.local[task];
    if (n === 1) {
      fn(args, 0, 1);
      return;
    }
    const c = this.ctl;
    c[FN] = TASKS.indexOf(task);
    c[ARGS] = args;
    c[NT] = n;
    Atomics.store(c, PENDING, n - 1);
    Atomics.add(c, GEN, 1);
    Atomics.notify(c, GEN);
    fn(args, 0, n);
    let spins = 0;
    for (;;) {
      const p = Atomics.load(c, PENDING);
      if (p === 0) break;
      if (++spins > 20000) Atomics.wait(c, PENDING, p, 1);
    }
  }

  terminate(): Promise<number[]> {
    return Promise.all(this.workers.map((w) => w.terminate()));
  }
}
