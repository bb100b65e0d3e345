#!/usr/bin/python3
"""Writes test/fixtures/metrics/sklearn.json: inputs and scikit-learn 1.2 results for every metric in src/metrics.

Run with Debian's interpreter (it has sklearn 1.2): /usr/bin/python3 scripts/gen_metric_fixtures.py
Each case names the TypeScript function, its inputs and options (TypeScript spelling) and sklearn's answer, or for
error cases the fact that sklearn raises (the test then checks that ours throws a clear error). NaN is written as the
string "NaN" because JSON has no NaN.
"""
import json
import math
import os
import warnings

import numpy as np
import sklearn
from sklearn import metrics as M
from sklearn.preprocessing import label_binarize

warnings.filterwarnings("ignore")
rng = np.random.default_rng(20240601)
OUT = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "metrics", "sklearn.json")
cases = []


def clean(x):
    if isinstance(x, dict):
        return {k: clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [clean(v) for v in x]
    if isinstance(x, np.ndarray):
        return clean(x.tolist())
    if isinstance(x, (np.floating, float)):
        x = float(x)
        return "NaN" if math.isnan(x) else x
    if isinstance(x, (np.integer, np.bool_)):
        return int(x)
    return x


def case(id, fn, args, opts, expected):
    cases.append({"id": id, "fn": fn, "args": clean(args), "opts": clean(opts), "expected": clean(expected)})


def error_case(id, fn, args, opts, sk_call, contains):
    """sk_call must raise in sklearn; ours must throw an error naming fn and containing `contains`."""
    try:
        sk_call()
    except ValueError as e:
        cases.append({"id": id, "fn": fn, "args": clean(args), "opts": clean(opts), "error": contains, "sklearnError": str(e)})
        return
    raise AssertionError(f"sklearn did not raise for {id}")


def sk_weights(opts):
    return None if "sampleWeight" not in opts else np.asarray(opts["sampleWeight"])


# ---------- data ----------
n_bin = 60
y_bin = rng.integers(0, 2, n_bin)
# scores rounded to 1 decimal: many ties, which exercise the tie handling of the curves
p_bin = np.clip(np.round(0.5 + 0.3 * (2 * y_bin - 1) + rng.normal(0, 0.25, n_bin), 1), 0, 1)
pred_bin = (p_bin > 0.5).astype(int)
w_bin = np.round(rng.uniform(0, 2, n_bin), 3)
w_bin[[3, 17, 40]] = 0.0

n_mc, C = 80, 4
y_mc = rng.integers(0, C, n_mc)
# probabilities from small integer weights: exact row sums of 1 and frequent ties
raw = rng.integers(1, 5, (n_mc, C)).astype(float)
raw[np.arange(n_mc), y_mc] += rng.integers(0, 4, n_mc)
p_mc = raw / raw.sum(axis=1, keepdims=True)
pred_mc = p_mc.argmax(axis=1)
w_mc = np.round(rng.uniform(0.1, 3, n_mc), 3)
# a class never predicted: class 2 predicted as 1 everywhere
pred_never = np.where(pred_mc == 2, 1, pred_mc)

n_reg = 50
y_reg = rng.normal(3, 2, n_reg)
p_reg = y_reg + rng.normal(0, 0.8, n_reg)
w_reg = np.round(rng.uniform(0, 2, n_reg), 3)

# ---------- accuracy ----------
case("acc_binary_labels", "accuracyScore", [y_bin, pred_bin], {}, M.accuracy_score(y_bin, pred_bin))
case("acc_binary_threshold", "accuracyScore", [y_bin, p_bin], {"threshold": 0.5}, M.accuracy_score(y_bin, p_bin > 0.5))
case("acc_binary_threshold_0.3", "accuracyScore", [y_bin, p_bin], {"threshold": 0.3}, M.accuracy_score(y_bin, p_bin > 0.3))
case("acc_weighted", "accuracyScore", [y_bin, pred_bin], {"sampleWeight": w_bin}, M.accuracy_score(y_bin, pred_bin, sample_weight=w_bin))
case("acc_count", "accuracyScore", [y_mc, pred_mc], {"normalize": False}, M.accuracy_score(y_mc, pred_mc, normalize=False))
case("acc_multiclass_labels", "accuracyScore", [y_mc, pred_mc], {}, M.accuracy_score(y_mc, pred_mc))
case("acc_multiclass_argmax", "accuracyScore", [y_mc, p_mc], {}, M.accuracy_score(y_mc, p_mc.argmax(axis=1)))
case("acc_onehot_true", "accuracyScore", [np.eye(C)[y_mc], p_mc], {}, M.accuracy_score(y_mc, p_mc.argmax(axis=1)))
for k in (1, 2, 3):
    case(f"topk_{k}", "topKAccuracyScore", [y_mc, p_mc], {"k": k}, M.top_k_accuracy_score(y_mc, p_mc, k=k, labels=range(C)))
case("topk_2_weighted", "topKAccuracyScore", [y_mc, p_mc], {"k": 2, "sampleWeight": w_mc},
     M.top_k_accuracy_score(y_mc, p_mc, k=2, labels=range(C), sample_weight=w_mc))
case("topk_2_count", "topKAccuracyScore", [y_mc, p_mc], {"k": 2, "normalize": False},
     M.top_k_accuracy_score(y_mc, p_mc, k=2, labels=range(C), normalize=False))

# ---------- precision / recall / F ----------
prf = {"precisionScore": M.precision_score, "recallScore": M.recall_score, "f1Score": M.f1_score}
for fn, sk in prf.items():
    case(f"{fn}_binary", fn, [y_bin, pred_bin], {}, sk(y_bin, pred_bin))
    case(f"{fn}_binary_pos0", fn, [y_bin, pred_bin], {"posLabel": 0}, sk(y_bin, pred_bin, pos_label=0))
    case(f"{fn}_binary_weighted", fn, [y_bin, pred_bin], {"sampleWeight": w_bin}, sk(y_bin, pred_bin, sample_weight=w_bin))
    case(f"{fn}_binary_threshold", fn, [y_bin, p_bin], {"threshold": 0.5}, sk(y_bin, (p_bin > 0.5).astype(int)))
    for avg in ("macro", "micro", "weighted", None):
        case(f"{fn}_mc_{avg}", fn, [y_mc, pred_mc], {"average": avg}, sk(y_mc, pred_mc, average=avg))
        case(f"{fn}_mc_{avg}_w", fn, [y_mc, pred_mc], {"average": avg, "sampleWeight": w_mc},
             sk(y_mc, pred_mc, average=avg, sample_weight=w_mc))
        case(f"{fn}_never_predicted_{avg}", fn, [y_mc, pred_never], {"average": avg}, sk(y_mc, pred_never, average=avg))
        case(f"{fn}_never_predicted_{avg}_zd1", fn, [y_mc, pred_never], {"average": avg, "zeroDivision": 1},
             sk(y_mc, pred_never, average=avg, zero_division=1))
    case(f"{fn}_mc_labels_subset", fn, [y_mc, pred_mc], {"average": "macro", "labels": [0, 2]},
         sk(y_mc, pred_mc, average="macro", labels=[0, 2]))
    case(f"{fn}_mc_labels_absent", fn, [y_mc, pred_mc], {"average": None, "labels": [0, 5]},
         sk(y_mc, pred_mc, average=None, labels=[0, 5]))
    case(f"{fn}_mc_micro_subset", fn, [y_mc, pred_mc], {"average": "micro", "labels": [1, 3]},
         sk(y_mc, pred_mc, average="micro", labels=[1, 3]))
    # a single class present in yTrue and yPred (all negatives): everything is 0/0
    zeros = np.zeros(10, dtype=int)
    case(f"{fn}_all_negative", fn, [zeros, zeros], {}, sk(zeros, zeros))
    case(f"{fn}_all_negative_zd1", fn, [zeros, zeros], {"zeroDivision": 1}, sk(zeros, zeros, zero_division=1))
    case(f"{fn}_all_negative_weighted_avg", fn, [zeros, zeros], {"average": "weighted", "labels": [1]},
         sk(zeros, zeros, average="weighted", labels=[1]))
    error_case(f"{fn}_multiclass_binary", fn, [y_mc, pred_mc], {}, lambda sk=sk: sk(y_mc, pred_mc), "average='binary'")
    error_case(f"{fn}_bad_pos_label", fn, [y_bin, pred_bin], {"posLabel": 2},
               lambda sk=sk: sk(y_bin, pred_bin, pos_label=2), "posLabel=2 is not a valid label")
for beta in (0.5, 2.0):
    case(f"fbeta_{beta}_binary", "fbetaScore", [y_bin, pred_bin, beta], {}, M.fbeta_score(y_bin, pred_bin, beta=beta))
    case(f"fbeta_{beta}_macro_w", "fbetaScore", [y_mc, pred_never, beta], {"average": "macro", "sampleWeight": w_mc},
         M.fbeta_score(y_mc, pred_never, beta=beta, average="macro", sample_weight=w_mc))
p, r, f, s = M.precision_recall_fscore_support(y_mc, pred_never, sample_weight=w_mc)
case("prfs_none_weighted", "precisionRecallFscoreSupport", [y_mc, pred_never], {"sampleWeight": w_mc},
     {"precision": p, "recall": r, "fScore": f, "support": s})

# ---------- confusion matrix ----------
case("cm_binary", "confusionMatrix", [y_bin, pred_bin], {}, M.confusion_matrix(y_bin, pred_bin))
case("cm_mc", "confusionMatrix", [y_mc, pred_never], {}, M.confusion_matrix(y_mc, pred_never))
case("cm_mc_weighted", "confusionMatrix", [y_mc, pred_mc], {"sampleWeight": w_mc}, M.confusion_matrix(y_mc, pred_mc, sample_weight=w_mc))
for norm in ("true", "pred", "all"):
    case(f"cm_norm_{norm}", "confusionMatrix", [y_mc, pred_never], {"normalize": norm},
         M.confusion_matrix(y_mc, pred_never, normalize=norm))
case("cm_labels_subset", "confusionMatrix", [y_mc, pred_mc], {"labels": [3, 0, 1]}, M.confusion_matrix(y_mc, pred_mc, labels=[3, 0, 1]))
case("cm_labels_extra", "confusionMatrix", [y_bin, pred_bin], {"labels": [0, 1, 2]}, M.confusion_matrix(y_bin, pred_bin, labels=[0, 1, 2]))
error_case("cm_labels_none_in_true", "confusionMatrix", [y_bin, pred_bin], {"labels": [5, 6]},
           lambda: M.confusion_matrix(y_bin, pred_bin, labels=[5, 6]), "must occur in yTrue")

# ---------- ROC ----------
def roc(y, s, **kw):
    fpr, tpr, thr = M.roc_curve(y, s, **kw)
    return {"fpr": fpr, "tpr": tpr, "thresholds": thr}


case("roc_curve", "rocCurve", [y_bin, p_bin], {}, roc(y_bin, p_bin))
case("roc_curve_all_points", "rocCurve", [y_bin, p_bin], {"dropIntermediate": False}, roc(y_bin, p_bin, drop_intermediate=False))
case("roc_curve_weighted", "rocCurve", [y_bin, p_bin], {"sampleWeight": w_bin}, roc(y_bin, p_bin, sample_weight=w_bin))
case("roc_curve_pos0", "rocCurve", [y_bin, p_bin], {"posLabel": 0}, roc(y_bin, p_bin, pos_label=0))
y_pm = np.where(y_bin == 1, 1, -1)
case("roc_curve_pm1", "rocCurve", [y_pm, p_bin], {}, roc(y_pm, p_bin))
ones = np.ones(8, dtype=int)
s8 = np.linspace(0.1, 0.8, 8)
case("roc_curve_no_negatives", "rocCurve", [ones, s8], {}, roc(ones, s8))
y_tie = np.array([0, 1, 0, 1, 1, 0, 0, 1])
s_tie = np.array([0.5, 0.5, 0.5, 0.5, 0.2, 0.2, 0.9, 0.9])
case("roc_curve_all_ties", "rocCurve", [y_tie, s_tie], {}, roc(y_tie, s_tie))
case("roc_auc_ties", "rocAucScore", [y_tie, s_tie], {}, M.roc_auc_score(y_tie, s_tie))
error_case("roc_curve_labels_need_pos", "rocCurve", [y_bin + 2, p_bin], {}, lambda: M.roc_curve(y_bin + 2, p_bin), "posLabel")

case("roc_auc_binary", "rocAucScore", [y_bin, p_bin], {}, M.roc_auc_score(y_bin, p_bin))
case("roc_auc_binary_weighted", "rocAucScore", [y_bin, p_bin], {"sampleWeight": w_bin}, M.roc_auc_score(y_bin, p_bin, sample_weight=w_bin))
case("roc_auc_binary_2col", "rocAucScore", [y_bin, np.stack([1 - p_bin, p_bin], 1)], {}, M.roc_auc_score(y_bin, p_bin))
case("roc_auc_binary_labels_3_7", "rocAucScore", [np.where(y_bin == 1, 7, 3), p_bin], {}, M.roc_auc_score(np.where(y_bin == 1, 7, 3), p_bin))
for avg in ("macro", "weighted", "micro", None):
    case(f"roc_auc_ovr_{avg}", "rocAucScore", [y_mc, p_mc], {"average": avg}, M.roc_auc_score(y_mc, p_mc, multi_class="ovr", average=avg))
    case(f"roc_auc_ovr_{avg}_w", "rocAucScore", [y_mc, p_mc], {"average": avg, "sampleWeight": w_mc},
         M.roc_auc_score(y_mc, p_mc, multi_class="ovr", average=avg, sample_weight=w_mc))
error_case("roc_auc_single_class", "rocAucScore", [ones, s8], {}, lambda: M.roc_auc_score(ones, s8), "only one class present")
error_case("roc_auc_not_probabilities", "rocAucScore", [y_mc, p_mc * 2], {}, lambda: M.roc_auc_score(y_mc, p_mc * 2, multi_class="ovr"),
           "sum to 1")
y_3 = np.where(y_mc == 3, 0, y_mc)
error_case("roc_auc_class_count_mismatch", "rocAucScore", [y_3, p_mc], {}, lambda: M.roc_auc_score(y_3, p_mc, multi_class="ovr"),
           "columns")

# ---------- precision-recall ----------
def prc(y, s, **kw):
    pr, rc, thr = M.precision_recall_curve(y, s, **kw)
    return {"precision": pr, "recall": rc, "thresholds": thr}


case("pr_curve", "precisionRecallCurve", [y_bin, p_bin], {}, prc(y_bin, p_bin))
case("pr_curve_weighted", "precisionRecallCurve", [y_bin, p_bin], {"sampleWeight": w_bin}, prc(y_bin, p_bin, sample_weight=w_bin))
case("pr_curve_ties", "precisionRecallCurve", [y_tie, s_tie], {}, prc(y_tie, s_tie))
case("pr_curve_no_positives", "precisionRecallCurve", [np.zeros(8, dtype=int), s8], {}, prc(np.zeros(8, dtype=int), s8))
case("ap_binary", "averagePrecisionScore", [y_bin, p_bin], {}, M.average_precision_score(y_bin, p_bin))
case("ap_binary_weighted", "averagePrecisionScore", [y_bin, p_bin], {"sampleWeight": w_bin},
     M.average_precision_score(y_bin, p_bin, sample_weight=w_bin))
case("ap_binary_pos0", "averagePrecisionScore", [y_bin, p_bin], {"posLabel": 0}, M.average_precision_score(y_bin, p_bin, pos_label=0))
case("ap_ties", "averagePrecisionScore", [y_tie, s_tie], {}, M.average_precision_score(y_tie, s_tie))
case("ap_no_positives", "averagePrecisionScore", [np.zeros(8, dtype=int), s8], {}, M.average_precision_score(np.zeros(8, dtype=int), s8))
Y_mc = label_binarize(y_mc, classes=range(C))
for avg in ("macro", "weighted", "micro", None):
    case(f"ap_ovr_{avg}", "averagePrecisionScore", [y_mc, p_mc], {"average": avg}, M.average_precision_score(Y_mc, p_mc, average=avg))
    case(f"ap_ovr_{avg}_w", "averagePrecisionScore", [y_mc, p_mc], {"average": avg, "sampleWeight": w_mc},
         M.average_precision_score(Y_mc, p_mc, average=avg, sample_weight=w_mc))
# a class absent from yTrue: its column has no positives (AP 0, weight 0)
case("ap_ovr_absent_class_macro", "averagePrecisionScore", [y_3, p_mc], {"average": "macro"},
     M.average_precision_score(label_binarize(y_3, classes=range(C)), p_mc, average="macro"))
case("ap_ovr_absent_class_weighted", "averagePrecisionScore", [y_3, p_mc], {"average": "weighted"},
     M.average_precision_score(label_binarize(y_3, classes=range(C)), p_mc, average="weighted"))
case("auc_trapezoid", "auc", [[0, 0.1, 0.4, 0.4, 1], [0, 0.5, 0.6, 0.9, 1]], {}, M.auc([0, 0.1, 0.4, 0.4, 1], [0, 0.5, 0.6, 0.9, 1]))
case("auc_decreasing", "auc", [[1, 0.5, 0], [1, 0.7, 0.2]], {}, M.auc([1, 0.5, 0], [1, 0.7, 0.2]))

# ---------- log loss ----------
case("logloss_binary", "logLoss", [y_bin, p_bin], {}, M.log_loss(y_bin, p_bin))  # p_bin holds exact 0s and 1s: clipping
case("logloss_binary_weighted", "logLoss", [y_bin, p_bin], {"sampleWeight": w_bin}, M.log_loss(y_bin, p_bin, sample_weight=w_bin))
case("logloss_binary_sum", "logLoss", [y_bin, p_bin], {"normalize": False}, M.log_loss(y_bin, p_bin, normalize=False))
case("logloss_binary_eps", "logLoss", [y_bin, p_bin], {"eps": 1e-3}, M.log_loss(y_bin, p_bin, eps=1e-3))
case("logloss_mc", "logLoss", [y_mc, p_mc], {}, M.log_loss(y_mc, p_mc, labels=range(C)))
case("logloss_mc_weighted", "logLoss", [y_mc, p_mc], {"sampleWeight": w_mc}, M.log_loss(y_mc, p_mc, labels=range(C), sample_weight=w_mc))
unnorm = p_mc * 1.5
case("logloss_mc_renormalised", "logLoss", [y_mc, unnorm], {}, M.log_loss(y_mc, unnorm, labels=range(C)))
case("logloss_mc_absent_class", "logLoss", [y_3, p_mc], {}, M.log_loss(y_3, p_mc, labels=range(C)))
case("logloss_pm1_labels", "logLoss", [y_pm, p_bin], {"labels": [-1, 1]}, M.log_loss(y_pm, p_bin))

# ---------- regression ----------
reg = {"meanAbsoluteError": M.mean_absolute_error, "meanSquaredError": M.mean_squared_error, "r2Score": M.r2_score}
for fn, sk in reg.items():
    case(f"{fn}", fn, [y_reg, p_reg], {}, sk(y_reg, p_reg))
    case(f"{fn}_weighted", fn, [y_reg, p_reg], {"sampleWeight": w_reg}, sk(y_reg, p_reg, sample_weight=w_reg))
case("rmse", "rootMeanSquaredError", [y_reg, p_reg], {}, M.mean_squared_error(y_reg, p_reg, squared=False))
case("rmse_weighted", "rootMeanSquaredError", [y_reg, p_reg], {"sampleWeight": w_reg},
     M.mean_squared_error(y_reg, p_reg, squared=False, sample_weight=w_reg))
const = np.full(6, 2.5)
case("r2_constant_perfect", "r2Score", [const, const], {}, M.r2_score(const, const))
case("r2_constant_imperfect", "r2Score", [const, const + 0.1], {}, M.r2_score(const, const + 0.1))
case("r2_single_sample", "r2Score", [[1.0], [2.0]], {}, M.r2_score([1.0], [2.0]))
big = 1e8 + y_reg
case("r2_large_mean", "r2Score", [big, big + (p_reg - y_reg)], {}, M.r2_score(big, big + (p_reg - y_reg)))

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    json.dump({"generator": "scripts/gen_metric_fixtures.py", "sklearn": sklearn.__version__, "numpy": np.__version__,
               "cases": cases}, f, separators=(",", ":"), allow_nan=False)
    f.write("\n")
print(f"wrote {len(cases)} cases to {os.path.relpath(OUT)}")
