/**
 * `native.trainStep(model, optimizer, { loss })`: the whole training step (forward, backward, loss and
 * optimizer update) captured as one ONNX graph per shape signature and run on ONNX Runtime. Weights and
 * optimizer state never go back through the library between steps: two sets of buffers are handed to the
 * engine in turn, one as the step's inputs and the other as its preallocated outputs, so a step allocates
 * and copies nothing but the batch. `sync()` writes them back into the model's parameters and the
 * optimizer's state (before evaluating, saving or leaving native training). A model, loss or optimizer
 * that cannot be captured runs the library's own step on the current backend instead, and `reason` says why.
 */
import { noGrad } from '../autograd/node.ts';
import { check, fail, fmtShape } from '../core/errors.ts';
import { checkOptionKeys } from '../core/options.ts';
import { getBackend } from '../kernels/registry.ts';
import { Sequential } from '../nn/containers.ts';
import type { AnyModule } from '../nn/module.ts';
import { GraphBuilder } from '../onnx/graph-builder.ts';
import { ElemType } from '../onnx/proto.ts';
import type { Optimizer } from '../optim/optimizer.ts';
import { zerosLike } from '../tensor/creation.ts';
import { keep } from '../tensor/lifecycle.ts';
import {
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  crossEntropy,
  mseLoss,
} from '../tensor/ops/losses.ts';
import { scope } from '../tensor/scope.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { nativeStatus, type OrtTensor, ort } from './ort.ts';
import { NativeSession, type SessionOptions } from './session.ts';
import { checkLoss, emitLoss, type NativeLoss, targetSpec } from './train-loss.ts';
import { type OptimPlan, optimPlan } from './train-optim.ts';
import { type Emitted, trainRuleFor } from './train-rules.ts';

export interface TrainStepOptions extends SessionOptions {
  /** The loss, mean-reduced: crossEntropy (logits, int32 class ids), mse, bce (probabilities), bceWithLogits. */
  loss: NativeLoss;
  /** Where a step cannot be captured: 'library' (default) runs the library's step; 'error' throws the reason. */
  fallback?: 'library' | 'error';
}
const KEYS = ['loss', 'fallback', 'threads', 'provider', 'spin'];

export interface TrainStep {
  /** 'native' when the step runs on ONNX Runtime, else the library backend that runs it. */
  readonly engine: string;
  /** Why the step is not native (null when it is). */
  readonly reason: string | null;
  /** One step on a batch; returns the loss. */
  step(x: Tensor, y: Tensor): number;
  /** Writes the engine's weights and optimizer state back into the model and optimizer. */
  sync(): void;
  dispose(): void;
}

type Group = Record<string, unknown> & { params: Tensor[]; lr: number };

const LIBRARY_LOSS: Record<NativeLoss, (p: Tensor, y: Tensor) => Tensor> = {
  crossEntropy: (p, y) => crossEntropy(p, y),
  mse: (p, y) => mseLoss(p, y),
  bce: (p, y) => binaryCrossEntropy(p, y),
  bceWithLogits: (p, y) => binaryCrossEntropyWithLogits(p, y),
};

/** The leaves of a model in forward order with their state-dict prefixes, or the reason it cannot be captured. */
function leaves(m: AnyModule, prefix: string, out: { m: AnyModule; prefix: string }[], bad: string[]): void {
  if (m instanceof Sequential) {
    for (const [k, c] of m.namedChildren()) leaves(c, prefix === '' ? k : `${prefix}.${k}`, out, bad);
    return;
  }
  const rule = trainRuleFor(m);
  if (rule === undefined) bad.push(`${prefix === '' ? '(root)' : prefix}: ${m.constructor.name}`);
  else {
    // Shape-independent reasons are known now; shape-dependent ones when a signature is built.
    const why = rule.unsupported?.(m);
    if (why != null) bad.push(`${prefix}: ${why}`);
    out.push({ m, prefix });
  }
}

function captureProblem(
  model: AnyModule,
  opt: Optimizer,
  layers: { m: AnyModule; prefix: string }[],
): string | null {
  const st = nativeStatus();
  if (!st.available) return st.reason ?? 'onnxruntime-node is unavailable';
  const bad: string[] = [];
  leaves(model, '', layers, bad);
  if (bad.length > 0) return `no captured-step rule for ${bad.join(', ')}`;
  const inOpt = new Set(opt.paramGroups.flatMap((g) => g.params));
  const params = model.parameters();
  for (const [k, p] of model.namedParameters()) {
    if (!inOpt.has(p)) return `parameter ${k} is not in the optimizer`;
    if (!p.requiresGrad) return `parameter ${k} is frozen (requiresGrad false)`;
    if (p.dtype !== 'float32') return `parameter ${k} is ${p.dtype} (captured steps are float32)`;
  }
  if (inOpt.size !== params.length) return 'the optimizer holds parameters that are not in the model';
  const plan = optimPlan(opt);
  return typeof plan === 'string' ? plan : null;
}

interface Signature {
  session: NativeSession;
  x: Float32Array;
  y: Float32Array | Int32Array;
  loss: Float32Array;
  /** feeds/fetches by parity: parity p reads buffer set p and writes set 1-p. */
  io: [Record<string, OrtTensor>, Record<string, OrtTensor>][];
}

class LibraryStep implements TrainStep {
  readonly engine = getBackend().name;
  constructor(
    readonly reason: string,
    readonly model: AnyModule,
    readonly opt: Optimizer,
    readonly loss: NativeLoss,
  ) {}
  step(x: Tensor, y: Tensor): number {
    return scope(() => {
      this.opt.zeroGrad();
      const l = LIBRARY_LOSS[this.loss]((this.model as unknown as { call(t: Tensor): Tensor }).call(x), y);
      l.backward();
      this.opt.step();
      return l.item();
    });
  }
  sync(): void {}
  dispose(): void {}
}

class CapturedStep implements TrainStep {
  readonly engine = 'native';
  readonly reason = null;
  readonly #params: Tensor[];
  readonly #keys: string[];
  readonly #groups: Group[];
  readonly #groupOf: number[];
  readonly #plan: OptimPlan;
  /** bufs[set][param] = [param, ...state] */
  readonly #bufs: Float32Array[][][];
  readonly #tensors: OrtTensor[][][];
  readonly #scalars: Float32Array[][];
  readonly #scalarTensors: OrtTensor[][];
  readonly #steps: number[];
  readonly #sigs = new Map<string, Signature>();
  #parity = 0;

  constructor(
    readonly model: AnyModule,
    readonly opt: Optimizer,
    readonly loss: NativeLoss,
    readonly layers: { m: AnyModule; prefix: string }[],
    readonly opts: SessionOptions,
  ) {
    const named = model.namedParameters();
    this.#keys = named.map(([k]) => k);
    this.#params = named.map(([, p]) => p);
    this.#groups = opt.paramGroups as unknown as Group[];
    this.#groupOf = this.#params.map((p) => this.#groups.findIndex((g) => g.params.includes(p)));
    this.#plan = optimPlan(opt) as OptimPlan;
    const { Tensor: T } = ort();
    const nState = this.#plan.stateKeys.length;
    this.#bufs = [0, 1].map(() =>
      this.#params.map((p) => Array.from({ length: 1 + nState }, () => new Float32Array(p.size))),
    );
    this.#tensors = this.#bufs.map((set) =>
      set.map((arrs, i) => arrs.map((a) => new T('float32', a, [...this.#params[i]!.shape]))),
    );
    this.#scalars = this.#groups.map(() => this.#plan.scalarKeys.map(() => new Float32Array(1)));
    this.#scalarTensors = this.#scalars.map((s) => s.map((a) => new T('float32', a, [])));
    this.#steps = this.#groups.map(() => 0);
    this.#load();
  }

  /** Copies the model's weights and the optimizer's state (if any) into buffer set 0. */
  #load(): void {
    this.#parity = 0;
    this.#params.forEach((p, i) => {
      const bufs = this.#bufs[0]![i]!;
      bufs[0]!.set(p.contiguous().data as Float32Array);
      const st = this.opt.state.get(p) as Record<string, unknown> | undefined;
      this.#plan.stateKeys.forEach((k, j) => {
        const t = st?.[k] as Tensor | undefined;
        if (t !== undefined) bufs[1 + j]!.set(t.contiguous().data as Float32Array);
        else bufs[1 + j]!.fill(0);
      });
      const g = this.#groupOf[i]!;
      const steps =
        st === undefined
          ? 0
          : this.#plan.kind === 'adam'
            ? (st.step as number)
            : st.momentumBuffer !== undefined
              ? 1
              : 0;
      this.#steps[g] = Math.max(this.#steps[g]!, steps);
    });
  }

  #key(x: Tensor, y: Tensor): string {
    return `${x.shape.join('x')}|${y.dtype}:${y.shape.join('x')}|${this.#groups.map((g) => this.#plan.statics(g)).join(',')}`;
  }

  #build(x: Tensor, y: Tensor): Signature {
    const g = new GraphBuilder('train_step');
    const spec0 = targetSpec(this.loss, [x.shape[0]!, 1]);
    g.addInput('x', ElemType.FLOAT, [...x.shape]);
    g.addInput('y', spec0.elem, [...y.shape]);
    const nState = this.#plan.stateKeys.length;
    const index = new Map(this.#keys.map((k, i) => [k, i]));
    this.#params.forEach((p, i) => {
      g.addInput(`p${i}`, ElemType.FLOAT, [...p.shape]);
      for (let j = 0; j < nState; j++) g.addInput(`s${i}_${j}`, ElemType.FLOAT, [...p.shape]);
    });
    this.#groups.forEach((_gr, gi) => {
      for (let j = 0; j < this.#plan.scalarKeys.length; j++) g.addInput(`h${gi}_${j}`, ElemType.FLOAT, []);
    });
    for (const n of [
      'loss',
      ...this.#params.flatMap((_p, i) => [
        `p${i}_out`,
        ...Array.from({ length: nState }, (_s, j) => `s${i}_${j}_out`),
      ]),
    ])
      g.reserve(n);
    // Forward, keeping each layer's backward closure.
    let cur = 'x';
    let shape: number[] = [...x.shape];
    const tape: { e: Emitted; prefix: string }[] = [];
    for (const { m, prefix } of this.layers) {
      const rule = trainRuleFor(m)!;
      const why = rule.shapeProblem?.(shape);
      if (why != null) fail('native.trainStep', `${prefix}: ${why}`);
      const e = rule.emit(g, m, cur, shape, (k) => `p${index.get(prefix === '' ? k : `${prefix}.${k}`)!}`);
      tape.push({ e, prefix });
      cur = e.y;
      shape = e.shape;
    }
    const spec = targetSpec(this.loss, shape);
    check(
      y.dtype === spec.dtype && y.shape.join(',') === spec.shape.join(','),
      'native.trainStep',
      () =>
        `${this.loss} needs a ${spec.dtype} target of shape ${fmtShape(spec.shape)}, got ${y.dtype} ${fmtShape(y.shape)}`,
    );
    let grad = emitLoss(g, this.loss, cur, 'y', shape, 'loss');
    g.addOutput('loss', ElemType.FLOAT, []);
    const grads = new Map<number, string>();
    for (let l = tape.length - 1; l >= 0; l--) {
      const { e, prefix } = tape[l]!;
      const r = e.back(grad, l > 0);
      for (const [k, gname] of Object.entries(r.grads))
        grads.set(index.get(prefix === '' ? k : `${prefix}.${k}`)!, gname);
      if (l > 0) grad = r.dx!;
    }
    this.#params.forEach((p, i) => {
      const gi = this.#groupOf[i]!;
      const state = Array.from({ length: nState }, (_s, j) => `s${i}_${j}`);
      const outState = state.map((s) => `${s}_out`);
      const h = this.#plan.scalarKeys.map((_k, j) => `h${gi}_${j}`);
      this.#plan.emit(g, this.#groups[gi]!, `p${i}`, grads.get(i)!, state, h, {
        p: `p${i}_out`,
        state: outState,
      });
      g.addOutput(`p${i}_out`, ElemType.FLOAT, [...p.shape]);
      for (const s of outState) g.addOutput(s, ElemType.FLOAT, [...p.shape]);
    });
    const session = new NativeSession(g.toBytes({ opset: 17 }), this.opts);
    const { Tensor: T } = ort();
    const xb = new Float32Array(x.size);
    const yb = spec.dtype === 'int32' ? new Int32Array(y.size) : new Float32Array(y.size);
    const lb = new Float32Array(1);
    const xt = new T('float32', xb, [...x.shape]);
    const yt =
      spec.dtype === 'int32'
        ? new T('int32', yb as Int32Array, [...y.shape])
        : new T('float32', yb as Float32Array, [...y.shape]);
    const lt = new T('float32', lb, []);
    const io = [0, 1].map((par): [Record<string, OrtTensor>, Record<string, OrtTensor>] => {
      const feeds: Record<string, OrtTensor> = { x: xt, y: yt };
      const fetches: Record<string, OrtTensor> = { loss: lt };
      this.#params.forEach((_p, i) => {
        const src = this.#tensors[par]![i]!;
        const dst = this.#tensors[1 - par]![i]!;
        feeds[`p${i}`] = src[0]!;
        fetches[`p${i}_out`] = dst[0]!;
        for (let j = 0; j < nState; j++) {
          feeds[`s${i}_${j}`] = src[1 + j]!;
          fetches[`s${i}_${j}_out`] = dst[1 + j]!;
        }
      });
      this.#scalarTensors.forEach((ts, gi) => {
        ts.forEach((t, j) => {
          feeds[`h${gi}_${j}`] = t;
        });
      });
      return [feeds, fetches];
    });
    return { session, x: xb, y: yb, loss: lb, io };
  }

  step(x: Tensor, y: Tensor): number {
    check(x.dtype === 'float32', 'native.trainStep', () => `input must be float32, got ${x.dtype}`);
    const key = this.#key(x, y);
    let sig = this.#sigs.get(key);
    if (sig === undefined) {
      sig = this.#build(x, y);
      this.#sigs.set(key, sig);
    }
    sig.x.set(x.contiguous().data as Float32Array);
    sig.y.set(y.contiguous().data as Float32Array & Int32Array);
    this.#groups.forEach((gr, gi) => {
      const vals = this.#plan.scalars(gr, this.#steps[gi]! + 1);
      vals.forEach((v, j) => {
        this.#scalars[gi]![j]![0] = v;
      });
    });
    const [feeds, fetches] = sig.io[this.#parity]!;
    sig.session.run(feeds, fetches);
    this.#parity ^= 1;
    for (let gi = 0; gi < this.#steps.length; gi++) this.#steps[gi]!++;
    this.opt.stepCount++;
    return sig.loss[0]!;
  }

  sync(): void {
    noGrad(() => {
      this.#params.forEach((p, i) => {
        const bufs = this.#bufs[this.#parity]![i]!;
        p.data.set(bufs[0]!);
        const steps = this.#steps[this.#groupOf[i]!]!;
        if (steps === 0) return;
        let st = this.opt.state.get(p) as Record<string, unknown> | undefined;
        if (st === undefined) {
          st = {};
          this.opt.state.set(p, st as never);
        }
        const s = st;
        this.#plan.stateKeys.forEach((k, j) => {
          s[k] ??= keep(zerosLike(p));
          (s[k] as Tensor).data.set(bufs[1 + j]!);
        });
        if (this.#plan.kind === 'adam') s.step = steps;
      });
    });
    // The buffers now equal the model; a later step continues from set 0 after a reload, so edits made
    // to the model between sync() and the next step are picked up.
    this.#load();
  }

  dispose(): void {
    for (const s of this.#sigs.values()) s.session.dispose();
    this.#sigs.clear();
  }
}

/**
 * A training step for `model` with `optimizer`, captured on ONNX Runtime when the model is a Sequential of
 * supported layers (Linear, ReLU, LeakyReLU, Sigmoid, Tanh, SiLU, ELU, Flatten, Dropout p=0), the optimizer
 * is SGD, Adam or AdamW (no amsgrad) and onnxruntime-node loads; otherwise the library's step.
 */
export function trainStep(model: AnyModule, optimizer: Optimizer, opts: TrainStepOptions): TrainStep {
  checkOptionKeys('native.trainStep', opts, KEYS);
  const loss = checkLoss(opts.loss);
  const layers: { m: AnyModule; prefix: string }[] = [];
  const why = captureProblem(model, optimizer, layers);
  const session: SessionOptions = {};
  if (opts.threads !== undefined) session.threads = opts.threads;
  if (opts.provider !== undefined) session.provider = opts.provider;
  if (opts.spin !== undefined) session.spin = opts.spin;
  if (why === null) return new CapturedStep(model, optimizer, loss, layers, session);
  if (opts.fallback === 'error') fail('native.trainStep', `the step cannot run natively: ${why}`);
  return new LibraryStep(why, model, optimizer, loss);
}
