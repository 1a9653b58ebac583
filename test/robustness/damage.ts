// Format-blind ways to damage a file, driven by a seeded PRNG so every variant can be rebuilt from its description.

/** mulberry32: a small, fast, seedable 32-bit PRNG (deterministic across machines and Node versions). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** Uniform in [0, 2^32). */
  u32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform integer in [lo, hi). */
  int(lo: number, hi: number): number {
    return lo + Math.floor((this.u32() / 2 ** 32) * (hi - lo));
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(0, xs.length)]!;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
}

export function truncate(b: Uint8Array, length: number): Uint8Array {
  return b.slice(0, length);
}

/** Flips bit `bit` (0 = least significant) of each byte position listed. */
export function flipBits(b: Uint8Array, flips: readonly (readonly [pos: number, bit: number])[]): Uint8Array {
  const out = b.slice();
  for (const [pos, bit] of flips) out[pos]! ^= 1 << bit;
  return out;
}

/** Overwrites `length` bytes from `start` with `value` (clipped to the file). */
export function fillRange(b: Uint8Array, start: number, length: number, value: number): Uint8Array {
  const out = b.slice();
  out.fill(value, start, Math.min(b.length, start + length));
  return out;
}

/** Replaces bytes [start, end) with `insert` (the file may grow or shrink). */
export function splice(b: Uint8Array, start: number, end: number, insert: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length - (end - start) + insert.length);
  out.set(b.subarray(0, start), 0);
  out.set(insert, start);
  out.set(b.subarray(end), start + insert.length);
  return out;
}

export function writeU32(b: Uint8Array, pos: number, value: number): Uint8Array {
  const out = b.slice();
  new DataView(out.buffer).setUint32(pos, value >>> 0, true);
  return out;
}

export function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
