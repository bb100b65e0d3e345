import { readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifyServerOptions,
} from 'fastify';
import { fail } from '../core/errors.ts';
import { registerExplainRoute } from '../explain/serve-route.ts';
import type { DriftThresholds } from '../monitor/drift.ts';
import { DriftMonitors, registerDriftRoute } from '../monitor/serve-drift.ts';
import { apiKeyChecker } from './auth.ts';
import type { BatchingOptions } from './batcher.ts';
import { registerBinaryBodies } from './binary.ts';
import { ServeError } from './errors.ts';
import { ServerMetrics } from './metrics.ts';
import type { ServedModel } from './model.ts';
import { ModelRepository } from './repository.ts';
import { registerV1 } from './routes-v1.ts';
import { type RouteContext, registerV2 } from './routes-v2.ts';

export interface ServerOptions {
  /** Models to load at start, each under its own name and version. */
  models?: readonly ServedModel[];
  /** Default dynamic batching for every model (see BatchingOptions). */
  batching?: Partial<BatchingOptions>;
  /** Inference requests (v2 infer + v1 predict) handled at once across the server; more get 503. Default 4096. */
  maxInFlight?: number;
  /** Deadline of one inference request; later it answers 504. Default 30,000 ms. */
  requestTimeoutMs?: number;
  /** Largest request body accepted; larger answers 413. Default 8 MiB. */
  bodyLimitBytes?: number;
  /**
   * Most image pixels (width x height, read from the PNG/JPEG headers before decoding, summed over the
   * request) one v1 predict request may carry; more answers 400. Default 4,194,304 (2048 x 2048).
   */
  maxImagePixels?: number;
  /** Seconds sent in Retry-After with every 503. Default 1. */
  retryAfterSeconds?: number;
  /** When set, every route except the two server health probes needs one of these keys. */
  apiKeys?: readonly string[];
  /** Origins allowed by CORS. CORS is off (no headers sent) unless this lists at least one. */
  corsOrigins?: readonly string[];
  /** Serve Prometheus metrics at /metrics. Default true. */
  metrics?: boolean;
  /** Also export Node process metrics (memory, event loop lag, GC). Default false. */
  processMetrics?: boolean;
  /** Fastify/pino logger setting. Default false (silent). */
  logger?: FastifyServerOptions['logger'];
  /** Longest a graceful close waits for in-flight requests before cutting connections. Default 30,000 ms. */
  shutdownTimeoutMs?: number;
  /** Serve HTTPS with this PEM certificate (chain) and private key instead of plain HTTP (docs/privacy.md). */
  tls?: TlsOptions;
  /**
   * Drift monitoring of v1 records and predictions against each model's training statistics: thresholds
   * (src/monitor/drift.ts: psi, ksPValue, ksStatistic, chi2PValue, cramersV, minSamples, window, baseline),
   * or false to turn it off. On by default.
   */
  drift?: Partial<DriftThresholds> | false;
}

export interface TlsOptions {
  certFile: string;
  keyFile: string;
  /** Environment variable holding the key's passphrase, for an encrypted key file. */
  passphraseEnv?: string;
}

/** Reads the certificate and key up front, so a wrong path is a clear error before the port is taken. */
function readTls(tls: TlsOptions): { cert: Buffer; key: Buffer; passphrase?: string } {
  const read = (what: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (e) {
      return fail(
        'server',
        `tls.${what}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
      );
    }
  };
  const cert = read('certFile', tls.certFile);
  const key = read('keyFile', tls.keyFile);
  if (!cert.includes('-----BEGIN CERTIFICATE-----'))
    fail('server', `tls.certFile: ${tls.certFile} holds no PEM certificate`);
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key.toString('latin1')))
    fail('server', `tls.keyFile: ${tls.keyFile} holds no PEM private key`);
  const passphrase = tls.passphraseEnv === undefined ? undefined : process.env[tls.passphraseEnv];
  return passphrase === undefined ? { cert, key } : { cert, key, passphrase };
}

export interface ListenOptions {
  /** Default 127.0.0.1 (loopback only); use 0.0.0.0 to serve other hosts. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
}

export interface InferenceServer {
  readonly app: FastifyInstance;
  readonly repository: ModelRepository;
  readonly metrics: ServerMetrics | undefined;
  /** `http://host:port` once listening. */
  readonly url: string | undefined;
  listen(options?: ListenOptions): Promise<string>;
  /**
   * Graceful shutdown: readiness turns false, new connections are refused, requests already received
   * are answered (batches flush at once), then models are disposed.
   */
  close(): Promise<void>;
}

const SERVER_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
})();

/** Health probes stay open without a key so orchestrators can poll them. */
const AUTH_EXEMPT = new Set(['/v2/health/live', '/v2/health/ready']);

function positiveInt(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < 1) fail('createServer', `${name} must be a positive integer, got ${v}`);
  return v;
}

/** Status and message for an error fastify raised before a handler ran (parsing, limits, schema). */
function frameworkError(
  err: FastifyError,
  op: string,
  bodyLimit: number,
): { status: number; message: string } {
  if (err.validation) return { status: 400, message: `[${op}] invalid request: ${err.message}` };
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, message: `[${op}] request body exceeds the limit of ${bodyLimit} bytes` };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, message: `[${op}] malformed JSON body: ${err.message}` };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, message: `[${op}] unsupported content type; send application/json` };
  }
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) return { status, message: `[${op}] ${err.message}` };
  return { status: 500, message: `[${op}] internal server error` };
}

/** Status and `[server]` message for a request node's HTTP parser refused. */
function clientErrorAnswer(err: Error & { code?: string }, timeoutMs: number): [number, string] {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, '[server] request headers are too large'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, `[server] the request was not received within ${timeoutMs} ms`];
    case 'HPE_INVALID_URL':
      return [400, '[server] invalid request URL: percent-encode characters outside ASCII'];
    default:
      return [400, `[server] malformed HTTP request (${err.code ?? err.message})`];
  }
}

/** Builds the server (routes, limits, auth, metrics) without listening. */
export async function createServer(options: ServerOptions = {}): Promise<InferenceServer> {
  const bodyLimit = positiveInt('bodyLimitBytes', options.bodyLimitBytes, 8 * 1024 * 1024);
  const maxInFlight = positiveInt('maxInFlight', options.maxInFlight, 4096);
  const requestTimeoutMs = positiveInt('requestTimeoutMs', options.requestTimeoutMs, 30_000);
  const retryAfter = positiveInt('retryAfterSeconds', options.retryAfterSeconds, 1);
  const shutdownTimeoutMs = positiveInt('shutdownTimeoutMs', options.shutdownTimeoutMs, 30_000);
  const maxImagePixels = positiveInt('maxImagePixels', options.maxImagePixels, 2048 * 2048);
  // A client has the inference deadline plus 5 s of grace to deliver its headers and body.
  const connectionTimeoutMs = requestTimeoutMs + 5_000;
  const metrics =
    options.metrics === false ? undefined : new ServerMetrics({ processMetrics: options.processMetrics });
  // Before the repository: bad thresholds fail createServer before anything is built.
  const drift =
    options.drift === false ? undefined : new DriftMonitors(options.drift ?? {}, metrics?.registry);
  const repository = new ModelRepository(options.batching ?? {}, metrics);
  const checkKey =
    options.apiKeys !== undefined && options.apiKeys.length > 0 ? apiKeyChecker(options.apiKeys) : undefined;

  // Fastify loads on first use so that importing the library for tensor work does not pay for the server.
  const tls = options.tls === undefined ? undefined : readTls(options.tls);
  const { default: Fastify } = await import('fastify');
  const serverTimeouts = {
    connectionsCheckingInterval: Math.min(1_000, connectionTimeoutMs),
    headersTimeout: connectionTimeoutMs,
  };
  // With TLS the same node server options go to https.createServer, beside the certificate and key.
  const transport = (
    tls === undefined ? { http: serverTimeouts } : { https: { ...tls, ...serverTimeouts } }
  ) as { http: typeof serverTimeouts };
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit,
    // Slow or stalled clients cannot hold a connection forever: node checks the deadline every
    // connectionsCheckingInterval (30 s by default, which let a slow body hold on for ~86 s against a
    // 35 s limit), and headersTimeout (60 s by default) must not exceed requestTimeout.
    requestTimeout: connectionTimeoutMs,
    ...transport,
    return503OnClosing: true,
    // Long enough that over-long model names reach the name check and get its message.
    routerOptions: { maxParamLength: 512 },
    // Errors the router raises before any route (bad percent-encoding, over-long parameters).
    frameworkErrors: (err: FastifyError, _req: FastifyRequest, reply: FastifyReply) => {
      reply.code(400).send({ error: `[server] ${err.message}` });
    },
    // Requests node's HTTP parser refuses before fastify sees them (oversize headers, bytes not allowed
    // in a URL, body timeouts) get the same JSON error form and are counted like any other answer.
    clientErrorHandler: (err: Error & { code?: string }, socket: Socket) => {
      if (err.code === 'ECONNRESET' || socket.destroyed) return;
      const [status, message] = clientErrorAnswer(err, connectionTimeoutMs);
      metrics?.requests.inc({ method: 'unparsed', route: 'unmatched', status: String(status) });
      if (socket.writable) {
        const body = JSON.stringify({ error: message });
        socket.write(
          `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      }
      socket.destroy();
    },
    ajv: {
      customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false, allowUnionTypes: true },
    },
  });

  // JSON bodies, optionally followed by binary tensors; anything else answers 415 instead of reaching a
  // handler as a string.
  app.removeContentTypeParser('text/plain');
  registerBinaryBodies(app);

  let closing = false;
  let inFlight = 0;
  const ctx: RouteContext = {
    repository,
    serverName: 'tensorscript',
    serverVersion: SERVER_VERSION,
    requestTimeoutMs,
    maxImagePixels,
    isClosing: () => closing,
    ...(drift === undefined ? {} : { drift }),
    admit(op) {
      if (inFlight >= maxInFlight) {
        throw new ServeError(
          op,
          503,
          `server is at its limit of ${maxInFlight} concurrent inference requests; retry`,
          retryAfter,
        );
      }
      inFlight++;
      let released = false;
      return () => {
        if (!released) {
          released = true;
          inFlight--;
        }
      };
    },
  };

  // Answers sent while closing end their connection, so keep-alive clients do not hold the server open.
  // (Callback-style hooks: no promise per request on the hot path.)
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (closing) reply.header('Connection', 'close');
    done(null, payload);
  });

  if (options.corsOrigins !== undefined && options.corsOrigins.length > 0) {
    const { default: cors } = await import('@fastify/cors');
    await app.register(cors, {
      origin: [...options.corsOrigins],
      methods: ['GET', 'POST'],
      allowedHeaders: ['Content-Type', 'Authorization', 'X-API-Key'],
      exposedHeaders: ['Retry-After'],
    });
  }

  if (checkKey !== undefined) {
    app.addHook('onRequest', (req, reply, done) => {
      if (AUTH_EXEMPT.has(req.url.split('?')[0]!) || checkKey(req.headers)) {
        done();
        return;
      }
      // One message whatever failed (no key, wrong key, wrong scheme).
      reply
        .code(401)
        .header('WWW-Authenticate', 'Bearer')
        .send({ error: '[auth] missing or invalid API key' });
    });
  }

  if (metrics !== undefined) {
    app.addHook('onResponse', (req, reply, done) => {
      const config = req.routeOptions.config as { route?: string } | undefined;
      const route = config?.route ?? req.routeOptions.url ?? 'unmatched';
      const labels = { method: req.method, route };
      metrics.requests.inc({ ...labels, status: String(reply.statusCode) });
      metrics.latency.observe(labels, reply.elapsedTime / 1000);
      done();
    });
    app.get('/metrics', async (_req, reply) => {
      reply.header('Content-Type', metrics.registry.contentType);
      return metrics.registry.metrics();
    });
  }

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const op = (req.routeOptions.config as { op?: string } | undefined)?.op ?? 'server';
    let status: number;
    let message: string;
    if (err instanceof ServeError) {
      status = err.status;
      message = err.message;
      if (err.retryAfter !== undefined) reply.header('Retry-After', String(err.retryAfter));
    } else {
      ({ status, message } = frameworkError(err, op, bodyLimit));
    }
    if (status >= 500) req.log.error(err);
    if (status === 503 && !reply.hasHeader('Retry-After')) reply.header('Retry-After', String(retryAfter));
    return reply.code(status).send({ error: message });
  });

  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: `[server] no route for ${req.method} ${req.url.split('?')[0]}` }),
  );

  registerV2(app, ctx);
  registerV1(app, ctx);
  if (drift !== undefined) registerDriftRoute(app, ctx, drift);
  registerExplainRoute(app, ctx);

  for (const m of options.models ?? []) await repository.add(m);

  let url: string | undefined;
  let closed: Promise<void> | undefined;
  return {
    app,
    repository,
    metrics,
    get url() {
      return url;
    },
    async listen(listenOptions: ListenOptions = {}) {
      await app.listen({ host: listenOptions.host ?? '127.0.0.1', port: listenOptions.port ?? 8080 });
      const addr = app.server.address() as AddressInfo;
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      url = `${tls === undefined ? 'http' : 'https'}://${host}:${addr.port}`;
      return url;
    },
    close() {
      closed ??= (async () => {
        closing = true;
        // Queued requests need not wait out their batching delay any more.
        for (const e of repository.entries()) {
          e.batcher.hurry();
          e.recordBatcher?.hurry();
        }
        const force = setTimeout(() => app.server.closeAllConnections(), shutdownTimeoutMs);
        try {
          await app.close();
        } finally {
          clearTimeout(force);
        }
        await repository.close();
      })();
      return closed;
    },
  };
}

export interface ServeOptions extends ServerOptions, ListenOptions {
  /** Close gracefully on SIGTERM and SIGINT. Default true. */
  handleSignals?: boolean;
}

/**
 * Starts an inference server: loads `models`, listens (127.0.0.1:8080 unless told otherwise) and closes
 * gracefully on SIGTERM/SIGINT.
 *
 * @example
 * const server = await serve({ models: [mnist], port: 8080, batching: { maxBatchSize: 32 } });
 * // POST http://127.0.0.1:8080/v2/models/mnist/infer
 * await server.close();
 */
export async function serve(options: ServeOptions = {}): Promise<InferenceServer> {
  const server = await createServer(options);
  await server.listen({ host: options.host, port: options.port });
  if (options.handleSignals !== false) {
    const off = () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    };
    const onSignal = () => {
      off();
      void server.close();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    const close = server.close.bind(server);
    server.close = () => {
      off();
      return close();
    };
  }
  return server;
}
