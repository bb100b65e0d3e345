/**
 * Simulation mode: one coordinator and N clients in this process, talking HTTP over loopback exactly as
 * separate processes would, on a Dirichlet(alpha) split of one data set. For trying settings (alpha,
 * cohort size, FedProx' mu, secure aggregation) before deploying clients.
 */
import { check } from '../core/errors.ts';
import { Generator } from '../core/rng.ts';
import type { AnyModule } from '../nn/module.ts';
import { type ClientData, runClient } from './client.ts';
import { Coordinator, type CoordinatorOptions, type RoundLog } from './coordinator.ts';
import { dirichletSplit } from './partition.ts';

export interface SimulateOptions extends Omit<CoordinatorOptions, 'minClients'> {
  data: ClientData;
  clients: number;
  /** Dirichlet concentration of the label split (default 0.5; large is close to IID). */
  alpha?: number;
}

export interface SimulationResult {
  log: RoundLog[];
  /** Samples per client. */
  sizes: number[];
}

export async function simulate(model: AnyModule, opts: SimulateOptions): Promise<SimulationResult> {
  const { data, clients, alpha = 0.5, ...coord } = opts;
  check(
    Number.isInteger(clients) && clients > 0,
    'federated.simulate',
    () => `clients must be a positive integer, got ${clients}`,
  );
  const f = data.featureShape.reduce((a, b) => a * b, 1);
  const parts = dirichletSplit(data.y, clients, alpha, new Generator(opts.seed ?? 0)).filter(
    (p) => p.length > 0,
  );
  const shards: ClientData[] = parts.map((idx) => {
    const x = new Float32Array(idx.length * f);
    idx.forEach((i, k) => {
      x.set(data.x.subarray(i * f, (i + 1) * f), k * f);
    });
    return { x, featureShape: data.featureShape, y: Int32Array.from(idx, (i) => data.y[i]!) };
  });
  const c = new Coordinator(model, { ...coord, minClients: shards.length });
  const url = await c.start();
  try {
    const running = shards.map((s, i) => runClient({ url, data: s, seed: i, pollMs: 2 }));
    const log = await c.run();
    await Promise.all(running);
    return { log, sizes: shards.map((s) => s.y.length) };
  } finally {
    await c.close();
  }
}
