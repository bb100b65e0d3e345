/**
 * Structured pruning that shrinks the layers: whole output neurons of a Linear (rows of its weight, entries of
 * its bias) or output channels of a Conv2d are removed, together with what reads them downstream (the matching
 * entries of a BatchNorm, the input columns of the next Linear, the input channels of the next Conv2d, or the
 * column blocks a Flatten makes of a channel). The result is a new, ordinary, smaller Sequential built from its
 * config (Linear(784, 250) where there was Linear(784, 500)), so it saves, loads and runs as any other model.
 * Neurons are ranked by the L1 or L2 norm of their incoming weights (torch's ln_structured, dim 0).
 */
import { noGrad } from '../autograd/node.ts';
import { check, fail } from '../core/errors.ts';
import { checkOptionKeys, optionKeys } from '../core/options.ts';
import { Sequential } from '../nn/containers.ts';
import type { AnyModule, LayerConfig, ModuleConfig } from '../nn/module.ts';
import { moduleFromConfig, moduleToConfig } from '../nn/module.ts';
import { tensor } from '../tensor/creation.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { roundHalfEven } from './masks.ts';

export interface StructuredOptions {
  /** Fraction of the neurons/channels to remove from every prunable layer (rounded as torch rounds). */
  amount?: number;
  /** Neurons/channels to keep per layer, by its name in the Sequential ('0', '2'); overrides amount there. */
  sizes?: Record<string, number>;
  /** The norm ranking the neurons (default 'l1'). */
  norm?: 'l1' | 'l2';
}

const STRUCTURED_KEYS = optionKeys<StructuredOptions>({ amount: true, sizes: true, norm: true });

/** Layers that act on each channel apart, so a removed channel is simply absent after them. */
const PER_CHANNEL = new Set([
  'ReLU',
  'LeakyReLU',
  'ELU',
  'GELU',
  'Sigmoid',
  'Tanh',
  'SiLU',
  'Softplus',
  'Dropout',
]);
const SPATIAL = new Set(['MaxPool2d', 'AvgPool2d', 'AdaptiveAvgPool2d']);
const BATCH_NORM = new Set(['BatchNorm1d', 'BatchNorm2d']);

/** A prunable producer and what its channels flow into. */
interface Chain {
  producer: number;
  channels: number;
  /** BatchNorm layers between producer and consumer. */
  norms: number[];
  consumer: number;
  /** Input columns of the consumer per channel: 1, or H*W after a Flatten of a conv output. */
  block: number;
}

export interface StructuredResult {
  model: Sequential;
  /** Per pruned layer (its name), the indices of the neurons/channels kept, ascending. */
  kept: Record<string, number[]>;
}

function num(c: LayerConfig, k: string): number {
  const v = c[k];
  if (typeof v !== 'number') fail('prune.structured', `layer config lacks the number "${k}"`);
  return v;
}

/** Why layer i cannot be pruned (as a producer), or its chain. */
function chainFrom(cfgs: readonly ModuleConfig[], i: number): Chain | string {
  const p = cfgs[i]!;
  const isConv = p.className === 'Conv2d';
  if (p.className !== 'Linear' && !isConv) return `it is a ${p.className}, not a Linear or Conv2d`;
  if (isConv && num(p.config, 'groups') !== 1) return 'it is a grouped convolution';
  const channels = num(p.config, isConv ? 'outChannels' : 'outFeatures');
  const norms: number[] = [];
  let flattened = false;
  for (let j = i + 1; j < cfgs.length; j++) {
    const c = cfgs[j]!;
    if (PER_CHANNEL.has(c.className)) continue;
    if (isConv && !flattened && SPATIAL.has(c.className)) continue;
    if (BATCH_NORM.has(c.className) && !flattened) {
      const want = isConv ? 'BatchNorm2d' : 'BatchNorm1d';
      if (c.className !== want) return `layer ${j} is a ${c.className} after a ${p.className}`;
      norms.push(j);
      continue;
    }
    if (c.className === 'Flatten' && isConv && !flattened) {
      const sd = c.config.startDim;
      if (sd !== undefined && sd !== 1) return `layer ${j} is a Flatten from dim ${String(sd)}, not 1`;
      flattened = true;
      continue;
    }
    if (c.className === 'Linear') {
      const inF = num(c.config, 'inFeatures');
      if (inF % channels !== 0 || (!flattened && inF !== channels))
        return `layer ${j} (Linear) takes ${inF} inputs, not what ${channels} ${isConv ? 'channels' : 'neurons'} give`;
      return { producer: i, channels, norms, consumer: j, block: inF / channels };
    }
    if (c.className === 'Conv2d' && isConv && !flattened) {
      if (num(c.config, 'groups') !== 1) return `layer ${j} is a grouped convolution`;
      return { producer: i, channels, norms, consumer: j, block: 1 };
    }
    return `layer ${j} is a ${c.className}, which mixes or reshapes its channels`;
  }
  return "it is the last layer with weights (its outputs are the model's outputs)";
}

/** Per-row norms of a weight [out, ...]. */
function rowNorms(w: Tensor, norm: 'l1' | 'l2'): Float64Array {
  const v = w.toTypedArray();
  const out = w.shape[0]!;
  const per = v.length / out;
  const r = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let s = 0;
    for (let k = o * per; k < (o + 1) * per; k++) {
      const x = v[k] as number;
      s += norm === 'l1' ? Math.abs(x) : x * x;
    }
    r[o] = norm === 'l1' ? s : Math.sqrt(s);
  }
  return r;
}

/** The `keepN` neurons of largest norm (ties: the lower index), ascending. */
function topK(norms: Float64Array, keepN: number): number[] {
  const idx = [...norms.keys()];
  idx.sort((a, b) => norms[b]! - norms[a]! || a - b);
  return idx.slice(0, keepN).sort((a, b) => a - b);
}

function select(t: Tensor, dim: number, keepIdx: readonly number[]): Tensor {
  return t.indexSelect(dim, tensor(Int32Array.from(keepIdx), { dtype: 'int32' }));
}

/** Input columns of a consumer Linear kept when channels `keepIdx` of `block` columns each are kept. */
function columns(keepIdx: readonly number[], block: number): number[] {
  const out: number[] = [];
  for (const c of keepIdx) for (let k = 0; k < block; k++) out.push(c * block + k);
  return out;
}

/**
 * Removes the lowest-norm neurons/channels of the Sequential's prunable layers: those whose outputs flow, through
 * activations, dropout, pooling, batch norm or a Flatten, into another Linear or Conv2d. Returns a new model
 * (the input is left as it is) and the kept indices.
 */
export function pruneStructured(model: Sequential, opts: StructuredOptions = {}): StructuredResult {
  const op = 'prune.structured';
  checkOptionKeys(op, opts, STRUCTURED_KEYS);
  check(model instanceof Sequential, op, () => 'structured pruning takes an nn.Sequential');
  const norm = opts.norm ?? 'l1';
  check(norm === 'l1' || norm === 'l2', op, () => `norm must be 'l1' or 'l2', got ${String(norm)}`);
  const amount = opts.amount;
  check(
    amount === undefined || (Number.isFinite(amount) && amount >= 0 && amount < 1),
    op,
    () => `amount must be a fraction in [0, 1), got ${amount}`,
  );
  const sizes = opts.sizes ?? {};
  check(
    amount !== undefined || Object.keys(sizes).length > 0,
    op,
    () => 'give amount (a fraction of every prunable layer) or sizes ({ layerName: neuronsKept })',
  );
  const cfg = moduleToConfig(model as unknown as AnyModule);
  const cfgs = (cfg.config.layers as unknown as ModuleConfig[]).map((c) => structuredClone(c));
  const chains = new Map<number, Chain>();
  for (let i = 0; i < cfgs.length; i++) {
    const ch = chainFrom(cfgs, i);
    const name = String(i);
    if (typeof ch === 'string') {
      if (sizes[name] !== undefined)
        fail(op, `layer ${name} (${cfgs[i]!.className}) cannot be pruned: ${ch}`);
    } else chains.set(i, ch);
  }
  for (const name of Object.keys(sizes))
    check(
      /^\d+$/.test(name) && Number(name) < cfgs.length,
      op,
      () => `sizes names layer "${name}", which the Sequential (${cfgs.length} layers) lacks`,
    );
  const kept: Record<string, number[]> = {};
  const inKeep = new Map<number, { idx: number[]; block: number }>();
  const normKeep = new Map<number, number[]>();
  for (const [i, ch] of chains) {
    const name = String(i);
    const want =
      sizes[name] ?? (amount === undefined ? ch.channels : ch.channels - roundHalfEven(amount * ch.channels));
    check(
      Number.isInteger(want) && want >= 1 && want <= ch.channels,
      op,
      () => `layer ${name} keeps ${want} of its ${ch.channels}; it must keep between 1 and ${ch.channels}`,
    );
    if (want === ch.channels) continue;
    const layer = model.at(i);
    const w = layer.getParameter('weight')!;
    const idx = topK(rowNorms(w, norm), want);
    kept[name] = idx;
    inKeep.set(ch.consumer, { idx, block: ch.block });
    for (const n of ch.norms) normKeep.set(n, idx);
    const p = cfgs[i]!;
    p.config[p.className === 'Conv2d' ? 'outChannels' : 'outFeatures'] = want;
    const c = cfgs[ch.consumer]!;
    if (c.className === 'Conv2d') c.config.inChannels = want;
    else c.config.inFeatures = want * ch.block;
    for (const n of ch.norms) cfgs[n]!.config.numFeatures = want;
  }
  const out = moduleFromConfig<Sequential>({
    className: cfg.className,
    config: { ...cfg.config, layers: cfgs },
  });
  noGrad(() => {
    const sd: Record<string, Tensor> = {};
    const made: Tensor[] = [];
    for (let i = 0; i < cfgs.length; i++) {
      const outIdx = kept[String(i)];
      const inSel = inKeep.get(i);
      const nk = normKeep.get(i);
      for (const [k, t] of Object.entries(model.at(i).stateDict())) {
        let v = t;
        if (k === 'num_batches_tracked') {
          sd[`${i}.${k}`] = v;
          continue;
        }
        const sel = (dim: number, idx: readonly number[]) => {
          v = select(v, dim, idx);
          made.push(v);
        };
        if (outIdx !== undefined) sel(0, outIdx);
        if (nk !== undefined) sel(0, nk);
        if (inSel !== undefined && k === 'weight')
          sel(1, cfgs[i]!.className === 'Conv2d' ? inSel.idx : columns(inSel.idx, inSel.block));
        sd[`${i}.${k}`] = v;
      }
    }
    out.loadStateDict(sd);
    for (const t of made) t.dispose();
  });
  out.train(model.training);
  return { model: out, kept };
}
