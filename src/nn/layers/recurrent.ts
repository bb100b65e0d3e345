import type { DType } from '../../core/dtype.ts';
import { check, fmtShape } from '../../core/errors.ts';
import { checkOptionKeys, optionKeys } from '../../core/options.ts';
import type { Generator } from '../../core/rng.ts';
import { zeros } from '../../tensor/creation.ts';
import { dropout } from '../../tensor/ops/dropout.ts';
import { cat, chunk, stack } from '../../tensor/ops/join.ts';
import { linear } from '../../tensor/ops/linalg.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { cfgBool, cfgDType, cfgNumber, cfgString } from '../config.ts';
import { uniform_ } from '../init.ts';
import { type LayerConfig, Module, registerLayer } from '../module.ts';
import type { Parameter } from '../parameter.ts';
import { checkPositiveInt, checkProbability, newParam } from './common.ts';

export interface RNNOptions {
  numLayers?: number;
  bias?: boolean;
  /** Input and output as [N, T, features] instead of [T, N, features] (states stay [layers, N, H]). */
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last, in training. */
  dropout?: number;
  bidirectional?: boolean;
  dtype?: DType;
  generator?: Generator;
}

type Mode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';
const GATES: Record<Mode, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 4, GRU: 3 };

interface LayerWeights {
  wIh: Parameter;
  wHh: Parameter;
  bIh: Parameter | null;
  bHh: Parameter | null;
}

/**
 * torch.nn.RNNBase: `numLayers` stacked layers (optionally bidirectional), parameters named as torch
 * (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, `..._reverse`), gate blocks stacked in
 * torch's order (LSTM i, f, g, o; GRU r, z, n), every parameter initialised U(-1/sqrt(H), 1/sqrt(H)).
 * The input projection of a whole sequence is one matmul; the recurrence runs step by step.
 */
abstract class RNNBase<S> extends Module<[Tensor, S?], [Tensor, S]> {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly #weights: LayerWeights[] = [];
  protected abstract readonly layerName: string;

  constructor(
    protected readonly mode: Mode,
    inputSize: number,
    hiddenSize: number,
    opts: RNNOptions,
  ) {
    super();
    const name = mode === 'LSTM' ? 'LSTM' : mode === 'GRU' ? 'GRU' : 'RNN';
    checkPositiveInt(name, 'inputSize', inputSize);
    checkPositiveInt(name, 'hiddenSize', hiddenSize);
    const numLayers = opts.numLayers ?? 1;
    checkPositiveInt(name, 'numLayers', numLayers);
    checkProbability(name, opts.dropout ?? 0);
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = numLayers;
    this.bias = opts.bias ?? true;
    this.batchFirst = opts.batchFirst ?? false;
    this.dropout = opts.dropout ?? 0;
    this.bidirectional = opts.bidirectional ?? false;
    const g = GATES[mode] * hiddenSize;
    const dirs = this.bidirectional ? 2 : 1;
    for (let l = 0; l < numLayers; l++) {
      const inSize = l === 0 ? inputSize : hiddenSize * dirs;
      for (let d = 0; d < dirs; d++) {
        const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
        const wIh = this.registerParameter(`weight_ih${sfx}`, newParam([g, inSize], opts.dtype));
        const wHh = this.registerParameter(`weight_hh${sfx}`, newParam([g, hiddenSize], opts.dtype));
        const bIh = this.bias ? this.registerParameter(`bias_ih${sfx}`, newParam([g], opts.dtype)) : null;
        const bHh = this.bias ? this.registerParameter(`bias_hh${sfx}`, newParam([g], opts.dtype)) : null;
        this.#weights.push({ wIh, wHh, bIh, bHh });
      }
    }
    this.resetParameters(opts.generator);
  }

  /** torch's default: every parameter U(-1/sqrt(hiddenSize), 1/sqrt(hiddenSize)), in registration order. */
  resetParameters(generator?: Generator): void {
    const stdv = 1 / Math.sqrt(this.hiddenSize);
    for (const p of this.parameters()) uniform_(p, -stdv, stdv, { generator });
  }

  protected get dtype(): DType {
    return this.#weights[0]!.wIh.dtype;
  }

  /** Runs the stack; h0/c0 are [layers * dirs, N, H] (c0 only for LSTM). */
  protected run(
    input: Tensor,
    h0: Tensor | null,
    c0: Tensor | null,
  ): { out: Tensor; h: Tensor; c: Tensor | null } {
    const L = this.layerName;
    check(
      input.ndim === 2 || input.ndim === 3,
      L,
      () => `expected input of rank 2 (unbatched [T, ${this.inputSize}]) or 3, got ${fmtShape(input.shape)}`,
    );
    check(
      input.shape[input.ndim - 1] === this.inputSize,
      L,
      () => `expected input with ${this.inputSize} features in the last dim, got ${fmtShape(input.shape)}`,
    );
    const batched = input.ndim === 3;
    let x = batched ? (this.batchFirst ? input.transpose(0, 1) : input) : input.unsqueeze(1);
    const [steps, n] = [x.shape[0]!, x.shape[1]!];
    const dirs = this.bidirectional ? 2 : 1;
    const stateShape = [this.numLayers * dirs, n, this.hiddenSize];
    const prepState = (s: Tensor | null, what: string): Tensor => {
      if (s === null) return zeros(stateShape, { dtype: x.dtype });
      const st = batched ? s : s.unsqueeze(1);
      check(
        st.shape.join() === stateShape.join(),
        L,
        () =>
          `expected ${what} of shape ${fmtShape(batched ? stateShape : [stateShape[0]!, stateShape[2]!])}, got ${fmtShape(s.shape)}`,
      );
      return st;
    };
    const hInit = prepState(h0, 'hidden state');
    const cInit = this.mode === 'LSTM' ? prepState(c0, 'cell state') : null;
    const hOut: Tensor[] = [];
    const cOut: Tensor[] = [];
    for (let l = 0; l < this.numLayers; l++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < dirs; d++) {
        const k = l * dirs + d;
        const w = this.#weights[k]!;
        const xw = linear(x, w.wIh, { bias: w.bIh }); // [T, N, G*H]: the input part of every step at once
        let h = hInit.index([k]);
        let c = cInit === null ? null : cInit.index([k]);
        const hs: Tensor[] = new Array(steps);
        for (let s = 0; s < steps; s++) {
          const t = d === 0 ? s : steps - 1 - s;
          const gi = xw.index([t]);
          const gh = linear(h, w.wHh, { bias: w.bHh });
          [h, c] = this.cell(gi, gh, h, c);
          hs[t] = h;
        }
        outs.push(steps === 0 ? zeros([0, n, this.hiddenSize], { dtype: x.dtype }) : stack(hs, 0));
        hOut.push(h);
        if (c !== null) cOut.push(c);
      }
      x = dirs === 1 ? outs[0]! : cat(outs, 2);
      if (this.dropout > 0 && this.training && l < this.numLayers - 1) x = dropout(x, { p: this.dropout });
    }
    let out = x;
    let h = stack(hOut, 0);
    let c = cOut.length > 0 ? stack(cOut, 0) : null;
    if (!batched) {
      out = out.squeeze(1);
      h = h.squeeze(1);
      c = c === null ? null : c.squeeze(1);
    } else if (this.batchFirst) out = out.transpose(0, 1);
    return { out, h, c };
  }

  /** One step: gi = x W_ih^T + b_ih, gh = h W_hh^T + b_hh. Returns the new (h, c). */
  private cell(gi: Tensor, gh: Tensor, h: Tensor, c: Tensor | null): [Tensor, Tensor | null] {
    switch (this.mode) {
      case 'RNN_TANH':
        return [gi.add(gh).tanh(), null];
      case 'RNN_RELU':
        return [gi.add(gh).relu(), null];
      case 'LSTM': {
        const [i, f, g, o] = chunk(gi.add(gh), 4, -1) as [Tensor, Tensor, Tensor, Tensor];
        const c2 = f.sigmoid().mul(c!).add(i.sigmoid().mul(g.tanh()));
        return [o.sigmoid().mul(c2.tanh()), c2];
      }
      case 'GRU': {
        const [ir, iz, inn] = chunk(gi, 3, -1) as [Tensor, Tensor, Tensor];
        const [hr, hz, hn] = chunk(gh, 3, -1) as [Tensor, Tensor, Tensor];
        const r = ir.add(hr).sigmoid();
        const z = iz.add(hz).sigmoid();
        const nn = inn.add(r.mul(hn)).tanh();
        // (1 - z) * n + z * h
        return [nn.add(z.mul(h.sub(nn))), null];
      }
    }
  }

  protected baseConfig(): LayerConfig {
    return {
      inputSize: this.inputSize,
      hiddenSize: this.hiddenSize,
      numLayers: this.numLayers,
      bias: this.bias,
      batchFirst: this.batchFirst,
      dropout: this.dropout,
      bidirectional: this.bidirectional,
      dtype: this.dtype,
    };
  }

  protected static baseOpts(name: string, c: LayerConfig): [number, number, RNNOptions] {
    return [
      cfgNumber(name, c, 'inputSize'),
      cfgNumber(name, c, 'hiddenSize'),
      {
        numLayers: cfgNumber(name, c, 'numLayers', 1),
        bias: cfgBool(name, c, 'bias', true),
        batchFirst: cfgBool(name, c, 'batchFirst', false),
        dropout: cfgNumber(name, c, 'dropout', 0),
        bidirectional: cfgBool(name, c, 'bidirectional', false),
        dtype: cfgDType(name, c),
      },
    ];
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}, numLayers=${this.numLayers}, batchFirst=${this.batchFirst}`;
  }
}

export interface ElmanRNNOptions extends RNNOptions {
  nonlinearity?: 'tanh' | 'relu';
}

/** Elman RNN (torch.nn.RNN): h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh). Returns [output, hN]. */
/** Option names, for the unknown-key check (the compiler keeps them in step with the interface). */
const RNN_KEYS = optionKeys<RNNOptions>({
  numLayers: true,
  bias: true,
  batchFirst: true,
  dropout: true,
  bidirectional: true,
  dtype: true,
  generator: true,
});
const ELMAN_RNN_KEYS = optionKeys<ElmanRNNOptions>({
  numLayers: true,
  bias: true,
  batchFirst: true,
  dropout: true,
  bidirectional: true,
  nonlinearity: true,
  dtype: true,
  generator: true,
});

export class RNN extends RNNBase<Tensor> {
  protected readonly layerName = 'RNN';
  readonly nonlinearity: 'tanh' | 'relu';
  constructor(inputSize: number, hiddenSize: number, opts: ElmanRNNOptions = {}) {
    checkOptionKeys('RNN', opts, ELMAN_RNN_KEYS);
    super(opts.nonlinearity === 'relu' ? 'RNN_RELU' : 'RNN_TANH', inputSize, hiddenSize, opts);
    this.nonlinearity = opts.nonlinearity ?? 'tanh';
  }
  forward(input: Tensor, h0?: Tensor): [Tensor, Tensor] {
    const r = this.run(input, h0 ?? null, null);
    return [r.out, r.h];
  }
  override getConfig(): LayerConfig {
    return { ...this.baseConfig(), nonlinearity: this.nonlinearity };
  }
  static fromConfig(c: LayerConfig): RNN {
    const [i, h, o] = RNNBase.baseOpts('RNN', c);
    return new RNN(i, h, {
      ...o,
      nonlinearity: cfgString('RNN', c, 'nonlinearity', ['tanh', 'relu'] as const, 'tanh'),
    });
  }
}

/** torch.nn.LSTM, gates i, f, g, o. forward(x, [h0, c0]?) returns [output, [hN, cN]]. */
export class LSTM extends RNNBase<[Tensor, Tensor]> {
  protected readonly layerName = 'LSTM';
  constructor(inputSize: number, hiddenSize: number, opts: RNNOptions = {}) {
    checkOptionKeys(new.target.name, opts, RNN_KEYS);
    super('LSTM', inputSize, hiddenSize, opts);
  }
  forward(input: Tensor, state?: [Tensor, Tensor]): [Tensor, [Tensor, Tensor]] {
    const r = this.run(input, state?.[0] ?? null, state?.[1] ?? null);
    return [r.out, [r.h, r.c!]];
  }
  override getConfig(): LayerConfig {
    return this.baseConfig();
  }
  static fromConfig(c: LayerConfig): LSTM {
    return new LSTM(...RNNBase.baseOpts('LSTM', c));
  }
}

/** torch.nn.GRU, gates r, z, n with n = tanh(x W_in + b_in + r * (h W_hn + b_hn)). Returns [output, hN]. */
export class GRU extends RNNBase<Tensor> {
  protected readonly layerName = 'GRU';
  constructor(inputSize: number, hiddenSize: number, opts: RNNOptions = {}) {
    checkOptionKeys(new.target.name, opts, RNN_KEYS);
    super('GRU', inputSize, hiddenSize, opts);
  }
  forward(input: Tensor, h0?: Tensor): [Tensor, Tensor] {
    const r = this.run(input, h0 ?? null, null);
    return [r.out, r.h];
  }
  override getConfig(): LayerConfig {
    return this.baseConfig();
  }
  static fromConfig(c: LayerConfig): GRU {
    return new GRU(...RNNBase.baseOpts('GRU', c));
  }
}

registerLayer('RNN', RNN, RNN.fromConfig);
registerLayer('LSTM', LSTM, LSTM.fromConfig);
registerLayer('GRU', GRU, GRU.fromConfig);
