import { fail } from '../../core/errors.ts';
import type { WasmMemory, WasmModule } from './wasm-api.ts';

/** Exports with the task signature (argsPtr, block, blocks) that may run on several threads. */
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
  'k_relu_bwd',
  'k_axpy',
  'k_sgd_momentum',
  'k_adam',
  'k_argreduce',
] as const;
export type TaskName = (typeof TASKS)[number];

type TaskFn = (args: number, block: number, blocks: number, thread: number) => void;

/** What a worker starts with (Node: its workerData; a page: its first message), read by worker-source.ts. */
export interface WorkerStart {
  readonly module: WasmModule;
  readonly memory: WasmMemory;
  readonly ctrl: number;
  readonly tid: number;
  readonly stackTop: number;
  readonly tasks: readonly string[];
  readonly spinMs: number;
}

/**
 * Where a pool's threads come from: node:worker_threads (node-workers.ts) or a page's Web Workers
 * (web-workers.ts). The claiming protocol below is the same for both; this file imports nothing from Node, so
 * the browser bundle shares it.
 */
export interface PoolHost {
  /** Starts one worker running worker-source.ts's `serve`; its errors go to `onError`. */
  spawn(start: WorkerStart, onError: (e: Error) => void): { terminate(): unknown };
  /**
   * Whether the calling thread may sleep in Atomics.wait while workers finish their blocks. A page's main
   * thread may not: it spins (Atomics.load) instead.
   */
  readonly callerMayWait: boolean;
  /** The process's CPU time (all threads) in ms, for the starvation test (see account); absent: not judged. */
  readonly cpuMs?: () => number;
}

const GEN = 0;
const DONE = 1;
const FN = 2;
const ARGS = 3;
const NBLOCKS = 4;
const READY = 5;
/** Unclaimed blocks [front, end) as (end << 16) | front; 0 (empty) between tasks. */
const RANGE = 6;
const SLEEPERS = 7;
/** Blocks that threw on a worker (a wasm trap) since the caller last looked. */
const FAILED = 8;
const MAX_BLOCKS = 0x7fff;
/** Bounds of the periods tasks stay on the calling thread after dispatch stopped paying (see account). */
const SOLO_MIN_MS = 50;
const SOLO_MAX_MS = 2000;
/** A verdict on dispatch is taken after this much of the caller's kernel time, or this many tasks. */
const WINDOW_OWN_MS = 20;
const WINDOW_TASKS = 256;
/** Waiting up to this share of the caller's own kernel time beyond what workers saved is noise. */
const LOSS_TOLERANCE = 0.02;
/**
 * A window counts as starved when the process got fewer cores than 1 + this share per worker over it
 * (user + system CPU time over wall time; on a free machine a 2-thread MLP step runs at ~1.6-1.8) while
 * its tasks took at least DENSE of the wall time.
 */
const STARVED_SHARE = 0.25;
const DENSE = 0.5;

/**
 * A fixed pool of worker threads over the backend's shared memory. `run` is synchronous and splits a
 * task into blocks that threads claim from a shared range (dynamic scheduling): the calling thread
 * publishes the task, wakes sleeping workers, then claims blocks itself, so a worker the OS has not
 * scheduled yet never stalls it - the caller simply does that worker's blocks. It then waits (spin,
 * then Atomics.wait) only for blocks a worker has actually claimed (counted in DONE). The caller claims
 * from the front of the range and workers from the back, so with punctual workers each thread gets the
 * same blocks every time (the same slice of a weight matrix stays in its core's cache). Each block runs
 * `task(args, block, blocks, thread)`; kernels partition their work by block, and kernels with scratch
 * index it by block (at most `size` blocks for those) or by thread (0 = the caller). The host starts the
 * workers (Node: unref'd worker threads, so they never keep the process alive; a page: Web Workers) and says
 * whether the caller may sleep while it waits (a page's main thread spins). There is one pool per backend and kernels never
 * dispatch from inside a task, so there is no nested parallelism.
 *
 * Why it is safe to join late: a claim is a compare-exchange on the range word; the caller empties the
 * range when its task is done and, for the next task, writes the task, args and block count before
 * storing the new range, and a worker reads them only after its claim succeeded, so a claimed block
 * always belongs to the task now published. The caller returns only when every block is done, so no
 * block of a finished task is still running when the next one is published.
 */
export class ThreadPool {
  private readonly ctl: Int32Array;
  private readonly workers: { terminate(): unknown }[] = [];
  private readonly local: Record<TaskName, TaskFn>;
  private readonly callerMayWait: boolean;
  /** Tasks whose blocks were published to the workers, and blocks the workers ran (wasmInfo, tests). */
  dispatched = 0;
  workerBlocks = 0;

  constructor(
    module: WasmModule,
    memory: WasmMemory,
    exports: Record<string, unknown>,
    ctrlPtr: number,
    stackTops: readonly number[],
    host: PoolHost,
    spinMs = 0.1,
    private readonly adaptive = true,
  ) {
    this.ctl = new Int32Array(memory.buffer, ctrlPtr, 16);
    Atomics.store(this.ctl, RANGE, 0);
    this.local = Object.fromEntries(TASKS.map((t) => [t, exports[t] as TaskFn])) as Record<TaskName, TaskFn>;
    this.callerMayWait = host.callerMayWait;
    this.cpuMs = host.cpuMs;
    stackTops.forEach((stackTop, i) => {
      const start = { module, memory, ctrl: ctrlPtr, tid: i + 1, stackTop, tasks: [...TASKS], spinMs };
      this.workers.push(
        host.spawn(start, (e) => {
          this.error = e;
        }),
      );
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

  /**
   * Threads worth splitting a task for right now: 1 while tasks run on the calling thread alone (see
   * account), else `threads`. Kernels whose result does not depend on the block count (GEMM, which
   * never splits K; elementwise) size their blocks by it, so a solo period runs each task as one block
   * instead of, say, a GEMM's four blocks one after another, each packing the shared operand again.
   */
  get activeThreads(): number {
    return this.soloUntil > 0 && performance.now() < this.soloUntil ? 1 : this.threads;
  }

  /** Threads once warmed up. */
  get size(): number {
    return this.workers.length + 1;
  }

  /**
   * Runs blocks 0..blocks-1 of `task` and returns when all are done. One block, or workers not up yet:
   * all blocks run on the calling thread.
   */
  run(task: TaskName, args: number, blocks: number): void {
    const fn = this.local[task];
    if (blocks <= 1 || this.threads === 1 || (this.soloUntil > 0 && performance.now() < this.soloUntil)) {
      for (let b = 0; b < blocks; b++) fn(args, b, blocks, 0);
      return;
    }
    if (blocks > MAX_BLOCKS) fail('wasm.pool', `at most ${MAX_BLOCKS} blocks per task, got ${blocks}`);
    const c = this.ctl;
    c[FN] = TASKS.indexOf(task);
    c[ARGS] = args;
    c[NBLOCKS] = blocks;
    Atomics.store(c, DONE, 0);
    Atomics.store(c, RANGE, blocks << 16);
    Atomics.add(c, GEN, 1);
    if (Atomics.load(c, SLEEPERS) > 0) Atomics.notify(c, GEN);
    // A block that throws (a wasm trap) must not leave blocks of this task running into the next one:
    // close the range, wait for every block that was claimed, then report.
    let failure: unknown;
    let lost = 0;
    let mine = 0;
    const t0 = performance.now();
    try {
      for (;;) {
        const v = Atomics.load(c, RANGE);
        const b = v & 0xffff;
        if (b >= v >>> 16) break;
        if (Atomics.compareExchange(c, RANGE, v, v + 1) !== v) continue;
        fn(args, b, blocks, 0);
        mine++;
        Atomics.add(c, DONE, 1);
      }
    } catch (e) {
      failure = e;
      lost = 1;
    }
    const left = Atomics.exchange(c, RANGE, 0);
    const claimed = blocks - Math.max(0, (left >>> 16) - (left & 0xffff)) - lost;
    // Blocks still running belong to workers that are running (or were preempted): spin a little, then
    // sleep until the worker that completes the last block wakes us, so a worker sharing our core can run.
    // A page's main thread may not sleep: it keeps spinning.
    const t1 = performance.now();
    const mayWait = this.callerMayWait;
    let spins = 0;
    for (;;) {
      const d = Atomics.load(c, DONE);
      if (d >= claimed) break;
      if (++spins > 1000 && mayWait) Atomics.wait(c, DONE, d, 1);
    }
    this.dispatched++;
    this.workerBlocks += claimed - mine;
    if (this.adaptive) this.account(mine, claimed - mine, t1 - t0, performance.now() - t1);
    const workerFailures = Atomics.exchange(c, FAILED, 0);
    if (failure !== undefined) throw failure;
    if (workerFailures !== 0) fail('wasm', `kernel ${task} failed on a worker thread (a WebAssembly trap)`);
  }

  /** The current judging window: what workers saved the caller, what it waited, its own kernel time. */
  private winSaved = 0;
  private winWait = 0;
  private winOwn = 0;
  private winTasks = 0;
  /** performance.now() and the process's CPU time (ms) when the window's first task was accounted. */
  private winStart = 0;
  private winCpu = 0;
  /** The process CPU clock (ms) from the host, absent in a page; a field so tests can stand in for the load. */
  private cpuMs: (() => number) | undefined;
  /** Until this time (performance.now()), tasks run on the calling thread alone; 0 = never set. */
  private soloUntil = 0;
  /** How long the next solo period lasts: doubles while dispatch keeps failing to pay. */
  private soloMs = SOLO_MIN_MS;

  /**
   * Keeps parallel dispatch only while it pays, judged over a window (WINDOW_OWN_MS of the caller's
   * kernel time or WINDOW_TASKS tasks), never per task. Two signs that it does not:
   * - Waiting: per task the workers saved about (their blocks) x (the caller's time per block) and cost
   *   the time the caller then waited for them; a worker descheduled mid-block makes the caller wait.
   * - Starving: this machine shares CPU time between sessions (autogroups), not threads, so with another
   *   session busy our threads share one core between them. Workers then still take blocks and the
   *   caller never waits, but every block runs at half speed: the waiting test sees a gain that is not
   *   there (measured: MLP step 8.3-8.7 ms on 2 threads against 7.2 on 1). The process's CPU time over
   *   the window's wall time says how many cores it actually got; below 1 + STARVED_SHARE per worker while the window
   *   was dense with kernels (not a process idling between requests), the second thread is not running
   *   beside the first. Only where the host measures CPU time (Node); a page has no such clock, so there
   *   only the waiting test applies.
   * Either way tasks run on the calling thread alone for 50 ms, doubling up to 2 s while each new try
   * fails and halving back when dispatch pays. Judged per task, one late wake-up or a task the worker
   * missed switched a quiet machine to one thread for seconds at a time, and the MLP step ran no faster
   * on 2 threads than on 1 (docs/decisions/wasm-perf.md). Which thread runs a block never changes its
   * result.
   */
  private account(mine: number, theirs: number, ownMs: number, waitMs: number): void {
    if (this.winTasks === 0) {
      // The window opens after its first task (so a solo period before it is not counted).
      this.winStart = performance.now();
      this.winCpu = this.cpuMs?.() ?? 0;
    } else {
      this.winSaved += theirs === 0 ? 0 : mine > 0 ? (theirs * ownMs) / mine : ownMs + waitMs;
      this.winWait += waitMs;
      this.winOwn += ownMs;
    }
    if (++this.winTasks < WINDOW_TASKS && this.winOwn < WINDOW_OWN_MS) return;
    const { winSaved: saved, winWait: wait, winOwn: own } = this;
    const wall = performance.now() - this.winStart;
    const cores = this.cpuMs === undefined ? Infinity : (this.cpuMs() - this.winCpu) / wall;
    this.winSaved = this.winWait = this.winOwn = this.winTasks = 0;
    const starved = own + wait >= DENSE * wall && cores < 1 + STARVED_SHARE * this.workers.length;
    if (starved || wait > saved + LOSS_TOLERANCE * own) {
      this.soloUntil = performance.now() + this.soloMs;
      this.soloMs = Math.min(SOLO_MAX_MS, this.soloMs * 2);
    } else if (saved > wait) {
      this.soloMs = Math.max(SOLO_MIN_MS, this.soloMs / 2);
    }
  }

  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
