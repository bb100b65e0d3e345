"""scikit-learn's LogisticRegression on the rows of each multi-class config's own split
(test/fixtures/data/multiclass_splits.json, written by scripts/multiclass-splits.ts): StandardScaler fitted on the
training rows, LogisticRegression with default regularisation (C=1, lbfgs, multinomial), test accuracy.
Writes test/fixtures/data/multiclass_sklearn.json. Run with /usr/bin/python3.
"""
import csv
import json

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler


def main():
    splits = json.load(open('test/fixtures/data/multiclass_splits.json'))
    out = {'sklearn': sklearn.__version__, 'model': 'StandardScaler + LogisticRegression(max_iter=10000)'}
    for name, s in splits.items():
        rows = list(csv.DictReader(open(s['path'])))
        features = [c for c in rows[0] if c != s['label']]
        x = np.array([[float(r[c]) for c in features] for r in rows])
        y = np.array([r[s['label']] for r in rows])
        tr, te = np.array(s['train']), np.array(s['test'])
        scaler = StandardScaler().fit(x[tr])
        lr = LogisticRegression(max_iter=10000).fit(scaler.transform(x[tr]), y[tr])
        acc = float((lr.predict(scaler.transform(x[te])) == y[te]).mean())
        out[name] = {'accuracy': acc, 'train': len(tr), 'test': len(te), 'testRows': s['test']}
        print(f'{name}: sklearn LogisticRegression test accuracy {acc:.4f} ({len(tr)} train / {len(te)} test)')
    with open('test/fixtures/data/multiclass_sklearn.json', 'w') as f:
        json.dump(out, f)
        f.write('\n')


if __name__ == '__main__':
    main()
