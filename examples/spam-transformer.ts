/**
 * Workflow 3: a Transformer text classifier on the SpamAssassin corpus (spam vs ham).
 *
 *   node --import tsx examples/spam-transformer.ts            # the full recipe (5 epochs)
 *   node --import tsx examples/spam-transformer.ts --quick    # a tiny subset, 1 epoch (smoke test)
 *
 * E-mails are parsed (MIME, transfer and charset decoding) and the tokens come from the subject and the
 * message body, not the raw headers. Seeded stratified 80/20 split; the tokenizer (10,000 ids incl. PAD and
 * OOV) is built on the training split only. Embedding(10000, 128) -> one post-norm encoder block (4 heads,
 * d_model 128, feed-forward 128, dropout 0.1) with the padding as key-padding mask -> mean over the real tokens
 * -> Dense 2 (logits; cross-entropy applies the softmax). Adam 1e-3, batch 32, sequence length 128, 5 epochs.
 * Prints the test metrics after every epoch and at the end, then one JSON line:
 * {"workflow", "metrics": {...}, "samplesPerSec", ...}.
 */
import * as ts from '../src/index.ts';
import { loadSpamData, runSpamWorkflow, spamFlags } from './spam-data.ts';

const run = spamFlags();

const data = await loadSpamData(run);
console.log(`${data.summary})`);

// ---- model ----
ts.manualSeed(run.seed);
const model = new ts.models.TransformerTextClassifier(10000, {
  dModel: 128,
  nhead: 4,
  dimFeedforward: 128,
  dropout: 0.1,
  numClasses: 2,
  padId: data.tokenizer.padId,
});
const trainer = ts.train.compile(model, {
  optimizer: new ts.optim.Adam(model.parameters(), { lr: 1e-3 }),
  loss: 'crossEntropy',
  metrics: ['accuracy'],
});

// ---- training (timed without the per-epoch test pass), evaluation, result line ----
await runSpamWorkflow('spam-transformer', run, data, trainer);
