/**
 * `npm run bench -- encoders [options]`: sequences/s of one BERT-base-shaped encoder (12 layers, hidden
 * 768, vocabulary 119,547; compute-equivalent to one mBERT encoder) on CPU — onnxruntime-node vs
 * onnxruntime-web (WASM), fp32 vs int8, over a batch × sequence-length grid, side by side.
 *
 * Method: one session per runtime × precision (load time reported); for each cell one warm-up run,
 * then up to --iters timed runs (stopping early once --budget seconds are spent, at least one);
 * the figure is batch / median run time. Cells whose estimated single run exceeds --max-run seconds
 * (extrapolated from cells already measured) are skipped and marked, so the full grid stays bounded on
 * small machines. The model is generated into models/generated/bert-base/ when missing.
 */
import { existsSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { generateBertBase } from "../models/generate-fixture.ts";
import { Rng } from "../models/rng.ts";
import {
  createEncoderSession,
  type Backend,
  type EncoderInput,
  type Precision,
} from "../shared/model/encoders.ts";
import { loadOnnxNode } from "../functions/node/onnxruntime-node.ts";

export const description =
  "BERT-base-shaped encoder on CPU: onnxruntime-node vs WASM, fp32 vs int8, batch × seq";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const VOCAB = 119_547;

interface Cell {
  runtime: Backend;
  precision: Precision;
  batch: number;
  seq: number;
  status: "ok" | "skipped";
  medianMs?: number;
  seqPerSec?: number;
  iters?: number;
  estimateMs?: number;
}

function list(v: string, what: string): number[] {
  const xs = v.split(",").map((s) => Number(s.trim()));
  if (xs.some((x) => !Number.isInteger(x) || x <= 0)) throw new Error(`bad ${what}: ${v}`);
  return xs;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function makeBatch(rng: Rng, batch: number, seq: number): EncoderInput {
  const n = batch * seq;
  const inputIds = new BigInt64Array(n);
  for (let r = 0; r < batch; r++) {
    for (let i = 0; i < seq; i++) {
      inputIds[r * seq + i] = i === 0 ? 101n : i === seq - 1 ? 102n : BigInt(1000 + rng.int(VOCAB - 1000));
    }
  }
  return {
    rows: batch,
    seqLen: seq,
    inputIds,
    attentionMask: new BigInt64Array(n).fill(1n),
    tokenTypeIds: new BigInt64Array(n),
  };
}

/** Estimated single-run time (ms) from cells already measured for this runtime/precision. */
function estimate(done: Cell[], batch: number, seq: number): number | undefined {
  const ok = done.filter((c) => c.status === "ok" && c.medianMs !== undefined);
  const sameSeq = ok.filter((c) => c.seq === seq);
  if (sameSeq.length) {
    const c = sameSeq[sameSeq.length - 1] as Cell;
    return ((c.medianMs as number) / c.batch) * batch;
  }
  const shorter = ok.filter((c) => c.seq < seq).sort((a, b) => a.seq - b.seq || a.batch - b.batch);
  const c = shorter[shorter.length - 1];
  if (!c) return undefined;
  // per-sequence cost grows a bit faster than linearly with length (attention is quadratic)
  return ((c.medianMs as number) / c.batch) * batch * (seq / c.seq) * 1.3;
}

function fmt(x: number | undefined, digits = 1): string {
  if (x === undefined) return "–";
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(digits + 1);
}

function printTable(
  cells: Cell[],
  combos: { runtime: Backend; precision: Precision }[],
  batches: number[],
  seqs: number[],
): void {
  const head = [
    "batch",
    "seq",
    ...combos.map((c) => `${c.runtime === "node" ? "node CPU" : "web WASM"} ${c.precision}`),
  ];
  const rows: string[][] = [];
  for (const seq of seqs) {
    for (const batch of batches) {
      const row = [String(batch), String(seq)];
      for (const c of combos) {
        const cell = cells.find(
          (x) => x.runtime === c.runtime && x.precision === c.precision && x.batch === batch && x.seq === seq,
        );
        if (!cell) row.push("");
        else if (cell.status === "skipped") row.push(`skip (~${fmt((cell.estimateMs ?? 0) / 1000)} s/run)`);
        else row.push(`${fmt(cell.seqPerSec)} (${fmt(cell.medianMs)} ms, n=${cell.iters})`);
      }
      rows.push(row);
    }
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]): string =>
    "| " + r.map((v, i) => v.padEnd(widths[i] as number)).join(" | ") + " |";
  console.log("\nsequences/s (median run time, timed runs) — BERT-base-shaped encoder");
  console.log(line(head));
  console.log("|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|");
  for (const r of rows) console.log(line(r));
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      "model-dir": { type: "string", default: join(REPO, "models/generated/bert-base") },
      runtimes: { type: "string", default: "node,web" },
      precisions: { type: "string", default: "fp32,int8" },
      batches: { type: "string", default: "1,8,32" },
      seqs: { type: "string", default: "32,128,512" },
      iters: { type: "string", default: "5" },
      budget: { type: "string", default: "20" },
      "max-run": { type: "string", default: "20" },
      threads: { type: "string" },
      json: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(
      [
        "npm run bench -- encoders [--runtimes node,web] [--precisions fp32,int8] [--batches 1,8,32] [--seqs 32,128,512]",
        "    [--iters 5] [--budget 20] [--max-run 20] [--threads N] [--model-dir DIR] [--json FILE]",
        "  --iters    max timed runs per cell (after one warm-up run)",
        "  --budget   seconds of timed runs per cell before stopping early (at least one run)",
        "  --max-run  skip cells whose estimated single run exceeds this many seconds",
      ].join("\n"),
    );
    return;
  }
  const runtimes = values.runtimes.split(",").map((s) => s.trim()) as Backend[];
  const precisions = values.precisions.split(",").map((s) => s.trim()) as Precision[];
  for (const r of runtimes) if (r !== "node" && r !== "web") throw new Error(`bad runtime ${r}`);
  for (const p of precisions) if (p !== "fp32" && p !== "int8") throw new Error(`bad precision ${p}`);
  const batches = list(values.batches, "batches").sort((a, b) => a - b);
  const seqs = list(values.seqs, "seqs").sort((a, b) => a - b);
  if (seqs.some((s) => s > 512)) throw new Error("sequence length is at most 512");
  const iters = list(values.iters, "iters")[0] as number;
  const budgetMs = Number(values.budget) * 1000;
  const maxRunMs = Number(values["max-run"]) * 1000;
  const threads = values.threads ? (list(values.threads, "threads")[0] as number) : availableParallelism();

  const dir = resolve(values["model-dir"]);
  const files: Record<Precision, string> = {
    fp32: join(dir, "encoder.onnx"),
    int8: join(dir, "encoder.int8.onnx"),
  };
  if (precisions.some((p) => !existsSync(files[p]))) generateBertBase({ out: dir, seed: 1, int8: true });

  console.log(
    `encoder bench: ${runtimes.join(",")} × ${precisions.join(",")}, batches ${batches.join(",")}, seqs ${seqs.join(",")}; ` +
      `threads ${threads}; warm-up 1 + ≤${iters} timed runs (≤${values.budget} s), skip runs est. > ${values["max-run"]} s; ` +
      `${availableParallelism()} CPUs, Node ${process.version}, load average ${loadavg()[0]?.toFixed(2)}`,
  );
  const combos = runtimes.flatMap((runtime) => precisions.map((precision) => ({ runtime, precision })));
  const cells: Cell[] = [];
  const quiet = { info: () => {}, warn: (_o: object, m: string) => console.error(`  warning: ${m}`) };
  for (const { runtime, precision } of combos) {
    const t0 = performance.now();
    const session = await createEncoderSession(files[precision], {
      backend: runtime,
      providers: ["cpu"],
      threads,
      numOutputs: 2,
      name: `bert-base ${precision}`,
      logger: quiet,
      nodeRuntime: loadOnnxNode,
    });
    const loadS = (performance.now() - t0) / 1000;
    console.log(
      `\n${runtime} ${precision}: session created in ${loadS.toFixed(1)} s (provider ${session.provider}), ` +
        `RSS ${(process.memoryUsage().rss / 2 ** 30).toFixed(2)} GiB, load average ${loadavg()[0]?.toFixed(2)}`,
    );
    const rng = new Rng(42);
    const mine: Cell[] = [];
    for (const seq of seqs) {
      for (const batch of batches) {
        const est = estimate(mine, batch, seq);
        if (est !== undefined && est > maxRunMs) {
          const c: Cell = { runtime, precision, batch, seq, status: "skipped", estimateMs: est };
          mine.push(c);
          cells.push(c);
          console.log(`  b${batch} s${seq}: skipped (estimated ${(est / 1000).toFixed(1)} s per run)`);
          continue;
        }
        const input = makeBatch(rng, batch, seq);
        await session.run(input); // warm-up (also plans this shape)
        const times: number[] = [];
        const start = performance.now();
        while (times.length < iters && (times.length === 0 || performance.now() - start < budgetMs)) {
          const t = performance.now();
          await session.run(input);
          times.push(performance.now() - t);
        }
        const med = median(times);
        const c: Cell = {
          runtime,
          precision,
          batch,
          seq,
          status: "ok",
          medianMs: med,
          seqPerSec: (batch * 1000) / med,
          iters: times.length,
        };
        mine.push(c);
        cells.push(c);
        console.log(
          `  b${batch} s${seq}: ${fmt(c.seqPerSec)} seq/s (median ${fmt(med)} ms over ${times.length})`,
        );
      }
    }
    await session.release();
  }
  printTable(cells, combos, batches, seqs);
  console.log(
    `load average at the end: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}`,
  );
  if (values.json) {
    writeFileSync(
      values.json,
      JSON.stringify({ threads, cpus: availableParallelism(), node: process.version, cells }, null, 2) + "\n",
    );
  }
}
