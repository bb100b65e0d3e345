/**
 * quantizeStatic: post-training static int8 quantization with calibration (torch's prepare / calibrate /
 * convert in eager mode). Observers are attached to the inputs of the Linear and Conv2d layers, calibration
 * batches run through the model in eval mode without gradients, and each layer becomes its static int8 form
 * with per-channel symmetric weights and the per-tensor affine input parameters its observer chose; a ReLU
 * that directly follows one in a Sequential is fused into it. The model is rebuilt from its config, so the
 * result saves and loads like any model; the original is left untouched.
 */
import { noGrad } from '../autograd/node.ts';
import { fail, fmtShape } from '../core/errors.ts';
import { checkOptionKeys, optionKeys } from '../core/options.ts';
import { ReLU } from '../nn/layers/activations.ts';
import { Conv2d } from '../nn/layers/conv.ts';
import { Linear } from '../nn/layers/linear.ts';
import { type AnyModule, type ModuleConfig, moduleToConfig } from '../nn/module.ts';
import { Tensor } from '../tensor/tensor.ts';
import {
  build,
  type ConvertedLayer,
  cannot,
  checkModuleNames,
  type KeptLayer,
  type QuantizationReport,
  reachable,
  typeName,
} from './dynamic.ts';
import {
  type ActivationObserverOptions,
  makeObserver,
  OBSERVER_KINDS,
  type Observer,
  type ObserverKind,
  type QParams,
} from './observers.ts';
import { QuantizedEmbedding } from './quantized-embedding.ts';
import { QuantizedLinear } from './quantized-linear.ts';
import { FusedReLU, StaticQuantizedConv2d, StaticQuantizedLinear } from './static-layers.ts';

export interface QuantizeStaticOptions {
  /** How activation ranges are chosen: 'minmax' (default), 'percentile' or 'mse'. */
  observer?: ObserverKind;
  /** The percentile observer's upper percentile (99.99). */
  percentile?: number;
  /** Histogram bins of the percentile and MSE observers (2048). */
  bins?: number;
  /** Rows per calibration batch when the data is one tensor (32). */
  batchSize?: number;
  /** Fewer calibration samples than this is an error (32): ranges from a handful of rows are noise. */
  minSamples?: number;
  /** Dotted module names that must be converted: one that cannot be is an error naming why. */
  layers?: string[];
  /** Dotted module names kept in fp32, with everything under them. */
  exclude?: string[];
  /** Fuse a ReLU that follows a converted layer into it (true). */
  fuseRelu?: boolean;
}
const KEYS = optionKeys<QuantizeStaticOptions>({
  observer: true,
  percentile: true,
  bins: true,
  batchSize: true,
  minSamples: true,
  layers: true,
  exclude: true,
  fuseRelu: true,
});

/** A converted layer with the input parameters calibration chose and whether a ReLU was fused in. */
export interface StaticConvertedLayer extends ConvertedLayer {
  input: QParams;
  fusedRelu: boolean;
}

export interface StaticQuantizationReport extends QuantizationReport {
  converted: StaticConvertedLayer[];
  /** The observer named for the activations ('qat' for parameters learnt by quantization-aware training). */
  observer: ObserverKind | 'qat';
  /** Calibration rows seen (0 after QAT). */
  calibrationSamples: number;
}

export interface StaticQuantizedModel<M extends AnyModule = AnyModule> {
  model: M;
  report: StaticQuantizationReport;
}

const OP = 'quantizeStatic';

/** Why a static int8 form does not exist for a layer type, for the report and the errors. */
const WHY_NOT: Record<string, string> = {
  Embedding: 'static int8 covers Linear and Conv2d; quantize embeddings with quantizeDynamic',
  Conv1d: 'static int8 covers Conv2d only (no int8 Conv1d here yet)',
  LSTM: 'static int8 covers Linear and Conv2d; recurrent layers have no int8 form here yet',
  GRU: 'static int8 covers Linear and Conv2d; recurrent layers have no int8 form here yet',
  RNN: 'static int8 covers Linear and Conv2d; recurrent layers have no int8 form here yet',
};
const NORM = 'normalization layers stay in fp32 (few weights; int8 would cost accuracy for no size gain)';
for (const n of ['BatchNorm1d', 'BatchNorm2d', 'LayerNorm', 'GroupNorm', 'RMSNorm']) WHY_NOT[n] = NORM;

/** Bytes of the state dict on disk (int8 weights one byte a value). */
export function stateBytesOnDisk(m: AnyModule): number {
  let b = 0;
  for (const t of Object.values(m.stateDict()))
    b += t.size * (t.dtype === 'float64' ? 8 : t.dtype === 'bool' ? 1 : 4);
  for (const [, q] of m.namedModules())
    if (
      q instanceof QuantizedLinear ||
      q instanceof QuantizedEmbedding ||
      q instanceof StaticQuantizedLinear ||
      q instanceof StaticQuantizedConv2d
    )
      b -= 3 * q.weight.size;
  return b;
}

function batchesOf(data: Tensor | readonly Tensor[], batchSize: number): Tensor[] {
  if (data instanceof Tensor) {
    if (data.ndim < 2)
      fail(OP, `calibration data must be a batch [N, ...features], got shape ${fmtShape(data.shape)}`);
    const n = data.shape[0]!;
    const out: Tensor[] = [];
    for (let i = 0; i < n; i += batchSize) out.push(data.narrow(0, i, Math.min(batchSize, n - i)));
    return out;
  }
  if (!Array.isArray(data) || !data.every((t) => t instanceof Tensor))
    fail(OP, 'calibration data must be a tensor [N, ...features] or an array of such batches');
  return [...data];
}

function checkBatches(batches: Tensor[], minSamples: number): number {
  if (batches.length === 0) fail(OP, 'the calibration set is empty');
  const first = batches[0]!;
  let total = 0;
  batches.forEach((b, i) => {
    if (b.dtype !== 'float32') fail(OP, `calibration batch ${i} is ${b.dtype}; the int8 layers take float32`);
    if (b.ndim < 2 || b.ndim !== first.ndim || b.shape.slice(1).some((d, j) => d !== first.shape[j + 1]))
      fail(
        OP,
        `calibration batch ${i} has shape ${fmtShape(b.shape)}, expected [N, ${first.shape.slice(1).join(', ')}] like batch 0`,
      );
    total += b.shape[0]!;
  });
  if (total < minSamples)
    fail(
      OP,
      `the calibration set is too small: ${total} sample(s), at least ${minSamples} are needed for stable activation ranges (option minSamples)`,
    );
  return total;
}

/** The candidates for int8 and the layers kept in fp32, as quantizeStatic and prepareQat select them. */
export interface Selection {
  /** Linear/Conv2d layers to convert, by path, with the path of a ReLU that follows (to fuse) or null. */
  targets: { path: string; module: Linear | Conv2d; relu: string | null }[];
  keptFloat: KeptLayer[];
  cfg: ModuleConfig;
}

/**
 * Picks the Linear and Conv2d layers to convert (all that can be, `layers` required, `exclude` kept) and
 * the ReLUs to fuse; everything else holding weights goes to keptFloat with the reason.
 */
export function selectLayers(
  op: string,
  model: AnyModule,
  opts: { layers?: string[]; exclude?: string[]; fuseRelu?: boolean },
): Selection {
  const modules = model.namedModules();
  const byPath = new Map(modules);
  const known = new Set(modules.map(([p]) => p).filter((p) => p !== ''));
  const named = new Set(checkModuleNames(op, 'layers', opts.layers, known));
  const exclude = checkModuleNames(op, 'exclude', opts.exclude, known);
  for (const n of exclude)
    if (named.has(n)) fail(op, `"${n}" is both in layers (to convert) and in exclude (to keep in fp32)`);
  let cfg: ModuleConfig;
  try {
    cfg = moduleToConfig(model);
  } catch (e) {
    fail(op, `the model is rebuilt from its config, which failed: ${(e as Error).message}`);
  }
  const canRebuild = new Set<string>();
  reachable(cfg, model, '', canRebuild);
  const excludedBy = (p: string) => exclude.find((e) => p === e || p.startsWith(`${e}.`));
  const targets: Selection['targets'] = [];
  const keptFloat: KeptLayer[] = [];
  for (const [path, m] of modules) {
    const hasWeights = m.namedParameters({ recurse: false }).length > 0;
    const asked = named.has(path);
    if (!hasWeights && !asked) continue;
    const name = path === '' ? '(model)' : path;
    const type = typeName(m);
    const refuse = (why: string): never => fail(op, `cannot quantize layer "${name}" (${type}): ${why}`);
    const ex = excludedBy(path);
    if (ex !== undefined) {
      keptFloat.push({ name, type, reason: `excluded by name ("${ex}" in exclude)` });
      continue;
    }
    const kind = m.constructor === Linear || m.constructor === Conv2d;
    if (!kind) {
      const why = !hasWeights
        ? 'it has no weights of its own'
        : (WHY_NOT[type] ?? 'no static int8 form (static int8 covers Linear and Conv2d)');
      if (asked) refuse(why);
      keptFloat.push({ name, type, reason: why });
      continue;
    }
    const why = cannot(m, path, canRebuild);
    if (why !== null) {
      if (asked) refuse(why);
      keptFloat.push({ name, type, reason: why });
      continue;
    }
    // A ReLU right after it in the same container (Sequential order) is fused, as torch's fuse_modules does.
    let relu: string | null = null;
    const dot = path.lastIndexOf('.');
    const idx = Number(path.slice(dot + 1));
    if ((opts.fuseRelu ?? true) && Number.isInteger(idx)) {
      const next = `${dot < 0 ? '' : `${path.slice(0, dot)}.`}${idx + 1}`;
      const nm = byPath.get(next);
      if (
        nm !== undefined &&
        nm.constructor === ReLU &&
        canRebuild.has(next) &&
        excludedBy(next) === undefined
      )
        relu = next;
    }
    targets.push({ path, module: m as unknown as Linear | Conv2d, relu });
  }
  return { targets, keptFloat, cfg };
}

/** The static int8 layer of a float Linear/Conv2d with input parameters `act`. */
export function toStatic(m: Linear | Conv2d, act: QParams, relu: boolean): AnyModule {
  if (m instanceof Linear)
    return StaticQuantizedLinear.fromWeights(m.weight, m.bias, act, relu) as unknown as AnyModule;
  return StaticQuantizedConv2d.fromWeights(m, m.weight, m.bias, act, relu) as unknown as AnyModule;
}

/** Assembles the converted model and its report from the chosen layers and their input parameters. */
export function assemble(
  model: AnyModule,
  sel: Selection,
  acts: Map<string, QParams>,
  scheme: 'static-int8' | 'qat-int8',
  observer: ObserverKind | 'qat',
  calibrationSamples: number,
  convert: (path: string) => AnyModule,
): StaticQuantizationReport & { out: AnyModule } {
  const swap = new Map<string, AnyModule>();
  const converted: StaticConvertedLayer[] = [];
  for (const t of sel.targets) {
    const act = acts.get(t.path);
    if (act === undefined) continue;
    const q = convert(t.path);
    swap.set(t.path, q);
    if (t.relu !== null) swap.set(t.relu, new FusedReLU() as unknown as AnyModule);
    let before = 0;
    for (const [, p] of t.module.namedParameters({ recurse: false })) before += p.size * 4;
    converted.push({
      name: t.path,
      type: typeName(t.module as unknown as AnyModule),
      as: typeName(q),
      bytesBefore: before,
      bytesAfter: stateBytesOnDisk(q),
      input: act,
      fusedRelu: t.relu !== null,
    });
  }
  const out = build(model, sel.cfg, swap);
  out.train(false);
  return {
    out,
    scheme,
    observer,
    calibrationSamples,
    converted,
    keptFloat: sel.keptFloat,
    stateBytesBefore: stateBytesOnDisk(model),
    stateBytesAfter: stateBytesOnDisk(out),
  };
}

/**
 * Static int8 quantization of `model` with `calibrationData` (a tensor [N, ...] cut into batches, or an array
 * of batches), run in eval mode without gradients: returns a new eval-mode model with every Linear and Conv2d
 * that can be converted in static int8, and a report of what was converted (with the input parameters) and
 * what was kept in fp32 and why.
 */
export function quantizeStatic<M extends AnyModule>(
  model: M,
  calibrationData: Tensor | readonly Tensor[],
  opts: QuantizeStaticOptions = {},
): StaticQuantizedModel<M> {
  checkOptionKeys(OP, opts, KEYS);
  const kind = opts.observer ?? 'minmax';
  if (!OBSERVER_KINDS.includes(kind))
    fail(OP, `unknown observer ${JSON.stringify(kind)}; expected one of ${OBSERVER_KINDS.join(', ')}`);
  const batchSize = opts.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    fail(OP, `batchSize must be a positive integer, got ${batchSize}`);
  const minSamples = opts.minSamples ?? 32;
  if (!Number.isInteger(minSamples) || minSamples < 1)
    fail(OP, `minSamples must be a positive integer, got ${minSamples}`);
  const batches = batchesOf(calibrationData, batchSize);
  const samples = checkBatches(batches, minSamples);
  const sel = selectLayers(OP, model, opts);
  const obsOpts: ActivationObserverOptions = { percentile: opts.percentile, bins: opts.bins };
  const observers = new Map<string, Observer>();
  const hooks = sel.targets.map((t) => {
    const o = makeObserver(kind, obsOpts);
    observers.set(t.path, o);
    return (t.module as unknown as AnyModule).registerForwardPreHook((_m, args) => {
      const x = args[0];
      if (x instanceof Tensor) o.observe(x.toTypedArray() as ArrayLike<number>);
      return undefined;
    });
  });
  const wasTraining = model.training;
  model.train(false);
  try {
    noGrad(() => {
      batches.forEach((b, i) => {
        try {
          (model as unknown as { call(x: Tensor): unknown }).call(b);
        } catch (e) {
          fail(
            OP,
            `calibration batch ${i} of shape ${fmtShape(b.shape)} does not fit the model: ${(e as Error).message}`,
          );
        }
      });
    });
  } finally {
    for (const h of hooks) h.remove();
    model.train(wasTraining);
  }
  const acts = new Map<string, QParams>();
  const named = new Set(opts.layers ?? []);
  for (const t of sel.targets) {
    const o = observers.get(t.path)!;
    if (o.count === 0) {
      const why = 'the calibration data never reached it (not called by forward)';
      if (named.has(t.path)) fail(OP, `cannot quantize layer "${t.path}": ${why}`);
      sel.keptFloat.push({ name: t.path, type: typeName(t.module as unknown as AnyModule), reason: why });
      continue;
    }
    acts.set(t.path, o.qparams());
  }
  const byPath = new Map(sel.targets.map((t) => [t.path, t]));
  const r = assemble(model, sel, acts, 'static-int8', kind, samples, (p) => {
    const t = byPath.get(p)!;
    return toStatic(t.module, acts.get(p)!, t.relu !== null);
  });
  const { out, ...report } = r;
  return { model: out as M, report };
}
