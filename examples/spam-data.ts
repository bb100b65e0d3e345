/**
 * The data side shared by workflows 3 and 5 (Transformer and LSTM on SpamAssassin): flags, parsed e-mails
 * (subject and body), a seeded stratified 80/20 split, a 10,000-id tokenizer fitted on the training split
 * only, and int32 id sequences (post padding; long messages keep their LAST ids unless --truncation post).
 */
import { parseArgs } from 'node:util';
import * as ts from '../src/index.ts';
import { EpochTimer, report, stopwatch } from './common.ts';

export interface SpamRun {
  quick: boolean;
  epochs: number;
  seed: number;
  seqLen: number;
  truncation: 'pre' | 'post';
  /** Seconds since the run started. */
  wall: () => number;
  /** The flags a workflow adds beyond the shared ones. */
  extra: Record<string, string | boolean | undefined>;
}

export function spamFlags(extra: Record<string, { type: 'string'; default: string }> = {}): SpamRun {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      epochs: { type: 'string' },
      seed: { type: 'string', default: '42' },
      // 'pre' (default) keeps each long message's LAST seqLen tokens, 'post' its first (docs/workflows.md).
      truncation: { type: 'string', default: 'pre' },
      ...extra,
    },
  });
  const quick = values.quick === true;
  const truncation = values.truncation;
  if (truncation !== 'pre' && truncation !== 'post')
    throw new ts.TensorScriptError('spam example', `--truncation must be pre or post, got ${truncation}`);
  return {
    quick,
    epochs: Number(values.epochs ?? (quick ? 1 : 5)),
    seed: Number(values.seed),
    seqLen: quick ? 32 : 128,
    truncation,
    wall: stopwatch(),
    extra: values as Record<string, string | boolean | undefined>,
  };
}

export interface SpamData {
  train: { x: ts.Tensor; y: ts.Tensor };
  test: { x: ts.Tensor; y: ts.Tensor };
  tokenizer: ts.data.WordTokenizer;
  summary: string;
}

export async function loadSpamData(run: SpamRun): Promise<SpamData> {
  const corpus = await ts.data.loadSpamAssassin(run.quick ? { limitPerGroup: 40 } : {});
  const split = ts.data.trainTestSplit(corpus.texts.length, {
    testSize: 0.2,
    stratify: corpus.labels,
    seed: run.seed,
  });
  const pick = (idx: Int32Array) => [...idx].map((i) => corpus.texts[i]!);
  const tokenizer = new ts.data.WordTokenizer().fit(pick(split.train), { maxSize: 10000 });
  const encode = (idx: Int32Array) => {
    const b = tokenizer.encodeBatch(pick(idx), { length: run.seqLen, truncation: run.truncation });
    return {
      x: ts.tensor(b.ids, { shape: b.shape, dtype: 'int32' }),
      y: ts.tensor(
        Int32Array.from(idx, (i) => corpus.labels[i]!),
        { dtype: 'int32' },
      ),
    };
  };
  return {
    train: encode(split.train),
    test: encode(split.test),
    tokenizer,
    summary: `SpamAssassin: ${corpus.texts.length} messages, train ${split.train.length}, test ${split.test.length}, vocabulary ${tokenizer.vocabSize}, length ${run.seqLen} (truncation ${run.truncation}`,
  };
}

/** Spam-vs-ham test metrics of a trained classifier (binary scores of the spam class, label 1). */
export function spamMetrics(
  trainer: ts.train.Trainer,
  test: { x: ts.Tensor; y: ts.Tensor },
): Record<string, number> {
  const logits = trainer.predict(test.x, { batchSize: 64 });
  const pred = logits.argmax(1);
  const spamProb = ts.softmax(logits, 1).narrow(1, 1, 1).reshape([-1]);
  return {
    accuracy: ts.metrics.accuracyScore(test.y, pred),
    precision: ts.metrics.precisionScore(test.y, pred) as number,
    recall: ts.metrics.recallScore(test.y, pred) as number,
    f1: ts.metrics.f1Score(test.y, pred) as number,
    roc_auc: ts.metrics.rocAucScore(test.y, spamProb) as number,
    loss: trainer.evaluate(test.x, test.y, { batchSize: 64 }).loss!,
  };
}

/** Trains with per-epoch test figures, then prints the final metrics, speed and the JSON result line. */
export async function runSpamWorkflow(
  name: string,
  run: SpamRun,
  data: SpamData,
  trainer: ts.train.Trainer,
): Promise<void> {
  const timer = new EpochTimer(run.epochs);
  const history = await trainer.fit(data.train.x, data.train.y, {
    epochs: run.epochs,
    batchSize: 32,
    seed: run.seed,
    validationData: [data.test.x, data.test.y],
    callbacks: [timer],
    verbose: process.stdout.isTTY ? 1 : 0,
  });
  const metrics = spamMetrics(trainer, data.test);
  console.log(
    `test: accuracy ${metrics.accuracy!.toFixed(4)}, precision ${metrics.precision!.toFixed(4)}, recall ${metrics.recall!.toFixed(4)}, f1 ${metrics.f1!.toFixed(4)}, ROC AUC ${metrics.roc_auc!.toFixed(4)}`,
  );
  console.log(
    `training: ${timer.samplesPerSec.toFixed(1)} samples/s (${timer.samples} samples in ${timer.seconds.toFixed(1)} s)`,
  );
  console.log(
    `test accuracy after each epoch: ${history.history.val_accuracy!.map((a) => a.toFixed(4)).join(', ')}; wall time ${run.wall().toFixed(1)} s`,
  );
  report(name, metrics, timer.samplesPerSec);
}
