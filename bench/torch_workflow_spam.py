#!/usr/bin/python3
"""Workflows 3 and 5 of issue 7 in PyTorch, on exactly the token ids TensorScript trains on.

    /usr/bin/python3 bench/torch_workflow_spam.py [transformer|lstm] [--seed 42] [--epochs 5] [--threads 2]
        [--truncation pre|post] [--drop-punctuation] [--clip 1.0] [--device cuda]

The data is produced by TensorScript itself (a node child process: loadSpamAssassin -> seeded stratified 80/20
split -> WordTokenizer fitted on the training split, 10,000 ids -> 128 ids per message, post padding, each long
message keeping its LAST 128 tokens unless --truncation post), so the
comparison isolates the model and the training loop. Recipes as examples/spam-transformer.ts and
examples/spam-lstm.ts: Embedding(10000, 128); transformer: one post-norm encoder block (4 heads, feed-forward 128,
dropout 0.1) with src_key_padding_mask, mean over real tokens; LSTM: one layer of 128, output at the last real
token; Linear(128, 2) logits, cross-entropy, Adam 1e-3, batch 32. Prints the test accuracy after every epoch and
one JSON line {"workflow", "metrics", "samplesPerSec", "framework": "pytorch"}.
"""

import argparse
import json
import os
import subprocess
import time

import torch
import torch.nn as nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPORT = r"""
import * as ts from './src/index.ts';
const seed = Number(process.argv[1]);
const length = Number(process.argv[2]);
const truncation = process.argv[3];
// --drop-punctuation: words only, as Keras' Tokenizer filters (an experiment; WordTokenizer keeps punctuation).
const clean = process.argv[4] === '1' ? (t) => t.replace(/[^\p{L}\p{N}'’\s]+/gu, ' ') : (t) => t;
const c = await ts.data.loadSpamAssassin();
const sp = ts.data.trainTestSplit(c.texts.length, { testSize: 0.2, stratify: c.labels, seed });
const texts = (idx) => [...idx].map((i) => clean(c.texts[i]));
const tok = new ts.data.WordTokenizer().fit(texts(sp.train), { maxSize: 10000 });
const part = (idx) => ({ ids: [...tok.encodeBatch(texts(idx), { length, truncation }).ids], y: [...idx].map((i) => c.labels[i]) });
process.stdout.write(JSON.stringify({ train: part(sp.train), test: part(sp.test) }));
"""


class Transformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(10000, 128)
        layer = nn.TransformerEncoderLayer(128, 4, 128, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 1, enable_nested_tensor=False)
        self.classifier = nn.Linear(128, 2)

    def forward(self, ids):
        pad = ids == 0
        h = self.encoder(self.embedding(ids), src_key_padding_mask=pad)
        real = (~pad).unsqueeze(-1).float()
        return self.classifier((h * real).sum(1) / real.sum(1).clamp(min=1))


class Lstm(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(10000, 128)
        self.lstm = nn.LSTM(128, 128, batch_first=True)
        self.classifier = nn.Linear(128, 2)

    def forward(self, ids):
        out, _ = self.lstm(self.embedding(ids))
        last = ((ids != 0).sum(1) - 1).clamp(min=0)
        return self.classifier(out[torch.arange(ids.shape[0], device=ids.device), last])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('model', choices=['transformer', 'lstm'])
    ap.add_argument('--seed', type=int, default=42)
    ap.add_argument('--epochs', type=int, default=5)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--length', type=int, default=128)
    ap.add_argument('--truncation', choices=['post', 'pre'], default='pre', help='pre keeps the end (the examples), post the beginning')
    ap.add_argument('--drop-punctuation', action='store_true', help='experiment: tokens from words only')
    ap.add_argument('--clip', type=float, default=0.0, help='experiment: clip_grad_norm_ at this norm (0 = off)')
    ap.add_argument('--device', default='cpu', help='cpu or cuda (accuracy sweeps over seeds)')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    out = subprocess.run(
        ['node', '--import', 'tsx', '--input-type=module', '-e', EXPORT, str(a.seed), str(a.length), a.truncation,
         '1' if a.drop_punctuation else '0'],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    d = json.loads(out)
    dev = torch.device(a.device)
    xtr = torch.tensor(d['train']['ids'], device=dev).view(-1, a.length)
    ytr = torch.tensor(d['train']['y'], device=dev)
    xte = torch.tensor(d['test']['ids'], device=dev).view(-1, a.length)
    yte = torch.tensor(d['test']['y'], device=dev)
    torch.manual_seed(a.seed)
    model = (Transformer() if a.model == 'transformer' else Lstm()).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    seconds, seen, accs = 0.0, 0, []
    for epoch in range(a.epochs):
        model.train()
        perm = torch.randperm(len(ytr), device=dev)
        t0 = time.perf_counter()
        for s in range(0, len(ytr), 32):
            idx = perm[s:s + 32]
            loss = nn.functional.cross_entropy(model(xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            if a.clip > 0:
                nn.utils.clip_grad_norm_(model.parameters(), a.clip)
            opt.step()
            seen += len(idx)
        seconds += time.perf_counter() - t0
        model.eval()
        with torch.no_grad():
            logits = torch.cat([model(xte[s:s + 64]) for s in range(0, len(yte), 64)])
        acc = (logits.argmax(1) == yte).float().mean().item()
        accs.append(acc)
        print(f'epoch {epoch + 1}/{a.epochs}: test accuracy {acc:.4f}', flush=True)
    print(json.dumps({
        'workflow': f'spam-{a.model}', 'metrics': {'accuracy': accs[-1]}, 'samplesPerSec': seen / seconds,
        'framework': 'pytorch', 'perEpochTestAccuracy': accs, 'threads': a.threads, 'length': a.length, 'truncation': a.truncation,
        'dropPunctuation': a.drop_punctuation, 'clip': a.clip, 'device': a.device,
    }))


main()
