#!/usr/bin/python3
"""Writes scikit-learn reference values for src/data tests to test/fixtures/data/*.json.

Run with Debian's interpreter (scikit-learn 1.2): /usr/bin/python3 scripts/gen_data_fixtures.py
The JSON output is committed so CI needs no Python.
"""
import csv
import json
import math
import os

import numpy as np
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import KFold, StratifiedKFold, TimeSeriesSplit, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import LabelEncoder, MinMaxScaler, OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.utils.class_weight import compute_class_weight

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'data')
os.makedirs(OUT, exist_ok=True)


def clean(v):
    """JSON cannot hold NaN; encode it as null (tests map null back to NaN)."""
    if isinstance(v, np.ndarray):
        return clean(v.tolist())
    if isinstance(v, (list, tuple)):
        return [clean(x) for x in v]
    if isinstance(v, dict):
        return {k: clean(x) for k, x in v.items()}
    if isinstance(v, (np.floating, float)):
        return None if math.isnan(v) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    return v


def write(name, obj):
    obj = dict(obj)
    obj['_generated_by'] = f'scripts/gen_data_fixtures.py, scikit-learn {sklearn.__version__}, numpy {np.__version__}'
    with open(os.path.join(OUT, name), 'w') as f:
        json.dump(clean(obj), f, indent=1, allow_nan=False)
        f.write('\n')


def read_csv(name):
    with open(os.path.join(ROOT, 'datasets', name)) as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


# ---- CSV reference: Python's csv module on the bundled files ----
bc_head, bc_rows = read_csv('breast_cancer.csv')
db_head, db_rows = read_csv('diabetes.csv')
bc_X = np.array([[float(x) for x in r[:30]] for r in bc_rows])
bc_y = np.array([r[30] for r in bc_rows])
db_X = np.array([[float(x) for x in r] for r in db_rows])
write('csv_reference.json', {
    'breast_cancer': {
        'rows': len(bc_rows),
        'sums': {h: float(bc_X[:, j].sum()) for j, h in enumerate(bc_head[:30])},
        'diagnosis_counts': {k: int((bc_y == k).sum()) for k in sorted(set(bc_y))},
    },
    'diabetes': {'rows': len(db_rows), 'sums': {h: float(db_X[:, j].sum()) for j, h in enumerate(db_head)}},
})

# ---- Scalers: fit on diabetes rows [0, 300), transform rows [300, 442) ----
Xtr, Xte = db_X[:300, :10], db_X[300:, :10]
ss = StandardScaler().fit(Xtr)
mm = MinMaxScaler(feature_range=(-1, 1)).fit(Xtr)
mm_clip = MinMaxScaler(clip=True).fit(Xtr)
# NaNs are ignored when fitting and kept when transforming.
Xnan = Xtr.copy()
Xnan[::7, 2] = np.nan
ss_nan = StandardScaler().fit(Xnan)
write('scalers.json', {
    'train_rows': 300,
    'standard': {'mean': ss.mean_, 'scale': ss.scale_, 'var': ss.var_, 'test_out': ss.transform(Xte)},
    'minmax': {'data_min': mm.data_min_, 'data_max': mm.data_max_, 'scale': mm.scale_, 'min': mm.min_,
               'test_out': mm.transform(Xte)},
    'minmax_clip_test_out': mm_clip.transform(Xte),
    'standard_nan': {'mean': ss_nan.mean_, 'scale': ss_nan.scale_, 'train_out': ss_nan.transform(Xnan)},
})

# ---- Imputers ----
rs = np.random.RandomState(0)
Xi = np.round(rs.normal(size=(20, 4)) * 2) / 2  # halves, so most_frequent has ties
Xi[rs.rand(20, 4) < 0.2] = np.nan
Xi_test = np.round(rs.normal(size=(6, 4)) * 2) / 2
Xi_test[[0, 2, 5], [1, 0, 3]] = np.nan
imp = {}
for strategy in ['mean', 'median', 'most_frequent', 'constant']:
    kw = {'fill_value': -1.0} if strategy == 'constant' else {}
    m = SimpleImputer(strategy=strategy, **kw).fit(Xi)
    imp[strategy] = {'statistics': m.statistics_, 'test_out': m.transform(Xi_test)}
cat_train = [['red', 'S'], ['blue', None], [None, 'M'], ['red', 'M'], ['green', 'S'], ['blue', 'S']]
cat_test = [[None, None], ['green', 'L']]
cat_imp = {}
for strategy in ['most_frequent', 'constant']:
    m = SimpleImputer(strategy=strategy, missing_values=None).fit(np.array(cat_train, dtype=object))
    cat_imp[strategy] = {'statistics': m.statistics_.tolist(),
                         'test_out': m.transform(np.array(cat_test, dtype=object)).tolist()}
write('imputers.json', {'train': Xi, 'test': Xi_test, 'numeric': imp,
                        'cat_train': cat_train, 'cat_test': cat_test, 'categorical': cat_imp})

# ---- Encoders ----
enc_train = [['paris', 'b'], ['tokyo', 'a'], ['amsterdam', 'b'], ['tokyo', 'c'], ['paris', 'a']]
enc_test = [['tokyo', 'c'], ['berlin', 'a'], ['amsterdam', 'z']]
ohe = OneHotEncoder(handle_unknown='ignore').fit(enc_train)
ordi = OrdinalEncoder(handle_unknown='use_encoded_value', unknown_value=-1).fit(enc_train)
le = LabelEncoder().fit(bc_y)
le_num = LabelEncoder().fit([10, 2, 2, 33, -1])
write('encoders.json', {
    'train': enc_train, 'test': enc_test,
    'onehot': {'categories': [c.tolist() for c in ohe.categories_],
               'feature_names': ohe.get_feature_names_out(['city', 'grade']).tolist(),
               'train_out': ohe.transform(enc_train).toarray(), 'test_out': ohe.transform(enc_test).toarray()},
    'ordinal': {'categories': [c.tolist() for c in ordi.categories_],
                'train_out': ordi.transform(enc_train), 'test_out': ordi.transform(enc_test)},
    'label': {'classes': le.classes_.tolist(), 'first10': le.transform(bc_y[:10])},
    'label_numeric': {'classes': le_num.classes_.tolist(), 'out': le_num.transform([33, 2, -1])},
})

# ---- Column pipeline: ColumnTransformer(num: mean impute + standardise, cat: most_frequent + one-hot) ----
table_rows = [
    # age, income, city, plan, label
    [34.0, 52000.0, 'paris', 'basic', 'yes'],
    [np.nan, 61000.0, 'tokyo', 'pro', 'no'],
    [45.0, np.nan, 'paris', None, 'yes'],
    [23.0, 30000.0, None, 'basic', 'no'],
    [51.0, 88000.0, 'berlin', 'pro', 'yes'],
    [38.0, 47000.0, 'tokyo', 'basic', 'no'],
    [29.0, 39000.0, 'paris', 'pro', 'no'],
]
test_rows = [[40.0, np.nan, 'tokyo', 'pro', 'yes'], [np.nan, 50000.0, 'rome', None, 'no']]
ct = ColumnTransformer([
    ('num', Pipeline([('imp', SimpleImputer(strategy='mean')), ('sc', StandardScaler())]), [0, 1]),
    ('cat', Pipeline([('imp', SimpleImputer(strategy='most_frequent', missing_values=None)),
                      ('oh', OneHotEncoder(handle_unknown='ignore'))]), [2, 3]),
], sparse_threshold=0)
tr = np.array([r[:4] for r in table_rows], dtype=object)
te = np.array([r[:4] for r in test_rows], dtype=object)
ct.fit(tr)
write('column_pipeline.json', {
    'columns': ['age', 'income', 'city', 'plan', 'label'],
    'train': table_rows, 'test': test_rows,
    'train_out': ct.transform(tr).astype(float), 'test_out': ct.transform(te).astype(float),
    'label_classes': sorted(set(r[4] for r in table_rows)),
})

# ---- Splits: per-fold sizes and class counts (indices differ: the RNGs differ) ----
def class_counts(y, idx, classes):
    return [int((y[idx] == c).sum()) for c in classes]

y3 = np.array([0] * 50 + [1] * 30 + [2] * 7)
rs = np.random.RandomState(1)
y3 = y3[rs.permutation(len(y3))]
splits = {}
for name, y in [('breast_cancer', bc_y), ('imbalanced3', y3)]:
    classes = sorted(set(y.tolist()))
    skf = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    folds = [{'test_size': len(te_i), 'test_counts': class_counts(y, te_i, classes),
              'train_counts': class_counts(y, tr_i, classes)} for tr_i, te_i in skf.split(np.zeros(len(y)), y)]
    tts = {}
    for ts in [0.2, 0.25, 0.3]:
        a, b = train_test_split(np.arange(len(y)), test_size=ts, stratify=y, random_state=0)
        tts[str(ts)] = {'train_counts': class_counts(y, a, classes), 'test_counts': class_counts(y, b, classes)}
    # train/val/test: test first, then validation from the rest with val_size relative to the whole.
    rest, test_i = train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=0)
    train_i, val_i = train_test_split(rest, test_size=0.2 / 0.8, stratify=y[rest], random_state=0)
    tvt = {k: class_counts(y, i, classes) for k, i in [('train', train_i), ('val', val_i), ('test', test_i)]}
    splits[name] = {'y': y.tolist(), 'classes': classes, 'stratified_kfold5': folds,
                    'train_test_split': tts, 'train_val_test_0.2_0.2': tvt}
kf = {str(n): [len(te_i) for _, te_i in KFold(n_splits=5, shuffle=True, random_state=0).split(np.zeros(n))]
      for n in [442, 569, 10, 7]}
plain = {}
for n, ts in [(442, 0.2), (569, 0.25), (10, 0.33), (7, 0.5)]:
    a, b = train_test_split(np.arange(n), test_size=ts, random_state=0)
    plain[f'{n}_{ts}'] = [len(a), len(b)]
tss = {}
for n, k in [(442, 5), (20, 3)]:
    tss[f'{n}_{k}'] = [{'train': tr_i.tolist(), 'test': te_i.tolist()}
                       for tr_i, te_i in TimeSeriesSplit(n_splits=k).split(np.zeros(n))]
write('splits.json', {'stratified': splits, 'kfold5_sizes': kf, 'train_test_sizes': plain, 'time_series': tss})

# ---- Class weights ----
write('class_weight.json', {
    'breast_cancer': {'classes': sorted(set(bc_y)),
                      'weights': compute_class_weight('balanced', classes=np.array(sorted(set(bc_y))), y=bc_y)},
    'imbalanced3': {'classes': [0, 1, 2], 'weights': compute_class_weight('balanced', classes=np.array([0, 1, 2]), y=y3)},
})
print('wrote', sorted(os.listdir(OUT)))
