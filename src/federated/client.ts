/**
 * A federated client: registers its sample count (and public key), then polls the coordinator; for each
 * round it is picked for, it trains the global model on its own data and sends back its weighted update
 * (masked under secure aggregation). Its data never leaves it.
 */
import { noGrad } from '../autograd/node.ts';
import { fail } from '../core/errors.ts';
import { Generator } from '../core/rng.ts';
import { permutation } from '../data/split.ts';
import { type AnyModule, moduleFromConfig } from '../nn/module.ts';
import { SGD } from '../optim/sgd.ts';
import { tensor } from '../tensor/creation.ts';
import { crossEntropy } from '../tensor/ops/losses.ts';
import { scope } from '../tensor/scope.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { generateKeys, maskUpdate, revealSeeds, type SecAggKeys } from './secure-agg.ts';
import {
  flatWeights,
  float32FromBase64,
  setFlatWeights,
  type Task,
  type TrainTask,
  toBase64,
} from './wire.ts';

export interface ClientData {
  /** Row-major features [n, ...featureShape]. */
  x: Float32Array;
  featureShape: number[];
  /** Class indices. */
  y: Int32Array;
}

export interface ClientOptions {
  url: string;
  data: ClientData;
  seed?: number;
  pollMs?: number;
  /** Called with the id once registered. */
  onRegistered?: (id: string) => void;
}

async function call<T>(url: string, body?: unknown): Promise<T> {
  const res = await fetch(url, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as T & { error?: string };
  if (!res.ok) fail('federated.client', `${url}: ${res.status} ${json.error ?? ''}`);
  return json;
}

/** Local training: `epochs` of SGD on cross-entropy (plus FedProx' mu/2 ||w - w_global||^2). */
function trainLocally(model: AnyModule, t: TrainTask, data: ClientData, gen: Generator): void {
  const n = data.y.length;
  const f = data.featureShape.reduce((a, b) => a * b, 1);
  const global = model.parameters().map((p) => noGrad(() => p.clone()));
  const opt = new SGD(model.parameters(), { lr: t.lr });
  model.train(true);
  for (let e = 0; e < t.epochs; e++) {
    const order = permutation(n, gen);
    for (let s = 0; s < n; s += t.batchSize) {
      const idx = order.subarray(s, Math.min(n, s + t.batchSize));
      const xb = new Float32Array(idx.length * f);
      const yb = new Int32Array(idx.length);
      idx.forEach((i, k) => {
        xb.set(data.x.subarray(i * f, (i + 1) * f), k * f);
        yb[k] = data.y[i]!;
      });
      scope(() => {
        opt.zeroGrad();
        const out = (model as unknown as { call(x: Tensor): Tensor }).call(
          tensor(xb, { shape: [idx.length, ...data.featureShape] }),
        );
        crossEntropy(out, tensor(yb, { shape: [idx.length] })).backward();
        if (t.proximalMu > 0)
          noGrad(() =>
            model.parameters().forEach((p, k) => {
              p.grad?.add_(p.sub(global[k]!), t.proximalMu);
            }),
          );
        opt.step();
      });
    }
  }
  for (const g of global) g.dispose();
}

/** Runs until the coordinator says done. */
export async function runClient(opts: ClientOptions): Promise<void> {
  const gen = new Generator(opts.seed ?? 0);
  const pollMs = opts.pollMs ?? 20;
  // Every client has a key pair; it is used only when the coordinator runs secure aggregation.
  const keys: SecAggKeys = generateKeys();
  const { id } = await call<{ id: string }>(`${opts.url}/register`, {
    numSamples: opts.data.y.length,
    publicKey: keys.publicKey,
  });
  opts.onRegistered?.(id);
  let model: AnyModule | null = null;
  for (;;) {
    let task: Task;
    try {
      task = await call<Task>(`${opts.url}/task?id=${id}`);
    } catch (e) {
      // The coordinator went away after the last round.
      if (String(e).includes('fetch failed')) return;
      throw e;
    }
    if (task.state === 'done') return;
    if (task.state === 'wait') {
      await new Promise((r) => setTimeout(r, pollMs));
      continue;
    }
    if (task.state === 'reveal') {
      const seeds = revealSeeds({ id, keys }, task.dropped, task.round);
      await call(`${opts.url}/reveal`, { id, round: task.round, seeds });
      continue;
    }
    model ??= moduleFromConfig(task.model);
    const start = float32FromBase64(task.weights);
    setFlatWeights(model, start);
    trainLocally(model, task, opts.data, gen);
    const end = flatWeights(model);
    const update = new Float32Array(end.length);
    for (let i = 0; i < end.length; i++) update[i] = (end[i]! - start[i]!) * task.weight;
    const data = task.secure
      ? toBase64(maskUpdate(update, { id, keys }, task.peers, task.round))
      : toBase64(update);
    try {
      await call(`${opts.url}/update`, { id, round: task.round, data });
    } catch (e) {
      // Past the deadline: this round goes on without us.
      if (!String(e).includes('409')) throw e;
    }
  }
}
