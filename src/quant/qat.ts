/**
 * Quantization-aware training (torch.ao.quantization.prepare_qat / convert): prepareQat swaps each Linear and
 * Conv2d for its fake-quantizing QAT form (a ReLU that follows is fused into it), the model is fine-tuned with
 * fit as usual, and convertQat turns the QAT layers into the same static int8 layers quantizeStatic produces,
 * with the input parameters the training observed. Both rebuild the model from its config (so each result
 * saves and loads like any model) and leave their input untouched.
 */
import { fail } from '../core/errors.ts';
import { checkOptionKeys, optionKeys } from '../core/options.ts';
import { Linear } from '../nn/layers/linear.ts';
import { type AnyModule, moduleToConfig } from '../nn/module.ts';
import { build, type ConvertedLayer, type KeptLayer } from './dynamic.ts';
import type { QParams } from './observers.ts';
import { QatConv2d, QatLinear } from './qat-layers.ts';
import {
  assemble,
  type Selection,
  type StaticQuantizedModel,
  selectLayers,
  stateBytesOnDisk,
} from './static.ts';
import { FusedReLU, StaticQuantizedConv2d, StaticQuantizedLinear } from './static-layers.ts';

export interface PrepareQatOptions {
  /** Dotted module names that must be prepared: one that cannot be is an error naming why. */
  layers?: string[];
  /** Dotted module names kept in fp32 (no fake quantization), with everything under them. */
  exclude?: string[];
  /** Fuse a ReLU that follows a prepared layer into it (true). */
  fuseRelu?: boolean;
  /** The activation observers' moving-average weight (0.01, torch's). */
  averagingConstant?: number;
}
const KEYS = optionKeys<PrepareQatOptions>({
  layers: true,
  exclude: true,
  fuseRelu: true,
  averagingConstant: true,
});

export interface QatReport {
  /** The layers that now fake-quantize (as: QatLinear or QatConv2d). */
  prepared: (Omit<ConvertedLayer, 'bytesBefore' | 'bytesAfter'> & { fusedRelu: boolean })[];
  keptFloat: KeptLayer[];
}

export interface QatModel<M extends AnyModule = AnyModule> {
  model: M;
  report: QatReport;
}

/**
 * A copy of `model`, in training mode, in which every Linear and Conv2d that can be quantized fake-quantizes
 * its input and weights; train it with fit, then convertQat it.
 */
export function prepareQat<M extends AnyModule>(model: M, opts: PrepareQatOptions = {}): QatModel<M> {
  const OP = 'prepareQat';
  checkOptionKeys(OP, opts, KEYS);
  const sel = selectLayers(OP, model, opts);
  const swap = new Map<string, AnyModule>();
  const prepared: QatReport['prepared'] = [];
  for (const t of sel.targets) {
    const relu = t.relu !== null;
    const q = { relu, averagingConstant: opts.averagingConstant };
    const m = t.module;
    const qat = m instanceof Linear ? QatLinear.like(m, q) : QatConv2d.like(m, q);
    swap.set(t.path, qat as unknown as AnyModule);
    // The weights come across by name (weight, bias); the new act_* buffers start unobserved.
    (qat as unknown as AnyModule).loadStateDict(
      { ...(qat as unknown as AnyModule).stateDict(), ...m.stateDict() },
      { strict: true },
    );
    if (t.relu !== null) swap.set(t.relu, new FusedReLU() as unknown as AnyModule);
    prepared.push({ name: t.path, type: m.constructor.name, as: qat.constructor.name, fusedRelu: relu });
  }
  const out = build(model, sel.cfg, swap);
  out.train(true);
  return { model: out as M, report: { prepared, keptFloat: sel.keptFloat } };
}

/**
 * The static int8 model of a QAT-trained model: each QatLinear/QatConv2d becomes StaticQuantizedLinear/
 * StaticQuantizedConv2d with the weights' per-channel scales and the input parameters observed in training.
 * A QAT layer that never ran in training mode has no input range and is an error naming it.
 */
export function convertQat<M extends AnyModule>(
  model: M,
  opts: Record<string, never> = {},
): StaticQuantizedModel<M> {
  const OP = 'convertQat';
  checkOptionKeys(OP, opts, []);
  let cfg: ReturnType<typeof moduleToConfig>;
  try {
    cfg = moduleToConfig(model);
  } catch (e) {
    fail(OP, `the model is rebuilt from its config, which failed: ${(e as Error).message}`);
  }
  const sel: Selection = { targets: [], keptFloat: [], cfg };
  const acts = new Map<string, QParams>();
  for (const [path, m] of model.namedModules()) {
    if (m instanceof QatLinear || m instanceof QatConv2d) {
      const qp = m.qat.qparams();
      if (qp === null)
        fail(
          OP,
          `layer "${path}" (${m.constructor.name}) has observed no input in training mode, so it has no activation range; fine-tune the prepared model with fit before converting`,
        );
      acts.set(path, qp);
      sel.targets.push({ path, module: m, relu: null });
    } else if (
      m.namedParameters({ recurse: false }).length > 0 &&
      !(m instanceof StaticQuantizedLinear || m instanceof StaticQuantizedConv2d)
    )
      sel.keptFloat.push({
        name: path === '' ? '(model)' : path,
        type: m.constructor.name,
        reason: 'it was not prepared for quantization-aware training (prepareQat kept it in fp32)',
      });
  }
  if (sel.targets.length === 0) fail(OP, 'the model has no QAT layers; prepare it with prepareQat first');
  const r = assemble(model, sel, acts, 'qat-int8', 'qat', 0, (path) => {
    const m = sel.targets.find((t) => t.path === path)!.module as QatLinear | QatConv2d;
    const act = acts.get(path)!;
    const relu = m.qat.relu;
    if (m instanceof QatLinear)
      return StaticQuantizedLinear.fromWeights(m.weight, m.bias, act, relu) as unknown as AnyModule;
    return StaticQuantizedConv2d.fromWeights(m, m.weight, m.bias, act, relu) as unknown as AnyModule;
  });
  const { out, ...report } = r;
  // Fused flags come from the QAT layers themselves (their ReLUs are FusedReLU already).
  for (const c of report.converted) {
    const m = sel.targets.find((t) => t.path === c.name)!.module as QatLinear | QatConv2d;
    c.fusedRelu = m.qat.relu;
  }
  report.stateBytesAfter = stateBytesOnDisk(out);
  return { model: out as M, report };
}
