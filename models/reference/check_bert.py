#!/usr/bin/python3
"""Independent PyTorch reference for the generated BERT encoders.

Loads each fixture encoder's weights from its ONNX initializers (onnx.numpy_helper, no onnxruntime)
into a hand-written PyTorch BertForSequenceClassification whose parameter names are Hugging Face's
state_dict keys, runs the fixed probe batches of test/data/bert-reference/probe.json and writes
test/data/bert-reference/reference.json (the logits). test/encoders-reference.test.ts compares
onnxruntime-node and onnxruntime-web against these logits.

Run with Debian's python3 (apt-get install python3-torch python3-onnx python3-numpy):

    node models/reference/make-probe.ts && /usr/bin/python3 models/reference/check_bert.py

BERT-base-shaped benchmark model (not committed): writes DIR/reference.json with a seeded 3 × 37 probe
(padding, a type-1 segment) and its torch logits; models/reference/compare-bert-base.ts then runs
onnxruntime on the same ids and prints the differences:

    /usr/bin/python3 models/reference/check_bert.py --bert-base models/generated/bert-base
    node models/reference/compare-bert-base.ts models/generated/bert-base
"""
import json
import math
import os
import sys

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUNDLE = os.path.join(REPO, "models", "fixture")
OUT_DIR = os.path.join(REPO, "test", "data", "bert-reference")


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["hidden_size"])
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, input_ids, token_type_ids):
        seq = input_ids.shape[1]
        pos = torch.arange(seq, dtype=torch.long).unsqueeze(0)
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        x = x + self.position_embeddings(pos)
        return self.LayerNorm(x)


class SelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.heads = c["num_attention_heads"]
        self.head_dim = h // self.heads
        self.query = nn.Linear(h, h)
        self.key = nn.Linear(h, h)
        self.value = nn.Linear(h, h)

    def split(self, x):
        b, s, _ = x.shape
        return x.view(b, s, self.heads, self.head_dim).permute(0, 2, 1, 3)

    def forward(self, x, additive_mask):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        probs = torch.softmax(scores + additive_mask, dim=-1)
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        return ctx.view(x.shape[0], x.shape[1], -1)


class DenseLayerNorm(nn.Module):
    def __init__(self, c, d_in):
        super().__init__()
        self.dense = nn.Linear(d_in, c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, x, residual):
        return self.LayerNorm(self.dense(x) + residual)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        setattr(self, "self", SelfAttention(c))
        self.output = DenseLayerNorm(c, c["hidden_size"])

    def forward(self, x, mask):
        return self.output(getattr(self, "self")(x, mask), x)


class Intermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])

    def forward(self, x):
        return nn.functional.gelu(self.dense(x))  # exact (erf) GELU


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = Attention(c)
        self.intermediate = Intermediate(c)
        self.output = DenseLayerNorm(c, c["intermediate_size"])

    def forward(self, x, mask):
        a = self.attention(x, mask)
        return self.output(self.intermediate(a), a)


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])

    def forward(self, x, mask):
        for layer in self.layer:
            x = layer(x, mask)
        return x


class Pooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])

    def forward(self, x):
        return torch.tanh(self.dense(x[:, 0]))


class Bert(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.encoder = Encoder(c)
        self.pooler = Pooler(c)


class BertForSequenceClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bert = Bert(c)
        self.classifier = nn.Linear(c["hidden_size"], c["num_labels"])

    def forward(self, input_ids, attention_mask, token_type_ids):
        x = self.bert.embeddings(input_ids, token_type_ids)
        mask = attention_mask[:, None, None, :].to(torch.float32)
        mask = (1.0 - mask) * torch.finfo(torch.float32).min
        x = self.bert.encoder(x, mask)
        return self.classifier(self.bert.pooler(x))


def load(name, config_path=None, onnx_path=None):
    config_path = config_path or os.path.join(BUNDLE, f"{name}.config.json")
    onnx_path = onnx_path or os.path.join(BUNDLE, f"{name}.onnx")
    with open(config_path) as f:
        config = json.load(f)
    model = BertForSequenceClassification(config).eval()
    graph = onnx.load(onnx_path).graph
    inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    state = {}
    for key, param in model.state_dict().items():
        arr = inits.pop(key)
        # Linear weights are stored [in, out] in the ONNX graph; torch nn.Linear wants [out, in].
        if key.endswith(".weight") and "embeddings" not in key and "LayerNorm" not in key:
            arr = arr.T
        assert tuple(arr.shape) == tuple(param.shape), (key, arr.shape, param.shape)
        state[key] = torch.from_numpy(np.array(arr, dtype=np.float32, copy=True))
    model.load_state_dict(state, strict=True)
    leftover = [k for k in inits if not k.startswith("const_")]
    assert not leftover, f"unused ONNX initializers: {leftover}"
    return model, config


def batch(p):
    shape = (p["rows"], p["seq_len"])
    t = lambda k: torch.tensor(p[k], dtype=torch.long).view(shape)  # noqa: E731
    return t("input_ids"), t("attention_mask"), t("token_type_ids")


def bert_base(directory):
    model, config = load("bert-base", os.path.join(directory, "config.json"), os.path.join(directory, "encoder.onnx"))
    rng = np.random.default_rng(0)
    rows, seq = 3, 37
    ids = rng.integers(1000, config["vocab_size"], size=(rows, seq))
    ids[:, 0] = 101
    mask = np.ones((rows, seq), dtype=np.int64)
    types = np.zeros((rows, seq), dtype=np.int64)
    ids[0, 20] = 102
    ids[0, 21:] = 0
    mask[0, 21:] = 0  # padding
    ids[1, 36] = 102
    types[2, 18:] = 1  # a second segment
    ids[2, 17] = 102
    ids[2, 36] = 102
    t = lambda a: torch.tensor(a, dtype=torch.long)  # noqa: E731
    with torch.no_grad():
        logits = model(t(ids), t(mask), t(types))
    out = {
        "rows": rows,
        "seq_len": seq,
        "input_ids": ids.flatten().tolist(),
        "attention_mask": mask.flatten().tolist(),
        "token_type_ids": types.flatten().tolist(),
        "logits": [float(v) for v in logits.flatten().tolist()],
        "torch": torch.__version__,
    }
    path = os.path.join(directory, "reference.json")
    with open(path, "w") as f:
        json.dump(out, f)
    print(f"bert-base logits {out['logits']}\nwrote {path}")
    return 0


def main():
    torch.manual_seed(0)
    if len(sys.argv) == 3 and sys.argv[1] == "--bert-base":
        return bert_base(sys.argv[2])
    with open(os.path.join(OUT_DIR, "probe.json")) as f:
        probe = json.load(f)
    with open(os.path.join(BUNDLE, "manifest.json")) as f:
        manifest = json.load(f)
    result = {
        "note": "Logits of an independent PyTorch BERT (models/reference/check_bert.py) on probe.json",
        "torch": torch.__version__,
        "onnx": onnx.__version__,
        "model_version": manifest["model_version"],
        "encoders": {},
    }
    for name, spec in manifest["encoders"].items():
        model, _ = load(name)
        ids, mask, types = batch(probe[spec["input"]])
        with torch.no_grad():
            logits = model(ids, mask, types)
            # Same texts one by one, unpadded: padding must not change the result.
            solo = []
            lengths = probe[spec["input"]]["lengths"]
            for r, n in enumerate(lengths):
                solo.append(model(ids[r : r + 1, :n], mask[r : r + 1, :n], types[r : r + 1, :n]))
            solo = torch.cat(solo)
        pad_diff = float((logits - solo).abs().max())
        print(f"{name}: logits {tuple(logits.shape)}, padded vs unpadded max diff {pad_diff:.3g}")
        result["encoders"][name] = {
            "input": spec["input"],
            "logits": [[float(v) for v in row] for row in logits.tolist()],
            "padded_vs_unpadded_max_diff": pad_diff,
        }
    out = os.path.join(OUT_DIR, "reference.json")
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
