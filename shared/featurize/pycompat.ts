/**
 * Python 3.11 string semantics that the edit-type port depends on (Python 3.11 semantics, docs/featurizer.md). Everything here
 * works on code points where Python does, and is runtime-agnostic (no Node APIs).
 */

/** Python `\s` / `str.isspace()`: the 29 white-space code points of Python 3.11 (as mwedittypes' `parse_change_text` counts them). */
export const PY_SPACE_CLASS =
  "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

/** Python `\w` on str patterns (verified equal to letters, numbers and `_`, Python 3.11 semantics, docs/featurizer.md). */
export const PY_WORD_CLASS = "[\\p{L}\\p{N}_]";
/** Python `\b` on str patterns (JS `\b` is ASCII-only); use with the `u` flag. */
export const PY_WORD_BOUNDARY = `(?:(?<=${PY_WORD_CLASS})(?!${PY_WORD_CLASS})|(?<!${PY_WORD_CLASS})(?=${PY_WORD_CLASS}))`;

const SPACE_RE = new RegExp(`^[${PY_SPACE_CLASS}]$`, "u");
const SPACE_SET = new Set<number>();
for (let cp = 0; cp < 0x3001; cp++) {
  if (SPACE_RE.test(String.fromCodePoint(cp))) SPACE_SET.add(cp);
}

/** Python `str.isspace()`: non-empty and every code point is white space. */
export function isspace(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    if (!SPACE_SET.has(s.charCodeAt(i))) return false;
  }
  return true;
}

/** Python `str.strip()` with no argument. */
export function strip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && SPACE_SET.has(s.charCodeAt(start))) start++;
  while (end > start && SPACE_SET.has(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

const LINE_BREAKS = new Set([0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029]);

/** Python `str.splitlines()` (no keepends). */
export function splitlines(s: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (LINE_BREAKS.has(c)) {
      out.push(s.slice(start, i));
      if (c === 0x0d && i + 1 < n && s.charCodeAt(i + 1) === 0x0a) i++;
      i++;
      start = i;
    } else {
      i++;
    }
  }
  if (start < n) out.push(s.slice(start));
  return out;
}

/** Python `len(s)`: number of code points. */
export function cpLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** Code points of a string (surrogate pairs combined, lone surrogates kept). */
export function codePoints(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) out.push(ch.codePointAt(0)!);
  return out;
}

/** Python `s[start:end]` on code points (non-negative indices, end clamped). */
export function cpSlice(s: string, start: number, end?: number): string {
  if (!/[\ud800-\udfff]/.test(s)) return s.slice(start, end);
  return Array.from(s).slice(start, end).join("");
}

/** Python `str.lower()` (full Unicode lower-casing incl. final sigma; JS uses the same mappings). */
export function lower(s: string): string {
  return s.toLowerCase();
}

const TITLECASE_DIGRAPHS: Record<string, string> = {
  "\u01c4": "\u01c5",
  "\u01c5": "\u01c5",
  "\u01c6": "\u01c5",
  "\u01c7": "\u01c8",
  "\u01c8": "\u01c8",
  "\u01c9": "\u01c8",
  "\u01ca": "\u01cb",
  "\u01cb": "\u01cb",
  "\u01cc": "\u01cb",
  "\u01f1": "\u01f2",
  "\u01f2": "\u01f2",
  "\u01f3": "\u01f2",
};

/** Python 3.8+ `str.capitalize()`: first code point to title case, the rest lower-cased. */
export function capitalize(s: string): string {
  if (s.length === 0) return s;
  const first = String.fromCodePoint(s.codePointAt(0)!);
  const rest = s.slice(first.length);
  let head = TITLECASE_DIGRAPHS[first];
  if (head === undefined) {
    const up = first.toUpperCase();
    const ups = Array.from(up);
    head = ups.length > 1 ? ups[0]! + ups.slice(1).join("").toLowerCase() : up;
  }
  return head + rest.toLowerCase();
}

/** Python `round(x)` for floats: round half to even. */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const f = Math.floor(x);
  const diff = x - f;
  if (diff < 0.5) return f;
  if (diff > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** Length of the longest common subsequence of two code-point arrays (bit-parallel, Hyyrö 2004). */
export function lcsLength(a: readonly number[], b: readonly number[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  // Pattern = the shorter sequence, bit vectors over its positions.
  const [p, t] = a.length <= b.length ? [a, b] : [b, a];
  const m = p.length;
  const words = (m + 31) >>> 5;
  const peq = new Map<number, Uint32Array>();
  for (let i = 0; i < m; i++) {
    let v = peq.get(p[i]!);
    if (!v) {
      v = new Uint32Array(words);
      peq.set(p[i]!, v);
    }
    v[i >>> 5]! |= 1 << (i & 31);
  }
  const S = new Uint32Array(words).fill(0xffffffff);
  const zero = new Uint32Array(words);
  for (const c of t) {
    const M = peq.get(c) ?? zero;
    let carry = 0;
    for (let w = 0; w < words; w++) {
      const s = S[w]!;
      const u = (s & M[w]!) >>> 0;
      // S = (S + u) | (S - u)
      const sum = s + u + carry;
      carry = sum > 0xffffffff ? 1 : 0;
      S[w] = ((sum >>> 0) | (s - u)) >>> 0;
    }
  }
  let zeros = 0;
  for (let w = 0; w < words; w++) {
    let s = S[w]!;
    const bits = w === words - 1 && m & 31 ? m & 31 : 32;
    for (let k = 0; k < bits; k++) {
      if ((s & 1) === 0) zeros++;
      s >>>= 1;
    }
  }
  return zeros;
}

/**
 * fuzzywuzzy 0.18 `fuzz.ratio` backed by python-Levenshtein (rapidfuzz Indel): 100 for equal strings,
 * 0 when either is empty, else `round_half_even(100 * (1 - indel / L))` with L the total length in
 * code points (encoder texts, docs/featurizer.md).
 */
export function ratio(a: string, b: string): number {
  if (a === b) return 100;
  if (a.length === 0 || b.length === 0) return 0;
  return ratioFromLcs(cpLength(a) + cpLength(b), lcsLength(codePoints(a), codePoints(b)));
}

/** The ratio for total length `total` (code points, > 0) and LCS length `lcs`, as rapidfuzz computes it. */
export function ratioFromLcs(total: number, lcs: number): number {
  const dist = total - 2 * lcs;
  return roundHalfEven(100 * (1.0 - dist / total));
}

// ---------------------------------------------------------------------------------------------
// CPython 3.11 `set` iteration order with PYTHONHASHSEED=0 (string hash = SipHash-1-3 with a zero
// key over the PEP 393 representation; open addressing as in Objects/setobject.c). Used to pair
// sentences in the same order as the reference fixtures (generated with PYTHONHASHSEED=0).

const M64 = (1n << 64n) - 1n;
const rotl = (x: bigint, b: bigint): bigint => ((x << b) | (x >> (64n - b))) & M64;

function sipRound(v: bigint[]): void {
  v[0] = (v[0]! + v[1]!) & M64;
  v[1] = rotl(v[1]!, 13n) ^ v[0]!;
  v[0] = rotl(v[0]!, 32n);
  v[2] = (v[2]! + v[3]!) & M64;
  v[3] = rotl(v[3]!, 16n) ^ v[2]!;
  v[0] = (v[0]! + v[3]!) & M64;
  v[3] = rotl(v[3]!, 21n) ^ v[0]!;
  v[2] = (v[2]! + v[1]!) & M64;
  v[1] = rotl(v[1]!, 17n) ^ v[2]!;
  v[2] = rotl(v[2]!, 32n);
}

/** SipHash-1-3 with k0 = k1 = 0 (unsigned 64-bit result). */
function siphash13Zero(bytes: Uint8Array): bigint {
  const v = [0x736f6d6570736575n, 0x646f72616e646f6dn, 0x6c7967656e657261n, 0x7465646279746573n];
  const n = bytes.length;
  const full = n - (n % 8);
  for (let off = 0; off < full; off += 8) {
    let m = 0n;
    for (let k = 7; k >= 0; k--) m = (m << 8n) | BigInt(bytes[off + k]!);
    v[3] ^= m;
    sipRound(v);
    v[0] ^= m;
  }
  let t = BigInt(n & 0xff) << 56n;
  for (let k = n - full - 1; k >= 0; k--) t |= BigInt(bytes[full + k]!) << BigInt(8 * k);
  v[3] ^= t;
  sipRound(v);
  v[0] ^= t;
  v[2] ^= 0xffn;
  sipRound(v);
  sipRound(v);
  sipRound(v);
  return (v[0] ^ v[1] ^ v[2] ^ v[3]) & M64;
}

/** CPython 3.11 `hash(s)` for a str with PYTHONHASHSEED=0, as an unsigned 64-bit value. */
export function pyStrHashSeed0(s: string): bigint {
  const cps = codePoints(s);
  if (cps.length === 0) return 0n;
  let max = 0;
  for (const c of cps) if (c > max) max = c;
  const kind = max < 0x100 ? 1 : max < 0x10000 ? 2 : 4;
  const bytes = new Uint8Array(cps.length * kind);
  cps.forEach((c, i) => {
    for (let k = 0; k < kind; k++) bytes[i * kind + k] = (c >>> (8 * k)) & 0xff;
  });
  const h = siphash13Zero(bytes);
  // -1 is reserved for errors: CPython returns -2 instead.
  return h === M64 ? M64 - 1n : h;
}

const LINEAR_PROBES = 9;

/**
 * Iteration order of a CPython 3.11 set built by adding `items` in order (duplicates ignored),
 * with PYTHONHASHSEED=0.
 */
export function pythonSetOrder(items: Iterable<string>): string[] {
  let mask = 7;
  let table: Array<{ key: string; hash: bigint } | null> = new Array<null>(8).fill(null);
  let used = 0;
  const insertClean = (t: typeof table, m: number, key: string, hash: bigint): void => {
    let perturb = hash;
    let i = Number(hash & BigInt(m));
    while (true) {
      if (t[i] === null) {
        t[i] = { key, hash };
        return;
      }
      if (i + LINEAR_PROBES <= m) {
        for (let j = 1; j <= LINEAR_PROBES; j++) {
          if (t[i + j] === null) {
            t[i + j] = { key, hash };
            return;
          }
        }
      }
      perturb >>= 5n;
      i = Number((BigInt(i) * 5n + 1n + perturb) & BigInt(m));
    }
  };
  for (const key of items) {
    const hash = pyStrHashSeed0(key);
    let perturb = hash;
    let i = Number(hash & BigInt(mask));
    let slot = -1;
    search: while (true) {
      const probes = i + LINEAR_PROBES <= mask ? LINEAR_PROBES : 0;
      for (let j = 0; j <= probes; j++) {
        const e = table[i + j];
        if (e === null || e === undefined) {
          slot = i + j;
          break search;
        }
        if (e.hash === hash && e.key === key) break search;
      }
      perturb >>= 5n;
      i = Number((BigInt(i) * 5n + 1n + perturb) & BigInt(mask));
    }
    if (slot < 0) continue; // already present
    table[slot] = { key, hash };
    used++;
    // No deletions happen here, so fill == used.
    if (used * 5 >= mask * 3) {
      const minused = used > 50000 ? used * 2 : used * 4;
      let size = 8;
      while (size <= minused) size *= 2;
      const next: typeof table = new Array<null>(size).fill(null);
      for (const e of table) if (e) insertClean(next, size - 1, e.key, e.hash);
      table = next;
      mask = size - 1;
    }
  }
  return table.filter((e): e is { key: string; hash: bigint } => e !== null).map((e) => e.key);
}
