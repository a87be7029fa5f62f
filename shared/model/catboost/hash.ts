/**
 * Hashes CatBoost uses for categorical features, written from the algorithm descriptions in
 * catboost/catboost (no code copied):
 *
 * - `catFeatureHash(s)`: CatBoost's `CalcCatFeatureHash` (catboost/libs/cat_feature/cat_feature.cpp):
 *   the low 32 bits of `CityHash64` over the UTF-8 bytes of the string. CatBoost's CityHash is the
 *   "CityHash Version 1" (1.0.x) variant vendored in `util/digest/city.cpp`; CityHash 1.1 gives
 *   different values and must not be substituted.
 * - `ctrHashStep(a, b)`: the 64-bit combination step CatBoost uses to build a CTR projection key
 *   (`CalcHash` in catboost/libs/model/hash.h; also in the exported Python applier `ctr_calcer.py`):
 *   `M * (a + M * b) mod 2^64` with `M = 0x4906ba494954cb65`.
 *
 * Runtime-agnostic (no Node APIs): 64-bit arithmetic uses BigInt.
 */

const MASK64 = (1n << 64n) - 1n;
const K0 = 0xc3a5c85c97cb3127n;
const K1 = 0xb492b66fbe98f273n;
const K2 = 0x9ae16a3b2f90404fn;
const K3 = 0xc949d7c7509e6557n;
const KMUL = 0x9ddfea08eb382d69n;
const CTR_MAGIC = 0x4906ba494954cb65n;

const mul = (a: bigint, b: bigint): bigint => (a * b) & MASK64;
const add = (a: bigint, b: bigint): bigint => (a + b) & MASK64;
const sub = (a: bigint, b: bigint): bigint => (a - b) & MASK64;

function rotr(v: bigint, shift: number): bigint {
  if (shift === 0) return v;
  const s = BigInt(shift);
  return ((v >> s) | (v << (64n - s))) & MASK64;
}

const shiftMix = (v: bigint): bigint => v ^ (v >> 47n);

function load64(b: Uint8Array, i: number): bigint {
  const lo = (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
  const hi = (b[i + 4]! | (b[i + 5]! << 8) | (b[i + 6]! << 16) | (b[i + 7]! << 24)) >>> 0;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

function load32(b: Uint8Array, i: number): bigint {
  return BigInt((b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0);
}

/** Murmur-inspired 128 → 64 bit mix (low word u, high word v). */
function hashLen16(u: bigint, v: bigint): bigint {
  let a = mul(u ^ v, KMUL);
  a ^= a >> 47n;
  let b = mul(v ^ a, KMUL);
  b ^= b >> 47n;
  return mul(b, KMUL);
}

function hashLen0to16(s: Uint8Array, len: number): bigint {
  if (len > 8) {
    const a = load64(s, 0);
    const b = load64(s, len - 8);
    return hashLen16(a, rotr(add(b, BigInt(len)), len)) ^ b;
  }
  if (len >= 4) {
    const a = load32(s, 0);
    return hashLen16(add(BigInt(len), a << 3n), load32(s, len - 4));
  }
  if (len > 0) {
    const a = s[0]!;
    const b = s[len >> 1]!;
    const c = s[len - 1]!;
    const y = BigInt((a + (b << 8)) >>> 0);
    const z = BigInt((len + (c << 2)) >>> 0);
    return mul(shiftMix(mul(y, K2) ^ mul(z, K3)), K2);
  }
  return K2;
}

function hashLen17to32(s: Uint8Array, len: number): bigint {
  const a = mul(load64(s, 0), K1);
  const b = load64(s, 8);
  const c = mul(load64(s, len - 8), K2);
  const d = mul(load64(s, len - 16), K0);
  return hashLen16(
    add(add(rotr(sub(a, b), 43), rotr(c, 30)), d),
    add(sub(add(a, rotr(b ^ K3, 20)), c), BigInt(len)),
  );
}

function hashLen33to64(s: Uint8Array, len: number): bigint {
  let z = load64(s, 24);
  let a = add(load64(s, 0), mul(add(BigInt(len), load64(s, len - 16)), K0));
  let b = rotr(add(a, z), 52);
  let c = rotr(a, 37);
  a = add(a, load64(s, 8));
  c = add(c, rotr(a, 7));
  a = add(a, load64(s, 16));
  const vf = add(a, z);
  const vs = add(add(b, rotr(a, 31)), c);
  a = add(load64(s, 16), load64(s, len - 32));
  z = load64(s, len - 8);
  b = rotr(add(a, z), 52);
  c = rotr(a, 37);
  a = add(a, load64(s, len - 24));
  c = add(c, rotr(a, 7));
  a = add(a, load64(s, len - 16));
  const wf = add(a, z);
  const ws = add(add(b, rotr(a, 31)), c);
  const r = shiftMix(add(mul(add(vf, ws), K2), mul(add(wf, vs), K0)));
  return mul(shiftMix(add(mul(r, K0), vs)), K2);
}

/** 32 bytes at s[i..] plus seeds a, b → a pair of 64-bit values. */
function weakHash32(s: Uint8Array, i: number, a: bigint, b: bigint): [bigint, bigint] {
  const w = load64(s, i);
  const x = load64(s, i + 8);
  const y = load64(s, i + 16);
  const z = load64(s, i + 24);
  a = add(a, w);
  b = rotr(add(add(b, a), z), 21);
  const c = a;
  a = add(add(a, x), y);
  b = add(b, rotr(a, 44));
  return [add(a, z), add(b, c)];
}

/** CityHash64 (version 1.0.x, as vendored by CatBoost) of a byte string. */
export function cityHash64(s: Uint8Array): bigint {
  let len = s.length;
  if (len <= 32) return len <= 16 ? hashLen0to16(s, len) : hashLen17to32(s, len);
  if (len <= 64) return hashLen33to64(s, len);

  let x = load64(s, 0);
  let y = load64(s, len - 16) ^ K1;
  let z = load64(s, len - 56) ^ K0;
  let v = weakHash32(s, len - 64, BigInt(len), y);
  let w = weakHash32(s, len - 32, mul(BigInt(len), K1), K0);
  z = add(z, mul(shiftMix(v[1]), K1));
  x = mul(rotr(add(z, x), 39), K1);
  y = mul(rotr(y, 33), K1);

  len = (len - 1) & ~63;
  let p = 0;
  do {
    x = mul(rotr(add(add(add(x, y), v[0]), load64(s, p + 16)), 37), K1);
    y = mul(rotr(add(add(y, v[1]), load64(s, p + 48)), 42), K1);
    x ^= w[1];
    y ^= v[0];
    z = rotr(z ^ w[0], 33);
    v = weakHash32(s, p, mul(v[1], K1), add(x, w[0]));
    w = weakHash32(s, p + 32, add(z, w[1]), y);
    const t = z;
    z = x;
    x = t;
    p += 64;
    len -= 64;
  } while (len !== 0);
  return hashLen16(add(add(hashLen16(v[0], w[0]), mul(shiftMix(y), K1)), z), add(hashLen16(v[1], w[1]), x));
}

const encoder = new TextEncoder();

/** CityHash64 of the UTF-8 encoding of `s`. */
export function cityHash64String(s: string): bigint {
  return cityHash64(encoder.encode(s));
}

/**
 * CatBoost's hash of a categorical value (`CalcCatFeatureHash`): low 32 bits of CityHash64 of the
 * UTF-8 string, as an unsigned 32-bit integer. CatBoost's JSON/Python exports print it as a signed
 * int32 (`catFeatureHashInt32`).
 */
export function catFeatureHash(s: string): number {
  return Number(cityHash64String(s) & 0xffffffffn);
}

/** The same hash reinterpreted as a signed 32-bit integer (how one-hot `values` are written). */
export function catFeatureHashInt32(s: string): number {
  return catFeatureHash(s) | 0;
}

/** One step of CatBoost's CTR projection key: `M * (a + M * b) mod 2^64`. */
export function ctrHashStep(a: bigint, b: bigint): bigint {
  return (CTR_MAGIC * ((a + CTR_MAGIC * b) & MASK64)) & MASK64;
}

/**
 * The 64-bit value a categorical hash contributes to a CTR key: CatBoost casts the unsigned 32-bit
 * hash to `int` and then to `ui64` (`(ui64)(int)hash`), i.e. sign-extends it.
 */
export function catHashAsCtrInput(hash: number): bigint {
  return BigInt.asUintN(64, BigInt(hash | 0));
}
