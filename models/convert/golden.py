#!/usr/bin/env python3
"""Write small *real* CatBoost models with categorical features, plus CatBoost's own predictions, as
golden test data for the TypeScript evaluator (shared/model/catboost/evaluator.ts).

    pip install -r requirements.txt        # only catboost and numpy are needed here
    python golden.py --out ../../test/data/catboost/golden

For each case it writes ``<case>.json`` (CatBoost JSON export, with cat_features_hash) and
``<case>.check.jsonl`` (``{features, probability, raw}`` per row, computed by CatBoost). The test
``test/classifier-golden.test.ts`` verifies every pair it finds there to 1e-6; commit the files to turn
"categorical path not yet checked against CatBoost itself" into a checked statement.

Cases (synthetic data shaped like the RRML inputs: a wiki column, boolean flags as strings, numbers):
  onehot      one-hot splits only (one_hot_max_size=255)
  ctr         CTRs (default Borders + Counter) with feature combinations (max_ctr_complexity=4),
              one-hot on the flags (one_hot_max_size=2)
  ctr_types   CTR types Borders, Buckets, BinarizedTargetMeanValue, Counter with priors
  nan_max     float features with NaNs, nan_mode=Max
  depthwise   grow_policy=Depthwise (non-symmetric trees) with CTRs
"""

from __future__ import annotations

import argparse
import json
import math
import random
from pathlib import Path

WIKIS = [
    f"{lang}wiki"
    for lang in "ka lv ta ur eo lt sl hy hr sk eu et ms az da bg sr ro el th bn no hi ca hu ko fi vi uz sv cs he "
    "id tr uk nl pl ar fa it zh ru es ja de fr en".split()
]
NAMES = ["wiki_db", "bytes", "is_mobile_edit", "is_visualeditor", "p1_max", "s1_mean", "count", "is_sysop", "is_anonymous"]
CAT = [0, 2, 3, 7, 8]


def make_data(n: int, seed: int, nans: bool = False):
    rnd = random.Random(seed)
    rate = {w: 0.05 + 0.4 * rnd.random() for w in WIKIS}
    X, y = [], []
    for _ in range(n):
        wiki = rnd.choice(WIKIS)
        anon = rnd.random() < 0.3
        mobile = rnd.random() < 0.25
        ve = rnd.random() < 0.3
        sysop = (not anon) and rnd.random() < 0.1
        p1 = rnd.random()
        s1 = rnd.gauss(0, 2)
        bytes_ = round(rnd.choice([-1, 1]) * math.exp(rnd.random() * 8))
        count = 0 if rnd.random() < 0.6 else int(rnd.random() ** 2 * 20)
        z = -2 + 3 * rate[wiki] + 1.2 * anon + 0.5 * mobile - 1.0 * sysop + 2.0 * (p1 - 0.5) + 0.2 * s1 - 0.3 * (bytes_ > 0)
        z += 0.8 * anon * mobile + 0.6 * (wiki in ("enwiki", "dewiki")) * anon
        label = int(rnd.random() < 1 / (1 + math.exp(-z)))
        if nans and rnd.random() < 0.1:
            p1 = float("nan")
        if nans and rnd.random() < 0.1:
            s1 = float("nan")
        X.append([wiki, float(bytes_), "1" if mobile else "0", "1" if ve else "0", p1, s1, float(count),
                  "True" if sysop else "False", "True" if anon else "False"])  # fmt: skip
        y.append(label)
    return X, y


def check_rows(model_borders: dict[int, list[float]], seed: int, n: int, nans: bool):
    import numpy as np

    X, _ = make_data(n, seed + 1, nans)
    rnd = random.Random(seed + 2)
    for row in X[: n // 4]:  # values on borders and at their float32 neighbours
        for i, b in model_borders.items():
            if b and rnd.random() < 0.5:
                x32 = np.float32(rnd.choice(b))
                row[i] = float(rnd.choice([x32, np.nextafter(x32, np.float32(np.inf)), np.nextafter(x32, np.float32(-np.inf))]))
    X.append(["xxwiki", 10.0, "1", "0", 0.5, 0.0, 1.0, "False", "True"])  # unseen wiki
    X.append(["-1", -5.0, "-1", "-1", 0.1, -1.0, 0.0, "-1", "-1"])  # unseen everything
    return X


CASES = {
    "onehot": dict(iterations=60, depth=4, one_hot_max_size=255),
    "ctr": dict(iterations=120, depth=5, one_hot_max_size=2, max_ctr_complexity=4),
    "ctr_types": dict(
        iterations=80,
        depth=4,
        one_hot_max_size=2,
        max_ctr_complexity=2,
        simple_ctr=["Borders:Prior=0.3", "Buckets", "BinarizedTargetMeanValue:Prior=0.5", "Counter"],
        combinations_ctr=["Borders", "Counter"],
    ),
    "nan_max": dict(iterations=60, depth=4, nan_mode="Max", one_hot_max_size=2),
    "depthwise": dict(iterations=60, depth=5, grow_policy="Depthwise", one_hot_max_size=2, max_ctr_complexity=2),
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--rows", type=int, default=4000)
    ap.add_argument("--check-rows", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    import catboost
    from catboost import CatBoostClassifier, Pool

    args.out.mkdir(parents=True, exist_ok=True)
    for case, params in CASES.items():
        nans = case == "nan_max"
        X, y = make_data(args.rows, args.seed, nans)
        model = CatBoostClassifier(loss_function="Logloss", random_seed=args.seed, verbose=False, thread_count=1, **params)
        model.fit(Pool(X, y, cat_features=CAT, feature_names=NAMES))
        strings = sorted({row[i] for row in X for i in CAT} | {"xxwiki", "-1"})
        hash_pool = Pool([[s if i in CAT else 0.0 for i in range(len(NAMES))] for s in strings], cat_features=CAT, feature_names=NAMES)
        json_path = args.out / f"{case}.json"
        model.save_model(str(json_path), format="json", pool=hash_pool)
        exported = json.loads(json_path.read_text())
        borders = {f["flat_feature_index"]: f.get("borders", []) for f in exported["features_info"].get("float_features", [])}
        rows = check_rows(borders, args.seed, args.check_rows, nans)
        pool = Pool(rows, cat_features=CAT, feature_names=NAMES)
        proba = model.predict_proba(pool)[:, 1]
        raw = model.predict(pool, prediction_type="RawFormulaVal")
        with open(args.out / f"{case}.check.jsonl", "w") as f:
            for row, p, r in zip(rows, proba, raw):
                feats = [None if isinstance(v, float) and math.isnan(v) else v for v in row]
                f.write(json.dumps({"features": feats, "probability": float(p), "raw": float(r)}) + "\n")
        split_types = sorted({s["split_type"] for t in exported.get("oblivious_trees", []) for s in t["splits"]})
        print(f"{case}: {model.tree_count_} trees, splits {split_types or 'non-symmetric'}, catboost {catboost.__version__}")
    (args.out / "README.md").write_text(
        "Generated by models/convert/golden.py with catboost " + catboost.__version__ + ": real CatBoost models and "
        "CatBoost's own predictions, verified by test/classifier-golden.test.ts.\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
