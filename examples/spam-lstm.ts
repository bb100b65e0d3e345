/**
 * Workflow 5: an LSTM text classifier on the SpamAssassin corpus (spam vs ham).
 *
 *   node --import tsx examples/spam-lstm.ts            # the full recipe (5 epochs)
 *   node --import tsx examples/spam-lstm.ts --quick    # a tiny subset, 1 epoch (smoke test)
 *
 * Same data pipeline as workflow 3 (examples/spam-transformer.ts): parsed e-mails (subject and body), seeded
 * stratified 80/20 split, tokenizer of 10,000 ids built on the training split only, sequences of 128 ids
 * (post-padded, long messages keep their beginning). Embedding(10000, 128) -> one LSTM layer of 128 (batch
 * first) -> the hidden state at each message's LAST REAL token (gathered at length - 1, not at the padded end)
 * -> Dense 2 (logits). Adam 1e-3, batch 32, 5 epochs. The test accuracy swings from epoch to epoch (PyTorch's
 * too), so it is printed after every epoch; then the final test metrics and one JSON line:
 * {"workflow", "metrics": {...}, "samplesPerSec", ...}.
 */
import { parseArgs } from 'node:util';
import * as ts from '../src/index.ts';
import { report, stopwatch } from './common.ts';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    epochs: { type: 'string' },
    seed: { type: 'string', default: '42' },
    // 'pre' (default) keeps each long message's LAST seqLen tokens, 'post' its first (docs/workflows.md).
    truncation: { type: 'string', default: 'pre' },
    // Clip the gradients' joint L2 norm at this value before each Adam step (torch.nn.utils.clip_grad_norm_),
    // as configs/spam-lstm.yaml does; 0 turns it off. Why: docs/decisions/models-text-classifiers.md.
    clip: { type: 'string', default: '1' },
  },
});
const quick = args.quick === true;
const epochs = Number(args.epochs ?? (quick ? 1 : 5));
const seed = Number(args.seed);
const truncation = args.truncation;
const clip = Number(args.clip);
if (truncation !== 'pre' && truncation !== 'post')
  throw new ts.TensorScriptError('spam example', `--truncation must be pre or post, got ${truncation}`);
const seqLen = quick ? 32 : 128;
const wall = stopwatch();

// ---- data ----
const corpus = await ts.data.loadSpamAssassin(quick ? { limitPerGroup: 40 } : {});
const split = ts.data.trainTestSplit(corpus.texts.length, { testSize: 0.2, stratify: corpus.labels, seed });
const pick = (idx: Int32Array) => [...idx].map((i) => corpus.texts[i]!);
const tokenizer = new ts.data.WordTokenizer().fit(pick(split.train), { maxSize: 10000 });
const encode = (idx: Int32Array) => {
  const b = tokenizer.encodeBatch(pick(idx), { length: seqLen, truncation });
  const x = ts.tensor(b.ids, { shape: b.shape, dtype: 'int32' });
  const y = ts.tensor(
    Int32Array.from(idx, (i) => corpus.labels[i]!),
    { dtype: 'int32' },
  );
  return { x, y };
};
const train = encode(split.train);
const test = encode(split.test);
console.log(
  `SpamAssassin: ${corpus.texts.length} messages, train ${split.train.length}, test ${split.test.length}, vocabulary ${tokenizer.vocabSize}, length ${seqLen} (truncation ${truncation}${clip > 0 ? `, gradient norm clipped at ${clip}` : ''})`,
);

// ---- model ----
ts.manualSeed(seed);
const model = new ts.models.LstmTextClassifier(10000, {
  embeddingDim: 128,
  hiddenSize: 128,
  numClasses: 2,
  padId: tokenizer.padId,
});
const trainer = ts.train.compile(model, {
  optimizer: new ts.optim.Adam(model.parameters(), { lr: 1e-3 }),
  loss: 'crossEntropy',
  metrics: ['accuracy'],
  ...(clip > 0 ? { clipNorm: clip } : {}),
});

// ---- training, timed without the per-epoch test pass ----
class TrainTimer extends ts.train.Callback {
  seconds = 0;
  samples = 0;
  #t0 = 0;
  #last = 0;
  override onEpochBegin(): void {
    this.#t0 = performance.now();
    this.#last = this.#t0;
  }
  override onTrainBatchEnd(_b: number, logs: ts.train.Logs): void {
    this.#last = performance.now();
    this.samples += logs.size ?? 0;
  }
  override onEpochEnd(epoch: number, logs: ts.train.Logs): void {
    const s = (this.#last - this.#t0) / 1000;
    this.seconds += s;
    console.log(
      `epoch ${epoch + 1}/${epochs}: loss ${logs.loss!.toFixed(4)}, train accuracy ${logs.accuracy!.toFixed(4)}, ` +
        `test loss ${logs.val_loss!.toFixed(4)}, test accuracy ${logs.val_accuracy!.toFixed(4)}, ${s.toFixed(1)} s`,
    );
  }
}
const timer = new TrainTimer();
const history = await trainer.fit(train.x, train.y, {
  epochs,
  batchSize: 32,
  seed,
  validationData: [test.x, test.y],
  callbacks: [timer],
  verbose: process.stdout.isTTY ? 1 : 0,
});

// ---- evaluation ----
/**
 * Predictions batch by batch: Trainer.predict keeps every batch's intermediates alive until it returns (one
 * scope around the whole loop), which runs the 4 GiB wasm heap out of memory on a full test set.
 */
function predictInBatches(x: ts.Tensor, batchSize: number): ts.Tensor {
  const n = x.shape[0]!;
  const outs: ts.Tensor[] = [];
  for (let s = 0; s < n; s += batchSize)
    outs.push(trainer.predict(x.narrow(0, s, Math.min(batchSize, n - s)), { batchSize }));
  return ts.cat(outs, 0);
}
const logits = predictInBatches(test.x, 64);
const pred = logits.argmax(1);
const spamProb = ts.softmax(logits, 1).narrow(1, 1, 1).reshape([-1]);
const yTrue = test.y;
const metrics = {
  accuracy: ts.metrics.accuracyScore(yTrue, pred),
  // Binary scores of the spam class (label 1), as sklearn's default average 'binary'.
  precision: ts.metrics.precisionScore(yTrue, pred) as number,
  recall: ts.metrics.recallScore(yTrue, pred) as number,
  f1: ts.metrics.f1Score(yTrue, pred) as number,
  roc_auc: ts.metrics.rocAucScore(yTrue, spamProb) as number,
  loss: trainer.evaluate(test.x, test.y, { batchSize: 64 }).loss!,
};
const samplesPerSec = timer.samples / timer.seconds;
console.log(
  `test: accuracy ${metrics.accuracy.toFixed(4)}, precision ${metrics.precision.toFixed(4)}, recall ${metrics.recall.toFixed(4)}, f1 ${metrics.f1.toFixed(4)}, ROC AUC ${metrics.roc_auc.toFixed(4)}`,
);
console.log(
  `training: ${samplesPerSec.toFixed(1)} samples/s (${timer.samples} samples in ${timer.seconds.toFixed(1)} s)`,
);
console.log(
  `test accuracy after each epoch: ${history.history.val_accuracy!.map((a) => a.toFixed(4)).join(', ')}; wall time ${wall().toFixed(1)} s`,
);
report('spam-lstm', metrics, samplesPerSec);
