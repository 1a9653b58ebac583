import { describe, expect, it } from 'vitest';
import {
  divRound,
  INT32_MAX,
  INT32_MIN,
  mulByQuantizedMultiplierTflite,
  quantizeMultiplier,
  multiplierValue,
  requant,
  requantReference,
  roundingDivideByPOT,
  srdhm,
  srdhmReference,
} from '../src/index.js';

// qmath against BigInt definitions written here, independently of the implementation: exhaustive where the
// domain is small, millions of seeded random cases elsewhere. Integer results compare exactly.

/** mulberry32: a small seeded generator so failures reproduce. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const int32 = (r: () => number) => Math.floor(r() * 2 ** 32) - 2 ** 31;

/** round-half-away-from-zero division by 2^e, the gemmlowp definition, in BigInt */
function rdivpotBig(x: number, e: number): number {
  const d = 1n << BigInt(e);
  const X = BigInt(x);
  const q = X / d; // truncates
  const r = X - q * d; // sign of X
  const twice = (r < 0n ? -r : r) * 2n;
  if (twice > d || (twice === d)) return Number(X < 0n ? q - 1n : q + 1n);
  return Number(q);
}

function divRoundBig(a: number, b: number): number {
  const A = BigInt(a);
  const B = BigInt(b);
  const q = A / B;
  const r = A - q * B;
  const twice = (r < 0n ? -r : r) * 2n;
  if (twice >= B) return Number(A < 0n ? q - 1n : q + 1n);
  return Number(q);
}

describe('roundingDivideByPOT (qt_rdivpot)', () => {
  it('matches the BigInt definition exhaustively over int16 x exponents 0..16', () => {
    let bad = 0;
    for (let e = 0; e <= 16; e++) for (let x = -32768; x <= 32767; x++) if (roundingDivideByPOT(x, e) !== rdivpotBig(x, e)) bad++;
    expect(bad).toBe(0);
  });

  it('matches over 1M random int32 values and exponents 0..31', () => {
    const r = rng(1);
    let bad = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const x = int32(r);
      const e = Math.floor(r() * 32);
      if (roundingDivideByPOT(x, e) !== rdivpotBig(x, e)) bad++;
    }
    expect(bad).toBe(0);
  });

  it('rounds ties away from zero', () => {
    expect([5, -5, 3, -3, 7, -7].map((x) => roundingDivideByPOT(x, 1))).toEqual([3, -3, 2, -2, 4, -4]);
    expect(roundingDivideByPOT(INT32_MIN, 31)).toBe(-1);
    expect(roundingDivideByPOT(INT32_MAX, 31)).toBe(1);
  });
});

describe('divRound (qt_div_round)', () => {
  it('matches the BigInt definition exhaustively for |a| <= 4096, b in 1..64', () => {
    let bad = 0;
    for (let b = 1; b <= 64; b++) for (let a = -4096; a <= 4096; a++) if (divRound(a, b) !== divRoundBig(a, b)) bad++;
    expect(bad).toBe(0);
  });
});

describe('srdhm (qt_srdhm)', () => {
  it('matches the BigInt definition over 2M random pairs and the edges', () => {
    const r = rng(2);
    let bad = 0;
    const edges = [INT32_MIN, INT32_MIN + 1, -65536, -65535, -1, 0, 1, 65535, 65536, 2 ** 30, INT32_MAX];
    for (const a of edges) for (const b of edges) if (srdhm(a, b) !== srdhmReference(a, b)) bad++;
    for (let i = 0; i < 2_000_000; i++) {
      const a = int32(r);
      const b = i % 3 === 0 ? int32(r) : Math.floor(r() * 2 ** 31);
      if (srdhm(a, b) !== srdhmReference(a, b)) bad++;
    }
    expect(bad).toBe(0);
    expect(srdhm(INT32_MIN, INT32_MIN)).toBe(INT32_MAX);
  });
});

describe('requant (qt_requant)', () => {
  it('matches the BigInt definition over 2M random cases across all shifts', () => {
    const r = rng(3);
    let bad = 0;
    for (let i = 0; i < 2_000_000; i++) {
      const x = int32(r);
      const m = 2 ** 30 + Math.floor(r() * 2 ** 30);
      const shift = 30 - Math.floor(r() * 62); // r = 31 - shift in 1..62
      if (requant(x, m, shift) !== requantReference(x, m, shift)) bad++;
    }
    expect(bad).toBe(0);
  });

  it('rounds ties toward +infinity once', () => {
    // m = 2^30, shift 0: x * 0.5
    expect([1, -1, 3, -3, 2].map((x) => requant(x, 2 ** 30, 0))).toEqual([1, 0, 2, -1, 1]);
  });

  it('agrees with an exact rational computation on a hand case', () => {
    // 1000 * 1518500250 / 2^38 = 5.5242... -> 6 (r = 38 is shift -7)
    expect(requant(1000, 1518500250, -7)).toBe(6);
  });
});

describe('mulByQuantizedMultiplierTflite (qt_mul_tfl)', () => {
  it('equals srdhm then rounding shift, matching a BigInt composition over 1M cases', () => {
    const r = rng(4);
    let bad = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const x = Math.floor(r() * 2 ** 24) - 2 ** 23;
      const m = 2 ** 30 + Math.floor(r() * 2 ** 30);
      const shift = -Math.floor(r() * 20);
      const expected = rdivpotBig(srdhmReference(x, m), -shift);
      if (mulByQuantizedMultiplierTflite(x, m, shift) !== expected) bad++;
    }
    expect(bad).toBe(0);
  });
});

describe('quantizeMultiplier', () => {
  it('normalises into [2^30, 2^31) and stays within half an ulp of Q31', () => {
    const r = rng(5);
    for (let i = 0; i < 10_000; i++) {
      const real = Math.exp((r() - 0.7) * 30);
      const f = quantizeMultiplier(real);
      expect(f.multiplier).toBeGreaterThanOrEqual(2 ** 30);
      expect(f.multiplier).toBeLessThan(2 ** 31);
      expect(Math.abs(multiplierValue(f) - real)).toBeLessThanOrEqual(2 ** (f.shift - 32) * 1.0000001);
    }
  });

  it('handles exact powers of two and the round-up to 2^31', () => {
    expect(quantizeMultiplier(0.5)).toEqual({ multiplier: 2 ** 30, shift: 0 });
    expect(quantizeMultiplier(1)).toEqual({ multiplier: 2 ** 30, shift: 1 });
    expect(quantizeMultiplier(1 - 2 ** -40)).toEqual({ multiplier: 2 ** 30, shift: 1 });
    expect(quantizeMultiplier(0)).toEqual({ multiplier: 0, shift: 0 });
  });
});
