/**
 * The seed workloads on TensorScript's real training path: nn modules, optim, autograd inside
 * `ts.scope`, fed real MNIST batches. bench/train.ts and bench/infer.ts time these; bench/tfjs.ts and
 * bench/torch_*.py build the same networks in their frameworks.
 */
import type { Mnist } from '../src/data/mnist.ts';
import { loadMnist } from '../src/data/mnist.ts';
import * as ts from '../src/index.ts';
import * as nn from '../src/nn/index.ts';
import { Adam, SGD } from '../src/optim/index.ts';

/** The seed MLP: 784-500-250-10 with ReLU (logits out; cross-entropy applies log-softmax). */
export function buildMlp(): nn.Sequential {
  ts.manualSeed(0);
  return new nn.Sequential(
    new nn.Linear(784, 500),
    new nn.ReLU(),
    new nn.Linear(500, 250),
    new nn.ReLU(),
    new nn.Linear(250, 10),
  );
}

/**
 * conv3x3x32-relu-maxpool2-conv3x3x64-relu-maxpool2-dense128-dense10 on [N,1,28,28] (no padding:
 * 28 -> 26 -> 13 -> 11 -> 5, so the first dense layer sees 64*5*5 = 1600 features), as in
 * bench/torch_cnn.py and bench/tfjs.ts.
 */
export function buildCnn(): nn.Sequential {
  ts.manualSeed(0);
  return new nn.Sequential(
    new nn.Conv2d(1, 32, 3),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(32, 64, 3),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(64 * 5 * 5, 128),
    new nn.ReLU(),
    new nn.Linear(128, 10),
  );
}

/** Consecutive MNIST training batches, cycling; `imageShape` is [784] for the MLP, [1,28,28] for the CNN. */
export class Batches {
  #i = 0;
  readonly perEpoch: number;
  private constructor(
    readonly data: Mnist,
    readonly batch: number,
    readonly imageShape: number[],
  ) {
    this.perEpoch = Math.floor(data.length / batch);
  }

  static async load(batch: number, imageShape: number[], limit?: number): Promise<Batches> {
    return new Batches(await loadMnist({ split: 'train', flatten: true, limit }), batch, imageShape);
  }

  /** The next batch as tensors (created in the caller's scope, so a step's scope frees them). */
  next(): { x: ts.Tensor; y: ts.Tensor } {
    const b = this.batch;
    const off = this.#i * b;
    this.#i = (this.#i + 1) % this.perEpoch;
    const x = ts.tensor(this.data.images.subarray(off * 784, (off + b) * 784), {
      shape: [b, ...this.imageShape],
    });
    const y = ts.tensor(this.data.labels.subarray(off, off + b), { shape: [b], dtype: 'int32' });
    return { x, y };
  }
}

/** One training step as a user writes it: forward, cross-entropy, backward, optimizer step, in a scope. */
export function trainStep(
  model: nn.Module,
  opt: { zeroGrad(): void; step(): void },
  batches: Batches,
): () => number {
  return () =>
    ts.scope(() => {
      const { x, y } = batches.next();
      opt.zeroGrad();
      const loss = ts.functional.crossEntropy(model.call(x), y);
      loss.backward();
      opt.step();
      return loss.item();
    });
}

export function mlpTrainer(batches: Batches): { model: nn.Sequential; step: () => number } {
  const model = buildMlp();
  const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  return { model, step: trainStep(model, opt, batches) };
}

export function cnnTrainer(batches: Batches): { model: nn.Sequential; step: () => number } {
  const model = buildCnn();
  const opt = new Adam(model.parameters(), { lr: 1e-3 });
  return { model, step: trainStep(model, opt, batches) };
}
