import { createRequire } from 'node:module';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';

// prom-client (CommonJS) is required on first construction, not at import: the library's entry re-exports
// this class, and loading prom-client eagerly cost tensor-only users ~35 ms of startup.
const require = createRequire(import.meta.url);
let promClient: typeof import('prom-client') | undefined;
function prom(): typeof import('prom-client') {
  promClient ??= require('prom-client') as typeof import('prom-client');
  return promClient;
}

/**
 * Prometheus metrics of one server. Each server owns its registry (not prom-client's global one) so
 * several servers in one process, as in tests, never collide.
 */
export class ServerMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly latency: Histogram<'method' | 'route'>;
  /** `kind` is `tensor` for model calls (v2 infer, v1 on tensor models), `records` for v1 record batches. */
  readonly batchSize: Histogram<'model' | 'version' | 'kind'>;
  readonly queueDepth: Gauge<'model' | 'version'>;
  readonly inferSeconds: Histogram<'model' | 'version'>;

  constructor(options: { processMetrics?: boolean } = {}) {
    const { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } = prom();
    this.registry = new Registry();
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'tensorscript_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'tensorscript_http_request_duration_seconds',
      help: 'Time from receiving a request to sending its answer',
      labelNames: ['method', 'route'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.batchSize = new Histogram({
      name: 'tensorscript_batch_size',
      help: 'Rows per batch after dynamic batching: kind="tensor" counts tensor rows per model call, kind="records" v1 records per predictRecords call',
      labelNames: ['model', 'version', 'kind'],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers,
    });
    this.queueDepth = new Gauge({
      name: 'tensorscript_queue_depth',
      help: 'Requests waiting to join a batch',
      labelNames: ['model', 'version'],
      registers,
    });
    this.inferSeconds = new Histogram({
      name: 'tensorscript_inference_duration_seconds',
      help: 'Time one batched model call takes',
      labelNames: ['model', 'version'],
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'tensorscript_' });
  }

  /** Forgets the series of a version that was unloaded, so the gauge does not report it forever. */
  forgetVersion(model: string, version: string): void {
    this.queueDepth.remove({ model, version });
  }
}
