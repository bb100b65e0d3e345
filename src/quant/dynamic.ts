/**
 * quantizeDynamic: post-training dynamic int8 quantization of a model (torch.ao.quantization.quantize_dynamic):
 * the chosen layers' weights become int8 with per-output-channel scales, activations are quantized per batch
 * at run time. The model is rebuilt from its config with the quantized layers in place (so the result saves
 * and loads like any model); the original is left untouched.
 */
import { fail } from '../core/errors.ts';
import { checkOptionKeys } from '../core/options.ts';
import { didYouMean } from '../core/registry.ts';
import { Embedding } from '../nn/layers/embedding.ts';
import { Linear } from '../nn/layers/linear.ts';
import { type AnyModule, type ModuleConfig, moduleFromConfig, moduleToConfig } from '../nn/module.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { QuantizedEmbedding } from './quantized-embedding.ts';
import { QuantizedLinear } from './quantized-linear.ts';

/** The layer types dynamic int8 converts. */
export type DynamicQuantType = 'Linear' | 'Embedding';
const CONVERTERS: Record<DynamicQuantType, { cls: abstract new (...a: never[]) => AnyModule; to: string }> = {
  Linear: { cls: Linear, to: 'QuantizedLinear' },
  Embedding: { cls: Embedding, to: 'QuantizedEmbedding' },
};
const SUPPORTED = Object.keys(CONVERTERS) as DynamicQuantType[];
/** torch's default set is Linear and the recurrent layers; embeddings need asking for, as there. */
const DEFAULT_TYPES: DynamicQuantType[] = ['Linear'];
/** Layers with weights that have no dynamic int8 form here, with the reason the report gives. */
const WHY_NOT: Record<string, string> = {
  Conv1d:
    'dynamic int8 is not implemented for convolutions (static int8 with calibration is the way for CNNs)',
  Conv2d:
    'dynamic int8 is not implemented for convolutions (static int8 with calibration is the way for CNNs)',
  LSTM: 'dynamic int8 is not implemented for recurrent layers yet',
  GRU: 'dynamic int8 is not implemented for recurrent layers yet',
  RNN: 'dynamic int8 is not implemented for recurrent layers yet',
};
const NORM = 'normalization layers stay in fp32 (few weights, and int8 would cost accuracy for no size gain)';
for (const n of ['BatchNorm1d', 'BatchNorm2d', 'LayerNorm', 'GroupNorm', 'RMSNorm']) WHY_NOT[n] = NORM;

export interface QuantizeDynamicOptions {
  /** Layer types converted wherever they are (default ['Linear']; 'Embedding' on request, as in torch). */
  types?: DynamicQuantType[];
  /** Dotted module names to convert as well (torch's qconfig_spec by name); one that cannot be is an error. */
  layers?: string[];
  /** Dotted module names kept in fp32, with everything under them. */
  exclude?: string[];
  /** Only 'int8' (the default). */
  dtype?: 'int8';
}

export interface ConvertedLayer {
  name: string;
  type: string;
  /** The quantized layer's class. */
  as: string;
  /** Weight bytes on disk before (fp32) and after (int8 values, float32 scales and bias). */
  bytesBefore: number;
  bytesAfter: number;
}

export interface KeptLayer {
  name: string;
  type: string;
  reason: string;
}

export interface QuantizationReport {
  /** dynamic-int8 (quantizeDynamic), static-int8 (quantizeStatic) or qat-int8 (convertQat). */
  scheme: 'dynamic-int8' | 'static-int8' | 'qat-int8';
  converted: ConvertedLayer[];
  /** Every layer holding weights that is still fp32, with why. */
  keptFloat: KeptLayer[];
  /** Bytes of every tensor in the state dict, before and after (int8 counted as one byte). */
  stateBytesBefore: number;
  stateBytesAfter: number;
}

export interface QuantizedModel<M extends AnyModule = AnyModule> {
  model: M;
  report: QuantizationReport;
}

const OP = 'quantizeDynamic';

/** The module type's name for the report. */
export function typeName(m: AnyModule): string {
  return m.constructor.name;
}

function tensorBytes(t: Tensor, int8: boolean): number {
  return t.size * (int8 ? 1 : t.dtype === 'float64' ? 8 : t.dtype === 'bool' ? 1 : 4);
}

function stateBytes(m: AnyModule): number {
  let b = 0;
  for (const t of Object.values(m.stateDict())) b += tensorBytes(t, false);
  // Int8 weights are int32 in memory and one byte on disk.
  for (const [, q] of m.namedModules())
    if (q instanceof QuantizedLinear || q instanceof QuantizedEmbedding) b -= 3 * q.weight.size;
  return b;
}

/**
 * Paths of the modules a rebuild from config reaches: the root, and the children of containers whose
 * config lists them as `layers` named '0', '1', ... (Sequential, ModuleList, functional models). A layer
 * built by its parent's constructor (attention's projections, a custom model's fields) is rebuilt fp32 from
 * the parent's config, so it cannot be replaced by a quantized layer that would survive saving.
 */
export function reachable(cfg: ModuleConfig, m: AnyModule, path: string, out: Set<string>): void {
  out.add(path);
  const layers = cfg.config?.layers;
  const kids = m.namedChildren();
  if (!Array.isArray(layers) || layers.length !== kids.length) return;
  kids.forEach(([name, child], i) => {
    const c = layers[i] as unknown as ModuleConfig;
    if (name !== String(i) || c === null || typeof c !== 'object' || typeof c.className !== 'string') return;
    reachable(c, child, path === '' ? name : `${path}.${name}`, out);
  });
}

function rebuild(cfg: ModuleConfig, path: string, swap: Map<string, AnyModule>): ModuleConfig {
  const q = swap.get(path);
  if (q !== undefined) return moduleToConfig(q);
  const layers = cfg.config?.layers;
  if (!Array.isArray(layers)) return cfg;
  const child = (i: number) => (path === '' ? String(i) : `${path}.${i}`);
  return {
    className: cfg.className,
    config: {
      ...cfg.config,
      layers: layers.map(
        (l, i) => rebuild(l as unknown as ModuleConfig, child(i), swap) as unknown as ModuleConfig[][number],
      ) as unknown as ModuleConfig['config'][string],
    },
  };
}

/** The dotted names in `names`, checked to be modules of the model (`op` names the caller in errors). */
export function checkModuleNames(op: string, key: string, names: unknown, known: Set<string>): string[] {
  if (names === undefined) return [];
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string'))
    fail(op, `${key} must be an array of dotted module names, got ${JSON.stringify(names)}`);
  for (const n of names)
    if (!known.has(n))
      fail(op, `${key} names "${n}", which is not a module of the model${didYouMean(n, known)}`);
  return names;
}

/** Why a weight-holding module selected for conversion cannot be converted, or null when it can. */
export function cannot(m: AnyModule, path: string, canRebuild: Set<string>): string | null {
  const params = m.namedParameters({ recurse: false });
  if (params.some(([, p]) => p.dtype !== 'float32'))
    return 'its weights are float64 (the int8 kernels produce float32); convert the model to float32 first';
  for (const [k, p] of params) {
    const a = p.toTypedArray();
    for (let i = 0; i < a.length; i++)
      if (!Number.isFinite(a[i]!)) return `its ${k} holds ${a[i]} (no int8 scale represents it)`;
  }
  if (!canRebuild.has(path))
    return 'its parent builds it in its own constructor (not from config.layers), so a quantized layer in its place would not survive saving';
  return null;
}

/**
 * Dynamic int8 quantization of `model` (torch.ao.quantization.quantize_dynamic): returns a new model, eval
 * mode, in which every selected layer is its int8 counterpart, and a report of what was converted and what
 * was left in fp32 and why. The model's classes must be registered layers (it is rebuilt from its config).
 */
export function quantizeDynamic<M extends AnyModule>(
  model: M,
  opts: QuantizeDynamicOptions = {},
): QuantizedModel<M> {
  checkOptionKeys(OP, opts, ['types', 'layers', 'exclude', 'dtype']);
  if (opts.dtype !== undefined && opts.dtype !== 'int8')
    fail(OP, `dtype must be 'int8' (the only dynamic scheme here), got ${JSON.stringify(opts.dtype)}`);
  const types = opts.types ?? DEFAULT_TYPES;
  if (!Array.isArray(types)) fail(OP, `types must be an array of layer types, got ${JSON.stringify(types)}`);
  for (const t of types)
    if (!(SUPPORTED as string[]).includes(t))
      fail(
        OP,
        `cannot quantize layer type ${JSON.stringify(t)} dynamically: ${WHY_NOT[t] ?? 'no such quantizable layer type'} (types: ${SUPPORTED.join(', ')})`,
      );
  const modules = model.namedModules();
  const known = new Set(modules.map(([p]) => p).filter((p) => p !== ''));
  const named = new Set(checkModuleNames(OP, 'layers', opts.layers, known));
  const exclude = checkModuleNames(OP, 'exclude', opts.exclude, known);
  for (const n of exclude)
    if (named.has(n)) fail(OP, `"${n}" is both in layers (to convert) and in exclude (to keep in fp32)`);
  let cfg: ModuleConfig;
  try {
    cfg = moduleToConfig(model);
  } catch (e) {
    fail(OP, `the model is rebuilt from its config, which failed: ${(e as Error).message}`);
  }
  const canRebuild = new Set<string>();
  reachable(cfg, model, '', canRebuild);
  const excludedBy = (p: string) => exclude.find((e) => p === e || p.startsWith(`${e}.`));
  const converted: ConvertedLayer[] = [];
  const keptFloat: KeptLayer[] = [];
  const swap = new Map<string, AnyModule>();
  for (const [path, m] of modules) {
    if (m instanceof QuantizedLinear || m instanceof QuantizedEmbedding) continue;
    const hasWeights = m.namedParameters({ recurse: false }).length > 0;
    const asked = named.has(path);
    if (!hasWeights && !asked) continue;
    const name = path === '' ? '(model)' : path;
    const type = typeName(m);
    const kind = SUPPORTED.find((t) => m.constructor === CONVERTERS[t].cls);
    const refuse = (why: string): never => fail(OP, `cannot quantize layer "${name}" (${type}): ${why}`);
    const ex = excludedBy(path);
    if (ex !== undefined) {
      keptFloat.push({ name, type, reason: `excluded by name ("${ex}" in exclude)` });
      continue;
    }
    if (kind === undefined) {
      const why = !hasWeights
        ? 'it has no weights of its own'
        : (WHY_NOT[type] ?? `no dynamic int8 form (dynamic int8 covers ${SUPPORTED.join(', ')})`);
      if (asked) refuse(why);
      keptFloat.push({ name, type, reason: why });
      continue;
    }
    if (!asked && !types.includes(kind)) {
      keptFloat.push({ name, type, reason: `type ${kind} is not in types [${types.join(', ')}]` });
      continue;
    }
    const why = cannot(m, path, canRebuild);
    if (why !== null) {
      if (asked) refuse(why);
      keptFloat.push({ name, type, reason: why });
      continue;
    }
    const q =
      kind === 'Linear'
        ? QuantizedLinear.fromFloat(m as unknown as Linear)
        : QuantizedEmbedding.fromFloat(m as unknown as Embedding);
    swap.set(path, q as unknown as AnyModule);
    let before = 0;
    for (const [, p] of m.namedParameters({ recurse: false })) before += tensorBytes(p, false);
    converted.push({
      name,
      type,
      as: CONVERTERS[kind].to,
      bytesBefore: before,
      bytesAfter: stateBytes(q as unknown as AnyModule),
    });
  }
  const out = build(model, cfg, swap);
  out.train(false);
  return {
    model: out as M,
    report: {
      scheme: 'dynamic-int8',
      converted,
      keptFloat,
      stateBytesBefore: stateBytes(model),
      stateBytesAfter: stateBytes(out),
    },
  };
}

/** The model rebuilt from config with `swap`'s layers in place, weights copied from the original. */
export function build(model: AnyModule, cfg: ModuleConfig, swap: Map<string, AnyModule>): AnyModule {
  const root = swap.get('');
  if (root !== undefined) return root;
  const out = moduleFromConfig(rebuild(cfg, '', swap));
  const state: Record<string, Tensor> = {};
  const prefixes = [...swap.keys()].map((p) => `${p}.`);
  for (const [k, v] of Object.entries(model.stateDict()))
    if (!prefixes.some((p) => k.startsWith(p))) state[k] = v;
  for (const [p, q] of swap) for (const [k, v] of Object.entries(q.stateDict())) state[`${p}.${k}`] = v;
  out.loadStateDict(state);
  return out;
}

/** The report as text: one line per converted layer and per layer kept in fp32, then the sizes. */
export function formatReport(r: QuantizationReport): string {
  const kb = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
  const lines = [`${r.scheme}: ${r.converted.length} layer(s) converted, ${r.keptFloat.length} kept in fp32`];
  for (const c of r.converted)
    lines.push(`  int8  ${c.name} (${c.type} -> ${c.as}): ${kb(c.bytesBefore)} -> ${kb(c.bytesAfter)}`);
  for (const k of r.keptFloat) lines.push(`  fp32  ${k.name} (${k.type}): ${k.reason}`);
  const ratio = r.stateBytesBefore === 0 ? 1 : r.stateBytesAfter / r.stateBytesBefore;
  lines.push(`  weights: ${kb(r.stateBytesBefore)} -> ${kb(r.stateBytesAfter)} (${ratio.toFixed(3)}x)`);
  return lines.join('\n');
}
