#!/usr/bin/python3
"""Generate PyTorch golden fixtures for the prebuilt text classifiers (src/models):
test/fixtures/golden/models/text-classifiers.json.

Run with Debian's interpreter (PyTorch 1.13 is installed for it):

    /usr/bin/python3 scripts/gen_golden_models.py

Each case builds the same recipe in torch (float64, eval mode, a random state dict so no default init is
relied on) and runs it on post-padded token ids of different lengths, including a row that fills the whole
sequence:
  - transformer: Embedding -> TransformerEncoder (batch_first, src_key_padding_mask = ids == pad) -> mean over
    the real tokens -> Linear;
  - lstm: Embedding -> LSTM (batch_first) -> output at position length - 1 -> Linear.
Stored: the TypeScript model ({className, config}), the state dict (keys are the TS model's), the ids, the
logits, a random upstream gradient and the gradient of sum(logits * upstream) for every parameter.
"""

import json
import os

import torch
import torch.nn as nn

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)
torch.manual_seed(20260)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'golden', 'models', 'text-classifiers.json')
PAD = 0


class TransformerClassifier(nn.Module):
    def __init__(self, vocab, d, heads, ff, layers, classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab, d)
        layer = nn.TransformerEncoderLayer(d, heads, ff, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.classifier = nn.Linear(d, classes)

    def forward(self, ids):
        pad = ids == PAD
        h = self.encoder(self.embedding(ids), src_key_padding_mask=pad)
        real = (~pad).unsqueeze(-1).to(h.dtype)
        return self.classifier((h * real).sum(1) / real.sum(1))


class LstmClassifier(nn.Module):
    def __init__(self, vocab, emb, hidden, classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb)
        self.lstm = nn.LSTM(emb, hidden, batch_first=True)
        self.classifier = nn.Linear(hidden, classes)

    def forward(self, ids):
        out, _ = self.lstm(self.embedding(ids))
        last = (ids != PAD).sum(1) - 1
        return self.classifier(out[torch.arange(ids.shape[0]), last])


def padded(lengths, seq, vocab):
    ids = torch.zeros(len(lengths), seq, dtype=torch.long)
    for i, n in enumerate(lengths):
        ids[i, :n] = torch.randint(1, vocab, (n,))
    return ids


def case(name, model, ts_model, ids):
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.5)
    model.eval()
    out = model(ids)
    upstream = torch.randn_like(out)
    (out * upstream).sum().backward()
    sd = model.state_dict()
    grads = {k: p.grad for k, p in model.named_parameters()}
    return {
        'name': name,
        'module': ts_model,
        'stateDict': {k: {'shape': list(v.shape), 'data': v.flatten().tolist()} for k, v in sd.items()},
        'ids': {'shape': list(ids.shape), 'data': ids.flatten().tolist()},
        'out': {'shape': list(out.shape), 'data': out.detach().flatten().tolist()},
        'upstream': {'shape': list(upstream.shape), 'data': upstream.flatten().tolist()},
        'grads': {k: {'shape': list(g.shape), 'data': g.flatten().tolist()} for k, g in grads.items()},
    }


vocab, seq = 17, 9
ids = padded([4, 9, 1, 6], seq, vocab)
cases = [
    case(
        'transformer',
        TransformerClassifier(vocab, 8, 2, 12, 2, 3),
        {
            'className': 'TransformerTextClassifier',
            'config': {'vocabSize': vocab, 'dModel': 8, 'nhead': 2, 'dimFeedforward': 12, 'numLayers': 2,
                       'dropout': 0.1, 'numClasses': 3, 'padId': PAD, 'dtype': 'float64'},
        },
        ids,
    ),
    case(
        'lstm',
        LstmClassifier(vocab, 6, 5, 3),
        {
            'className': 'LstmTextClassifier',
            'config': {'vocabSize': vocab, 'embeddingDim': 6, 'hiddenSize': 5, 'numClasses': 3, 'padId': PAD,
                       'dtype': 'float64'},
        },
        ids,
    ),
]
os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, 'w') as f:
    json.dump({'generator': 'scripts/gen_golden_models.py', 'torch': torch.__version__, 'cases': cases}, f)
    f.write('\n')
print(f'wrote {OUT}')
