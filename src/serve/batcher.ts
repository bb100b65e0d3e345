import { ServeError } from './errors.ts';

export interface BatchingOptions {
  /** Most rows (samples) one call of the model receives. 1 turns batching off. */
  maxBatchSize: number;
  /**
   * How long the oldest queued request may wait for others to join its batch, once two or more are
   * waiting. A lone request never waits for it (see Batcher).
   */
  maxQueueDelayMs: number;
  /** Requests allowed to wait; one more is refused with 503 + Retry-After. */
  maxQueueSize: number;
  /** Batches run at once (more than 1 only helps a model that computes off the main thread). */
  maxConcurrentBatches: number;
}

export const DEFAULT_BATCHING: BatchingOptions = {
  maxBatchSize: 64,
  maxQueueDelayMs: 2,
  maxQueueSize: 1024,
  maxConcurrentBatches: 1,
};

export interface BatcherHooks {
  /** Called once per model call with the number of rows and of requests it joined. */
  onBatch?(rows: number, requests: number): void;
  /** Called whenever the number of waiting requests changes. */
  onQueueDepth?(depth: number): void;
}

/** A result slot of a batch that failed for its own request only (e.g. one unreadable record). */
export class ItemFailure {
  constructor(readonly error: unknown) {}
}

interface Pending<Req, Res> {
  readonly req: Req;
  readonly rows: number;
  readonly enqueuedAt: number;
  readonly resolve: (r: Res) => void;
  readonly reject: (e: unknown) => void;
  timer: NodeJS.Timeout | undefined;
  settled: boolean;
  /** True once one turn of the event loop has passed since it was queued (see pump). */
  turnPassed: boolean;
}

/**
 * Dynamic batching: requests queue up and are handed to `run` together once `maxBatchSize` rows are
 * waiting or the oldest has waited `maxQueueDelayMs`. While a batch runs, new requests keep queueing,
 * so under load batches fill by themselves.
 *
 * The delay is adaptive: it is only spent when there is company to wait for. A request that is alone in
 * the queue once the current turn of the event loop has passed (so that requests arriving together
 * still join) goes straight to the model, so a single sequential client is never held for the delay (a
 * fixed 2 ms delay capped one client at ~300 requests/s). Once two or more requests wait, the oldest may
 * wait up to `maxQueueDelayMs` for the batch to fill. `run` gets the requests in order and must answer one
 * result per request (an ItemFailure rejects just that request).
 */
export class Batcher<Req, Res> {
  readonly options: BatchingOptions;
  private readonly queue: Pending<Req, Res>[] = [];
  private queuedRows = 0;
  private running = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly label: string,
    private readonly run: (reqs: Req[]) => Promise<(Res | ItemFailure)[]>,
    options: Partial<BatchingOptions> = {},
    private readonly hooks: BatcherHooks = {},
  ) {
    this.options = { ...DEFAULT_BATCHING, ...options };
    const o = this.options;
    for (const [k, min] of [
      ['maxBatchSize', 1],
      ['maxQueueDelayMs', 0],
      ['maxQueueSize', 1],
      ['maxConcurrentBatches', 1],
    ] as const) {
      if (!Number.isInteger(o[k]) || o[k] < min) {
        throw new ServeError('batcher', 500, `${k} must be an integer >= ${min}, got ${o[k]}`);
      }
    }
  }

  /** Requests waiting for a batch (not counting those being computed). */
  get depth(): number {
    return this.queue.length;
  }

  /** True while nothing is queued or running. */
  get idle(): boolean {
    return this.queue.length === 0 && this.running === 0;
  }

  /**
   * Queues one request of `rows` samples. Rejects with 503 when the queue is full or the batcher is
   * closing, 400 when the request alone exceeds the batch size, 504 after `timeoutMs`.
   */
  submit(req: Req, rows: number, timeoutMs?: number): Promise<Res> {
    const o = this.options;
    if (this.closed) {
      return Promise.reject(new ServeError('infer', 503, `${this.label} is unloading; retry`));
    }
    if (rows > o.maxBatchSize) {
      return Promise.reject(
        new ServeError(
          'infer',
          400,
          `batch of ${rows} exceeds ${this.label}'s max batch size ${o.maxBatchSize}`,
        ),
      );
    }
    if (this.queue.length >= o.maxQueueSize) {
      return Promise.reject(
        new ServeError('infer', 503, `${this.label}'s queue is full (${o.maxQueueSize} requests waiting)`),
      );
    }
    return new Promise<Res>((resolve, reject) => {
      const p: Pending<Req, Res> = {
        req,
        rows,
        enqueuedAt: performance.now(),
        resolve,
        reject,
        timer: undefined,
        settled: false,
        turnPassed: false,
      };
      if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
        p.timer = setTimeout(() => this.expire(p, timeoutMs), timeoutMs);
      }
      this.queue.push(p);
      this.queuedRows += rows;
      this.hooks.onQueueDepth?.(this.queue.length);
      this.pump();
    });
  }

  /**
   * Stops taking requests, runs everything queued without waiting for the delay, and resolves once
   * the last batch has answered.
   */
  drain(): Promise<void> {
    this.closed = true;
    this.pump();
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** From now on runs queued requests without waiting for the batching delay (used at shutdown). */
  hurry(): void {
    this.options.maxQueueDelayMs = 0;
    this.pump();
  }

  private expire(p: Pending<Req, Res>, timeoutMs: number): void {
    if (p.settled) return;
    const i = this.queue.indexOf(p);
    if (i >= 0) {
      this.queue.splice(i, 1);
      this.queuedRows -= p.rows;
      this.hooks.onQueueDepth?.(this.queue.length);
    }
    this.settle(p, () =>
      p.reject(new ServeError('infer', 504, `${this.label} did not answer within ${timeoutMs} ms`)),
    );
    this.checkIdle();
  }

  private settle(p: Pending<Req, Res>, fn: () => void): void {
    if (p.settled) return;
    p.settled = true;
    if (p.timer !== undefined) clearTimeout(p.timer);
    fn();
  }

  /** Starts every batch that is due; otherwise arms the timer for when the oldest request is due. */
  private pump(): void {
    const o = this.options;
    while (this.running < o.maxConcurrentBatches && this.queue.length > 0) {
      const head = this.queue[0]!;
      const waited = performance.now() - head.enqueuedAt;
      const mayWait = !this.closed && this.queuedRows < o.maxBatchSize && waited < o.maxQueueDelayMs;
      if (mayWait && this.queue.length === 1) {
        if (head.turnPassed) {
          this.startBatch();
          continue;
        }
        // One turn of the event loop for requests that arrived together to join; no timer delay.
        this.immediate ??= setImmediate(() => {
          this.immediate = undefined;
          for (const p of this.queue) p.turnPassed = true;
          this.pump();
        });
        return;
      }
      if (mayWait) {
        if (this.timer === undefined) {
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.pump();
          }, o.maxQueueDelayMs - waited);
        }
        return;
      }
      this.startBatch();
    }
  }

  private startBatch(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch: Pending<Req, Res>[] = [];
    let rows = 0;
    while (this.queue.length > 0 && rows + this.queue[0]!.rows <= this.options.maxBatchSize) {
      const p = this.queue.shift()!;
      rows += p.rows;
      batch.push(p);
    }
    this.queuedRows -= rows;
    this.hooks.onQueueDepth?.(this.queue.length);
    this.hooks.onBatch?.(rows, batch.length);
    this.running++;
    // Through a promise so a model that throws synchronously still rejects only its own batch.
    Promise.resolve()
      .then(() => this.run(batch.map((p) => p.req)))
      .then(
        (results) => {
          if (!Array.isArray(results) || results.length !== batch.length) {
            const err = new Error(
              `[batcher] ${this.label} returned ${Array.isArray(results) ? results.length : typeof results} results for ${batch.length} requests`,
            );
            for (const p of batch) this.settle(p, () => p.reject(err));
            return;
          }
          batch.forEach((p, i) => {
            const r = results[i];
            this.settle(p, () => (r instanceof ItemFailure ? p.reject(r.error) : p.resolve(r as Res)));
          });
        },
        (err: unknown) => {
          for (const p of batch) this.settle(p, () => p.reject(err));
        },
      )
      .finally(() => {
        this.running--;
        this.pump();
        this.checkIdle();
      });
  }

  private checkIdle(): void {
    if (!this.idle || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
