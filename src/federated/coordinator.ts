/**
 * The federated coordinator: an HTTP server (loopback in tests, any host in use) that clients poll. Each
 * round it samples a cohort, hands out the global weights, waits for updates until all arrive or the
 * deadline passes (stragglers and dead clients are dropped), then averages the survivors' updates
 * weighted by sample count (FedAvg, McMahan et al. 2017; FedProx when proximalMu > 0). With secure
 * aggregation it only ever sees masked vectors and their sum (secure-agg.ts).
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { check, fail } from '../core/errors.ts';
import { checkOptionKeys, optionKeys } from '../core/options.ts';
import { Generator } from '../core/rng.ts';
import { type AnyModule, moduleToConfig } from '../nn/module.ts';
import { unmaskSum } from './secure-agg.ts';
import {
  flatWeights,
  float32FromBase64,
  type RegisterRequest,
  setFlatWeights,
  type Task,
  toBase64,
  uint32FromBase64,
} from './wire.ts';

export interface CoordinatorOptions {
  rounds: number;
  /** Clients sampled per round (all registered when larger). */
  clientsPerRound: number;
  /** Clients that must have registered before round 1. */
  minClients: number;
  /** Fewest updates a round aggregates; with fewer it is skipped (the model unchanged). Default 1. */
  minUpdates?: number;
  /** How long a round waits for updates (and for drop-out reveals) before going on without the missing. */
  roundTimeoutMs: number;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  /** FedProx' mu (default 0, FedAvg). */
  proximalMu?: number;
  secureAggregation?: boolean;
  seed?: number;
  /** Called on protocol events (tests kill clients on 'task'). */
  onEvent?: (e: CoordinatorEvent) => void;
  /**
   * Serve HTTPS with this PEM certificate and key. Clients must trust the certificate: a public CA's, or
   * NODE_EXTRA_CA_CERTS=<cert.pem> for a private one (node's fetch reads it).
   */
  tls?: { certFile: string; keyFile: string };
}
const KEYS = optionKeys<CoordinatorOptions>({
  rounds: true,
  clientsPerRound: true,
  minClients: true,
  minUpdates: true,
  roundTimeoutMs: true,
  epochs: true,
  batchSize: true,
  lr: true,
  proximalMu: true,
  secureAggregation: true,
  seed: true,
  onEvent: true,
  tls: true,
});

export type CoordinatorEvent =
  | { type: 'register'; client: string }
  | { type: 'task'; client: string; round: number }
  | { type: 'update'; client: string; round: number }
  | { type: 'round'; round: number; survivors: string[]; dropped: string[]; aggregated: boolean };

export interface RoundLog {
  round: number;
  cohort: string[];
  survivors: string[];
  dropped: string[];
  aggregated: boolean;
}

interface ClientInfo {
  id: string;
  numSamples: number;
  publicKey?: string;
  /** When it last polled: clients silent for longer than a round deadline are not sampled. */
  lastSeen: number;
}

interface RoundState {
  round: number;
  cohort: ClientInfo[];
  total: number;
  phase: 'train' | 'reveal';
  deadline: number;
  updates: Map<string, string>;
  dropped: ClientInfo[];
  reveals: Map<string, Record<string, string>>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Coordinator {
  readonly clients = new Map<string, ClientInfo>();
  readonly log: RoundLog[] = [];
  private server: Server | null = null;
  private state: RoundState | null = null;
  private done = false;
  private readonly gen: Generator;
  private readonly opts: Required<Omit<CoordinatorOptions, 'onEvent' | 'tls'>> &
    Pick<CoordinatorOptions, 'onEvent' | 'tls'>;

  constructor(
    readonly model: AnyModule,
    opts: CoordinatorOptions,
  ) {
    checkOptionKeys('federated.Coordinator', opts, KEYS);
    this.opts = {
      minUpdates: 1,
      epochs: 1,
      batchSize: 32,
      lr: 0.1,
      proximalMu: 0,
      secureAggregation: false,
      seed: 0,
      ...opts,
    };
    check(opts.clientsPerRound >= 1, 'federated.Coordinator', () => 'clientsPerRound must be >= 1');
    this.gen = new Generator(this.opts.seed);
  }

  /** Listens (127.0.0.1 and a free port by default); returns the URL clients connect to. */
  async start(host = '127.0.0.1', port = 0): Promise<string> {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((e: unknown) =>
        reply(res, 400, { error: String((e as Error).message ?? e) }),
      );
    };
    const tls = this.opts.tls;
    const read = (what: string, f: string) => {
      try {
        return readFileSync(f);
      } catch (e) {
        return fail(
          'federated.Coordinator',
          `tls.${what}: cannot read ${f}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
        );
      }
    };
    this.server =
      tls === undefined
        ? createServer(handler)
        : createHttpsServer(
            { cert: read('certFile', tls.certFile), key: read('keyFile', tls.keyFile) },
            handler,
          );
    await new Promise<void>((r) => this.server!.listen(port, host, r));
    const a = this.server.address() as AddressInfo;
    const scheme = tls === undefined ? 'http' : 'https';
    return `${scheme}://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }

  async close(): Promise<void> {
    this.done = true;
    const s = this.server;
    if (s === null) return;
    // Let polling clients see 'done' once before the socket closes.
    await sleep(50);
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  /** Runs every round; resolves with the round log. */
  async run(): Promise<RoundLog[]> {
    while (this.clients.size < this.opts.minClients) await sleep(10);
    for (let r = 1; r <= this.opts.rounds; r++) await this.runRound(r);
    this.done = true;
    return this.log;
  }

  private async runRound(round: number): Promise<void> {
    // A client that stopped polling (crashed, disconnected) is left out until it polls again.
    const now = Date.now();
    const all = [...this.clients.values()].filter((c) => now - c.lastSeen <= this.opts.roundTimeoutMs);
    const k = Math.min(this.opts.clientsPerRound, all.length);
    for (let i = all.length - 1; i > 0; i--) {
      const j = this.gen.int(0, i + 1);
      [all[i], all[j]] = [all[j]!, all[i]!];
    }
    const cohort = all.slice(0, k).sort((a, b) => (a.id < b.id ? -1 : 1));
    const st: RoundState = {
      round,
      cohort,
      total: cohort.reduce((s, c) => s + c.numSamples, 0),
      phase: 'train',
      deadline: Date.now() + this.opts.roundTimeoutMs,
      updates: new Map(),
      dropped: [],
      reveals: new Map(),
    };
    this.state = st;
    while (st.updates.size < cohort.length && Date.now() < st.deadline) await sleep(5);
    const survivors = cohort.filter((c) => st.updates.has(c.id));
    st.dropped = cohort.filter((c) => !st.updates.has(c.id));
    let aggregated = survivors.length >= this.opts.minUpdates;
    if (aggregated && this.opts.secureAggregation && st.dropped.length > 0) {
      st.phase = 'reveal';
      st.deadline = Date.now() + this.opts.roundTimeoutMs;
      while (st.reveals.size < survivors.length && Date.now() < st.deadline) await sleep(5);
      // A survivor that vanished before revealing leaves its peers' masks in the sum: skip the round.
      aggregated = st.reveals.size === survivors.length;
    }
    if (aggregated) this.aggregate(st, survivors);
    this.state = null;
    const entry = {
      round,
      cohort: cohort.map((c) => c.id),
      survivors: survivors.map((c) => c.id),
      dropped: st.dropped.map((c) => c.id),
      aggregated,
    };
    this.log.push(entry);
    this.opts.onEvent?.({ type: 'round', ...entry });
  }

  /** Sum of the survivors' weighted updates, rescaled to the survivors' samples, added to the global model. */
  private aggregate(st: RoundState, survivors: ClientInfo[]): void {
    const w = flatWeights(this.model);
    let sum: Float64Array;
    if (this.opts.secureAggregation) {
      const masked = new Map(survivors.map((c) => [c.id, uint32FromBase64(st.updates.get(c.id)!)]));
      sum = unmaskSum(
        masked,
        st.reveals,
        st.dropped.map((c) => c.id),
      );
    } else {
      sum = new Float64Array(w.length);
      for (const c of survivors) {
        const u = float32FromBase64(st.updates.get(c.id)!);
        check(
          u.length === w.length,
          'federated',
          () => `client ${c.id} sent ${u.length} values, expected ${w.length}`,
        );
        for (let i = 0; i < u.length; i++) sum[i]! += u[i]!;
      }
    }
    // Each client sent (n_i / N_cohort) * delta_i; over the survivors the FedAvg weights are n_i / N_survivors.
    const scale = st.total / survivors.reduce((s, c) => s + c.numSamples, 0);
    for (let i = 0; i < w.length; i++) w[i] = w[i]! + sum[i]! * scale;
    setFlatWeights(this.model, w);
  }

  private task(id: string): Task {
    if (this.done) return { state: 'done' };
    const seen = this.clients.get(id);
    if (seen !== undefined) seen.lastSeen = Date.now();
    const st = this.state;
    if (st === null) return { state: 'wait' };
    const me = st.cohort.find((c) => c.id === id);
    if (me === undefined) return { state: 'wait' };
    if (st.phase === 'train') {
      if (st.updates.has(id)) return { state: 'wait' };
      this.opts.onEvent?.({ type: 'task', client: id, round: st.round });
      return {
        state: 'train',
        round: st.round,
        model: moduleToConfig(this.model),
        weights: toBase64(flatWeights(this.model)),
        epochs: this.opts.epochs,
        batchSize: this.opts.batchSize,
        lr: this.opts.lr,
        proximalMu: this.opts.proximalMu,
        weight: me.numSamples / st.total,
        secure: this.opts.secureAggregation,
        peers: this.opts.secureAggregation
          ? st.cohort.map((c) => ({ id: c.id, publicKey: c.publicKey! }))
          : [],
        deadlineMs: Math.max(0, st.deadline - Date.now()),
      };
    }
    if (!st.updates.has(id) || st.reveals.has(id)) return { state: 'wait' };
    return {
      state: 'reveal',
      round: st.round,
      dropped: st.dropped.map((c) => ({ id: c.id, publicKey: c.publicKey! })),
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'POST' && url.pathname === '/register') {
      const body = (await readJson(req)) as RegisterRequest;
      check(
        Number.isInteger(body.numSamples) && body.numSamples > 0,
        'federated.register',
        () => `numSamples must be a positive integer, got ${String(body.numSamples)}`,
      );
      if (this.opts.secureAggregation)
        check(
          typeof body.publicKey === 'string',
          'federated.register',
          () => 'secure aggregation needs a publicKey',
        );
      const id = `c${String(this.clients.size).padStart(4, '0')}`;
      const info: ClientInfo = { id, numSamples: body.numSamples, lastSeen: Date.now() };
      if (body.publicKey !== undefined) info.publicKey = body.publicKey;
      this.clients.set(id, info);
      this.opts.onEvent?.({ type: 'register', client: id });
      return reply(res, 200, { id });
    }
    if (req.method === 'GET' && url.pathname === '/task')
      return reply(res, 200, this.task(url.searchParams.get('id') ?? ''));
    if (req.method === 'POST' && url.pathname === '/update') {
      const b = (await readJson(req)) as { id: string; round: number; data: string };
      const st = this.state;
      // Late updates (after the deadline) and updates from outside the cohort are refused.
      if (
        st === null ||
        st.round !== b.round ||
        st.phase !== 'train' ||
        !st.cohort.some((c) => c.id === b.id)
      )
        return reply(res, 409, { error: `round ${b.round} is not accepting updates from ${b.id}` });
      st.updates.set(b.id, b.data);
      this.clients.get(b.id)!.lastSeen = Date.now();
      this.opts.onEvent?.({ type: 'update', client: b.id, round: b.round });
      return reply(res, 200, { ok: true });
    }
    if (req.method === 'POST' && url.pathname === '/reveal') {
      const b = (await readJson(req)) as { id: string; round: number; seeds: Record<string, string> };
      const st = this.state;
      if (st === null || st.round !== b.round || st.phase !== 'reveal' || !st.updates.has(b.id))
        return reply(res, 409, { error: `round ${b.round} is not collecting reveals from ${b.id}` });
      // Only seeds with dropped clients are accepted: a survivor's seed with another survivor would unmask it.
      const dropped = new Set(st.dropped.map((c) => c.id));
      for (const k of Object.keys(b.seeds))
        if (!dropped.has(k))
          return reply(res, 400, { error: `${k} did not drop out; its seed is not asked for` });
      st.reveals.set(b.id, b.seeds);
      return reply(res, 200, { ok: true });
    }
    reply(res, 404, { error: `no route ${req.method} ${url.pathname}` });
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}
