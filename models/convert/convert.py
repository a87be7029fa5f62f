#!/usr/bin/env python3
"""Convert the published revertrisk-multilingual ``model.pkl`` into a revrisk model bundle.

Input:  the LiftWing artefact ``revertrisk/multilingual/20230810110019/model.pkl`` (public copy:
        https://analytics.wikimedia.org/published/wmf-ml-models/revertrisk/multilingual/20230810110019/model.pkl).
Output: a bundle directory (see shared/model/bundle.ts):

    manifest.json              feature order, categorical encodings, encoders, classifier
    encoder-{title,insert,remove,change}.onnx
    tokenizer.json             (one per encoder if they differ: tokenizer-<name>.json)
    classifier.json            CatBoost JSON export, with cat_features_hash for the known strings
    classifier-check.jsonl     rows scored by CatBoost itself: {features, probability, raw}
    encoder-probe.jsonl        probe texts: token ids, torch logits, onnx logits, per encoder
    conversion-report.json     versions, introspection of the pickle, encoding evidence, checks

Unpickling executes code from the file: run this only in a throw-away environment (container/venv),
never in the service. The pickle references ``knowledge_integrity`` (KI) classes; KI is not needed:
this script installs stub modules that stand in for any ``knowledge_integrity.*`` class.

Usage:
    python convert.py --model-pkl model.pkl --out ../bundle [--check-rows 300] [--opset 17] [--int8]
    python convert.py --model-pkl model.pkl --inspect-only      # dump what the pickle contains

Exit status is non-zero if any check fails (CatBoost export self-check, encoder torch-vs-ONNX probe).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.abc
import importlib.machinery
import itertools
import json
import math
import os
import pickle
import random
import sys
import types
import zipfile
from pathlib import Path
from typing import Any

# ---------------------------------------------------------------------------------------------------
# Stub knowledge_integrity modules


class KIStub:
    """Stands in for any knowledge_integrity class found in the pickle. Keeps whatever state it gets."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._stub_args = args
        self.__dict__.update(kwargs)

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, dict):
            self.__dict__.update(state)
        elif isinstance(state, tuple) and len(state) == 2 and all(s is None or isinstance(s, dict) for s in state):
            for part in state:  # (__dict__, __slots__ state)
                if part:
                    self.__dict__.update(part)
        else:
            self._stub_state = state

    def __repr__(self) -> str:
        return f"<KI stub {type(self).__module__}.{type(self).__qualname__} {sorted(self.__dict__)}>"


class _StubModule(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        cls = type(name, (KIStub,), {"__module__": self.__name__, "__qualname__": name})
        setattr(self, name, cls)
        return cls


class _StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    PREFIX = "knowledge_integrity"

    def find_spec(self, fullname: str, path: Any = None, target: Any = None):  # noqa: D401
        if fullname == self.PREFIX or fullname.startswith(self.PREFIX + "."):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):  # type: ignore[override]
        module = _StubModule(spec.name)
        module.__path__ = []  # a package, so submodules resolve
        return module

    def exec_module(self, module) -> None:  # type: ignore[override]
        pass


def install_ki_stubs() -> None:
    try:
        import knowledge_integrity  # noqa: F401

        print("note: a real knowledge_integrity package is installed; using it instead of stubs", file=sys.stderr)
    except ImportError:
        sys.meta_path.insert(0, _StubFinder())


# ---------------------------------------------------------------------------------------------------
# Loading


def load_pickle(path: Path) -> Any:
    """Loads model.pkl whether it was written by pickle, joblib or torch.save."""
    with open(path, "rb") as f:
        head = f.read(4)
    if head[:2] == b"PK" and zipfile.is_zipfile(path):
        import torch

        print("model.pkl is a torch.save archive", file=sys.stderr)
        return torch.load(path, map_location="cpu", weights_only=False)
    try:
        import joblib

        return joblib.load(path)  # also reads plain pickles
    except ImportError:
        pass
    with open(path, "rb") as f:
        return pickle.load(f)


def describe(obj: Any, depth: int = 0, max_depth: int = 2) -> Any:
    """JSON-able description of an object's attributes (for the report / --inspect-only)."""
    t = f"{type(obj).__module__}.{type(obj).__qualname__}"
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj if not isinstance(obj, str) or len(obj) < 200 else obj[:200] + "…"
    if isinstance(obj, (list, tuple, set)):
        items = list(obj)
        if depth >= max_depth or len(items) > 60:
            return {"type": t, "len": len(items), "head": [describe(i, max_depth, max_depth) for i in items[:5]]}
        return [describe(i, depth + 1, max_depth) for i in items]
    if isinstance(obj, dict):
        if depth >= max_depth:
            return {"type": t, "keys": [str(k) for k in list(obj)[:50]]}
        return {str(k): describe(v, depth + 1, max_depth) for k, v in list(obj.items())[:80]}
    attrs = getattr(obj, "__dict__", None)
    if attrs is None or depth >= max_depth:
        return {"type": t}
    return {"type": t, "attrs": {k: describe(v, depth + 1, max_depth) for k, v in list(attrs.items())[:80]}}


def find_attr(obj: Any, names: list[str]) -> Any:
    for n in names:
        if hasattr(obj, n):
            return getattr(obj, n)
        if isinstance(obj, dict) and n in obj:
            return obj[n]
    return None


def find_catboost(obj: Any) -> tuple[str, Any]:
    from catboost import CatBoost

    seen: set[int] = set()
    queue: list[tuple[str, Any, int]] = [("model", obj, 0)]
    while queue:
        path, o, d = queue.pop(0)
        if id(o) in seen:
            continue
        seen.add(id(o))
        if isinstance(o, CatBoost):
            return path, o
        if d >= 3:
            continue
        children = o.items() if isinstance(o, dict) else getattr(o, "__dict__", {}).items()
        for k, v in children:
            queue.append((f"{path}.{k}", v, d + 1))
    raise SystemExit("error: no CatBoost model found inside the pickle (see --inspect-only)")


# ---------------------------------------------------------------------------------------------------
# CatBoost helpers (hash semantics as in shared/model/catboost/hash.ts and docs/classifier.md)

MASK64 = (1 << 64) - 1
CTR_MAGIC = 0x4906BA494954CB65


def ctr_step(a: int, b: int) -> int:
    return (CTR_MAGIC * ((a + CTR_MAGIC * b) & MASK64)) & MASK64


def sext32(h: int) -> int:
    """CatBoost feeds a categorical hash to the CTR key as (ui64)(int)hash: sign-extended."""
    h &= 0xFFFFFFFF
    return (h - (1 << 32) if h >= 1 << 31 else h) & MASK64


BOOL_CANDIDATES = [("1", "0"), ("True", "False"), ("true", "false"), ("1.0", "0.0")]
MISSING_CANDIDATES = ["-1", "-1.0", "nan", "None", ""]
TAG_FLAGS = {"is_mobile_edit", "is_mobile_web_edit", "is_visualeditor", "is_wikieditor", "is_ios_app_edit"}


def export_catboost_json(clf: Any, out: Path, feature_names: list[str], cat_idx: list[int], strings: dict[int, list[str]]):
    """save_model(format="json") with a pool holding every candidate string, so the export carries
    CatBoost's own hash for each (cat_features_hash)."""
    from catboost import Pool

    n_rows = max(len(v) for v in strings.values()) if strings else 1
    rows = []
    for r in range(n_rows):
        row: list[Any] = []
        for i in range(len(feature_names)):
            if i in strings:
                vals = strings[i]
                row.append(vals[r % len(vals)])
            else:
                row.append(0.0)
        rows.append(row)
    pool = Pool(rows, cat_features=cat_idx, feature_names=feature_names)
    clf.save_model(str(out), format="json", pool=pool)
    return json.loads(out.read_text())


def encoding_evidence(model_json: dict, cat_idx: list[int], candidates: dict[int, list[str]]) -> dict[int, dict[str, int]]:
    """How often each candidate string of each categorical feature appears in the model: one-hot split
    values and CTR table keys (enumerating candidate combinations for each CTR projection)."""
    hashes = {e["value"]: int(e["hash"]) & 0xFFFFFFFF for e in model_json["features_info"].get("cat_features_hash", [])}
    cat_pos = {c["feature_index"]: c["flat_feature_index"] for c in model_json["features_info"].get("categorical_features", [])}
    evidence: dict[int, dict[str, int]] = {flat: {s: 0 for s in candidates.get(flat, [])} for flat in cat_idx}

    for c in model_json["features_info"].get("categorical_features", []):
        flat = c["flat_feature_index"]
        for v in c.get("values", []) or []:
            for s in candidates.get(flat, []):
                if s in hashes and (hashes[s] - (1 << 32) if hashes[s] >= 1 << 31 else hashes[s]) == int(v):
                    evidence[flat][s] += 1

    for ident, table in (model_json.get("ctr_data") or {}).items():
        proj = json.loads(ident)["identifier"]
        cats = [cat_pos[e["cat_feature_index"]] for e in proj if e["combination_element"] == "cat_feature_value"]
        n_bits = sum(1 for e in proj if e["combination_element"] != "cat_feature_value")
        keys = set(int(table["hash_map"][i]) for i in range(0, len(table["hash_map"]), table["hash_stride"]))
        pools = [[s for s in candidates.get(flat, []) if s in hashes] for flat in cats]
        size = math.prod(len(p) for p in pools) * (2**n_bits)
        if size == 0 or size > 2_000_000:
            continue
        for combo in itertools.product(*pools):
            k = 0
            for s in combo:
                k = ctr_step(k, sext32(hashes[s]))
            for bits in itertools.product([0, 1], repeat=n_bits):
                kk = k
                for b in bits:
                    kk = ctr_step(kk, b)
                if kk in keys:
                    for flat, s in zip(cats, combo):
                        evidence[flat][s] += 1
    return evidence


def choose_encodings(evidence: dict[int, dict[str, int]], names: list[str], wiki_flat: int | None) -> dict[int, dict[str, str]]:
    chosen: dict[int, dict[str, str]] = {}
    for flat, ev in evidence.items():
        if flat == wiki_flat:
            continue
        best = None
        for t, f in BOOL_CANDIDATES:
            score = ev.get(t, 0) + ev.get(f, 0)
            if score > 0 and (best is None or score > best[0]):
                best = (score, t, f)
        if best is None:
            # unused or unknown: fall back to the training code's convention (categorical encodings, docs/featurizer.md)
            t, f = ("1", "0") if names[flat] in TAG_FLAGS else ("True", "False")
            print(f"warning: no evidence for the encoding of {names[flat]}; assuming {t!r}/{f!r}", file=sys.stderr)
        else:
            _, t, f = best
        chosen[flat] = {"true": t, "false": f}
    return chosen


def sample_rows(names: list[str], cat_idx: set[int], wikis: list[str], enc: dict[int, dict[str, str]], borders: dict[int, list[float]], n: int, seed: int) -> list[list[Any]]:
    """Rows for the check file: realistic ranges, border values and their float32 neighbours, NaNs,
    unseen and missing categorical values."""
    import numpy as np

    rnd = random.Random(seed)
    rows: list[list[Any]] = []
    for r in range(n):
        anonymous = rnd.random() < 0.3
        row: list[Any] = []
        for i, name in enumerate(names):
            if i in cat_idx:
                if i not in enc:  # wiki_db
                    u = rnd.random()
                    row.append("xxwiki" if u < 0.03 else "-1" if u < 0.05 else rnd.choice(wikis))
                elif rnd.random() < 0.03:
                    row.append("-1")
                else:
                    p = 1.0 if name == "is_anonymous" and anonymous else 0.0 if name == "is_anonymous" else 0.2
                    row.append(enc[i]["true"] if rnd.random() < p else enc[i]["false"])
                continue
            b = borders.get(i) or []
            u = rnd.random()
            if b and u < 0.25:  # on a border, or the float32 just above/below it
                x = float(rnd.choice(b))
                x32 = np.float32(x)
                x = float(rnd.choice([x32, np.nextafter(x32, np.float32(np.inf)), np.nextafter(x32, np.float32(-np.inf))]))
            elif u < 0.27:
                x = float("nan")
            elif name.startswith("bert_") and rnd.random() < 0.4:
                x = -1.0
            elif name.startswith("bert_") and ("_p0_" in name or "_p1_" in name):
                x = rnd.random()
            elif name.startswith("bert_"):
                x = rnd.gauss(0, 3)
            elif name == "revision_text_bytes_diff":
                x = float(round(rnd.choice([-1, 1]) * math.exp(rnd.random() * 9)))
            else:
                x = float(0 if rnd.random() < 0.7 else int(rnd.random() ** 2 * 30))
            row.append(x)
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------------------------------
# Encoders


PROBE_TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "Der Artikel wurde um einen Abschnitt über die Geschichte erweitert.",
    "Москва — столица России.",
    "東京は日本の首都です。",
    "بغداد هي عاصمة العراق",
    "lol this page is stupid!!!",
    "",
    " ".join(["token"] * 700),  # longer than 512 tokens: truncation
]


def export_encoder(name: str, pipe: Any, out_dir: Path, opset: int, report: dict) -> dict:
    import numpy as np
    import torch

    model = pipe.model.eval().float().to("cpu")
    tokenizer = pipe.tokenizer
    cfg = model.config
    num_labels = int(cfg.num_labels)
    task = "regression" if num_labels == 1 or getattr(cfg, "problem_type", None) == "regression" else "classification"
    pair = name == "change"

    class LogitsOnly(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.m(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).logits

    wrapped = LogitsOnly(model).eval()
    enc = tokenizer(["hello world", "a second, longer example text"], padding=True, return_tensors="pt")
    args = (enc["input_ids"], enc["attention_mask"], enc["token_type_ids"])
    onnx_path = out_dir / f"encoder-{name}.onnx"
    torch.onnx.export(
        wrapped,
        args,
        str(onnx_path),
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["logits"],
        dynamic_axes={
            "input_ids": {0: "batch", 1: "sequence"},
            "attention_mask": {0: "batch", 1: "sequence"},
            "token_type_ids": {0: "batch", 1: "sequence"},
            "logits": {0: "batch"},
        },
        opset_version=opset,
        do_constant_folding=True,
    )
    import onnx

    onnx.checker.check_model(str(onnx_path))

    # torch vs onnxruntime probe
    import onnxruntime as ort

    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    probes = []
    max_diff = 0.0
    texts = PROBE_TEXTS
    for i, text in enumerate(texts):
        if pair:
            other = texts[(i + 1) % len(texts)]
            enc = tokenizer(text, other, truncation=True, max_length=512, return_tensors="pt")
        else:
            enc = tokenizer(text, truncation=True, max_length=512, return_tensors="pt")
        with torch.no_grad():
            t_logits = wrapped(enc["input_ids"], enc["attention_mask"], enc["token_type_ids"]).numpy()
        o_logits = sess.run(
            ["logits"],
            {k: enc[k].numpy().astype(np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")},
        )[0]
        d = float(np.max(np.abs(t_logits - o_logits)))
        max_diff = max(max_diff, d)
        probes.append(
            {
                "encoder": name,
                "text": text if not pair else {"text": text, "text_pair": texts[(i + 1) % len(texts)]},
                "input_ids": enc["input_ids"][0].tolist(),
                "token_type_ids": enc["token_type_ids"][0].tolist(),
                "torch_logits": t_logits[0].tolist(),
                "onnx_logits": o_logits[0].tolist(),
            }
        )
    report["encoders"][name] = {
        "num_labels": num_labels,
        "id2label": getattr(cfg, "id2label", None),
        "problem_type": getattr(cfg, "problem_type", None),
        "task": task,
        "torch_vs_onnx_max_abs_diff": max_diff,
        "tokenizer_class": type(tokenizer).__name__,
        "model_max_length": getattr(tokenizer, "model_max_length", None),
    }
    if max_diff > 1e-4:
        report["failures"].append(f"encoder {name}: torch vs ONNX logits differ by {max_diff}")
    return {"task": task, "num_labels": num_labels, "pair": pair, "probes": probes, "onnx": onnx_path.name}


def tokenizer_json(pipe: Any, tmp: Path) -> str:
    tok = pipe.tokenizer
    backend = getattr(tok, "backend_tokenizer", None)
    if backend is None:  # slow tokenizer: convert through the fast class
        from transformers import BertTokenizerFast

        tok.save_pretrained(str(tmp))
        backend = BertTokenizerFast.from_pretrained(str(tmp)).backend_tokenizer
    return backend.to_str(pretty=True)


def quantize(onnx_path: Path) -> Path:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out = onnx_path.with_name(onnx_path.stem + ".int8.onnx")
    quantize_dynamic(str(onnx_path), str(out), weight_type=QuantType.QInt8)
    return out


# ---------------------------------------------------------------------------------------------------


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def json_value(v: Any) -> Any:
    if isinstance(v, float) and math.isnan(v):
        return None  # read back as NaN by the check-file parser
    return v


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-pkl", required=True, type=Path)
    ap.add_argument("--out", type=Path, default=Path("bundle"))
    ap.add_argument("--inspect-only", action="store_true", help="print what the pickle holds and stop")
    ap.add_argument("--check-rows", type=int, default=300)
    ap.add_argument("--seed", type=int, default=20230810)
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--int8", action="store_true", help="also write dynamically quantized encoders")
    ap.add_argument("--skip-encoders", action="store_true", help="only the classifier (fast)")
    ap.add_argument("--model-name", default="revertrisk-multilingual")
    args = ap.parse_args()
    if args.opset < 14:
        ap.error("--opset must be at least 14")

    install_ki_stubs()
    obj = load_pickle(args.model_pkl)
    report: dict[str, Any] = {"input": {"path": str(args.model_pkl), "sha256": sha256(args.model_pkl)}, "failures": [], "encoders": {}}
    report["pickle"] = describe(obj)
    if args.inspect_only:
        print(json.dumps(report["pickle"], indent=2, default=str))
        return 0

    import catboost
    import numpy as np

    report["versions"] = {"python": sys.version, "catboost": catboost.__version__, "numpy": np.__version__}
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    # ---- classifier
    clf_path, clf = find_catboost(obj)
    report["classifier_attribute"] = clf_path
    names: list[str] = list(clf.feature_names_)
    cat_idx = sorted(int(i) for i in clf.get_cat_feature_indices())
    cat_set = set(cat_idx)
    report["feature_names"] = names
    report["categorical_indices"] = cat_idx
    report["catboost_params"] = {k: str(v) for k, v in clf.get_all_params().items()}

    model_version = find_attr(obj, ["model_version", "version"])
    supported = find_attr(obj, ["supported_wikis", "wikis"])
    supported_langs = sorted({str(w)[:-4] if str(w).endswith("wiki") else str(w) for w in (supported or [])})
    if not supported_langs:
        report["failures"].append("no supported_wikis attribute found")
    wikis = [f"{lang}wiki" for lang in supported_langs]
    wiki_flat = names.index("wiki_db") if "wiki_db" in names else None

    # Candidate strings per categorical feature; the export records CatBoost's hash of each.
    bools = sorted({s for pair in BOOL_CANDIDATES for s in pair})
    candidates: dict[int, list[str]] = {}
    for i in cat_idx:
        base = wikis if i == wiki_flat else bools
        candidates[i] = list(dict.fromkeys(base + MISSING_CANDIDATES))
    json_path = out / "classifier.json"
    model_json = export_catboost_json(clf, json_path, names, cat_idx, candidates)
    report["classifier_json_sha256"] = sha256(json_path)
    report["split_types"] = sorted(
        {s["split_type"] for t in model_json.get("oblivious_trees", []) for s in t["splits"]}
        | ({"non-symmetric"} if "trees" in model_json else set())
    )
    report["ctrs"] = [c["identifier"] for c in model_json["features_info"].get("ctrs", [])]

    evidence = encoding_evidence(model_json, cat_idx, candidates)
    report["encoding_evidence"] = {names[i]: {s: n for s, n in ev.items() if n} for i, ev in evidence.items()}
    if wiki_flat is not None:
        unseen = [w for w in wikis if evidence[wiki_flat].get(w, 0) == 0]
        report["wikis_without_ctr_evidence"] = unseen
    enc = choose_encodings(evidence, names, wiki_flat)
    missing_votes = {m: sum(ev.get(m, 0) for ev in evidence.values()) for m in MISSING_CANDIDATES}
    missing = max(missing_votes, key=lambda m: missing_votes[m]) if any(missing_votes.values()) else "-1"
    report["missing_categorical_evidence"] = missing_votes

    # ---- check file: CatBoost's own predictions
    borders = {
        f["flat_feature_index"]: [float(b) for b in f.get("borders", [])] for f in model_json["features_info"].get("float_features", [])
    }
    rows = sample_rows(names, cat_set, wikis or ["enwiki"], enc, borders, args.check_rows, args.seed)
    pool = catboost.Pool(rows, cat_features=cat_idx, feature_names=names)
    proba = clf.predict_proba(pool)[:, 1]
    raw = clf.predict(pool, prediction_type="RawFormulaVal")
    check_path = out / "classifier-check.jsonl"
    with open(check_path, "w") as f:
        for row, p, r in zip(rows, proba, raw):
            f.write(json.dumps({"features": [json_value(v) for v in row], "probability": float(p), "raw": float(r)}) + "\n")
    report["check_rows"] = len(rows)

    # Self-check: the JSON export loaded back by CatBoost scores like the original model.
    reloaded = catboost.CatBoostClassifier()
    reloaded.load_model(str(json_path), format="json")
    d = float(np.max(np.abs(reloaded.predict_proba(pool)[:, 1] - proba)))
    report["json_reload_max_abs_diff"] = d
    if d > 1e-9:
        report["failures"].append(f"CatBoost's JSON export reloaded scores differently (max diff {d})")

    # ---- encoders
    encoders: dict[str, Any] = {}
    tokenizer_files: dict[str, str] = {}
    if not args.skip_encoders:
        probe_lines = []
        tok_texts: dict[str, str] = {}
        import tempfile

        for name in ("title", "insert", "remove", "change"):
            pipe = find_attr(obj, [f"{name}_model", f"{name}_pipeline"])
            if pipe is None:
                report["failures"].append(f"no {name}_model attribute")
                continue
            info = export_encoder(name, pipe, out, args.opset, report)
            probe_lines += info["probes"]
            with tempfile.TemporaryDirectory() as tmp:
                tok_texts[name] = tokenizer_json(pipe, Path(tmp))
            spec = {
                "onnx": info["onnx"],
                "input": "pair" if info["pair"] else "single",
                "task": info["task"],
                "num_outputs": info["num_labels"],
                "output": "logits",
                "max_length": 512,
            }
            if args.int8:
                spec["onnx_int8"] = quantize(out / info["onnx"]).name
            encoders[name] = spec
        distinct = set(tok_texts.values())
        for name, text in tok_texts.items():
            fname = "tokenizer.json" if len(distinct) == 1 else f"tokenizer-{name}.json"
            (out / fname).write_text(text)
            tokenizer_files[name] = fname
            encoders[name]["tokenizer"] = fname
        with open(out / "encoder-probe.jsonl", "w") as f:
            for line in probe_lines:
                f.write(json.dumps(line, ensure_ascii=False) + "\n")

    # ---- manifest
    features = []
    for i, name in enumerate(names):
        spec: dict[str, Any] = {"name": name, "kind": "categorical" if i in cat_set else "numeric"}
        if i in enc:
            spec["encoding"] = enc[i]
        features.append(spec)
    manifest = {
        "format": "revrisk-bundle/1",
        "model_name": args.model_name,
        "model_version": str(model_version) if model_version is not None else "unknown",
        "threshold": 0.5,
        "supported_wikis": supported_langs,
        "encoders": encoders,
        "classifier": {"format": "catboost-json", "file": json_path.name, "check_file": check_path.name},
        "features": features,
        "missing_categorical": missing,
    }
    if args.skip_encoders:
        manifest["encoders"] = "SKIPPED (--skip-encoders): not a complete bundle"
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    report["outputs"] = {p.name: sha256(p) for p in sorted(out.iterdir()) if p.is_file() and p.name != "conversion-report.json"}
    (out / "conversion-report.json").write_text(json.dumps(report, indent=2, default=str, ensure_ascii=False) + "\n")

    if report["failures"]:
        print("FAILED:\n  " + "\n  ".join(report["failures"]), file=sys.stderr)
        return 1
    print(f"bundle written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
