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
import * as ts from '../src/index.ts';
import { loadSpamData, runSpamWorkflow, spamFlags } from './spam-data.ts';

const run = spamFlags({
  // Clip the gradients' joint L2 norm at this value before each Adam step (torch.nn.utils.clip_grad_norm_),
  // as configs/spam-lstm.yaml does; 0 turns it off. Why: docs/decisions/models-text-classifiers.md.
  clip: { type: 'string', default: '1' },
});
const clip = Number(run.extra.clip);
const data = await loadSpamData(run);
console.log(`${data.summary}${clip > 0 ? `, gradient norm clipped at ${clip}` : ''})`);

// ---- model ----
ts.manualSeed(run.seed);
const model = new ts.models.LstmTextClassifier(10000, {
  embeddingDim: 128,
  hiddenSize: 128,
  numClasses: 2,
  padId: data.tokenizer.padId,
});
const trainer = ts.train.compile(model, {
  optimizer: new ts.optim.Adam(model.parameters(), { lr: 1e-3 }),
  loss: 'crossEntropy',
  metrics: ['accuracy'],
  ...(clip > 0 ? { clipNorm: clip } : {}),
});

// ---- training (timed without the per-epoch test pass), evaluation, result line ----
await runSpamWorkflow('spam-lstm', run, data, trainer);
