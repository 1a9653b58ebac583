import { makeTensor, type Node, type Tensor } from '@qtool/ir';
import { quantizeMultiplier } from '@qtool/qmath';
import { registry, type ActQuant, type QuantizeContext, type RoundingMode } from '../src/index.js';

// A small QuantizeContext for the integer tests of the non-MAC ops: fixed activation parameters per tensor name,
// float constants, no weights.

export const aq = (scale: number, zeroPoint: number): ActQuant => ({ dtype: 'int8', scale, zeroPoint });

export function fakeCtx(acts: Record<string, ActQuant>, mode: RoundingMode = 'qtool', consts: Record<string, Float32Array> = {}): QuantizeContext {
  return {
    options: { mode, bits: 8, granularity: 'tensor', anchor: 'min', rounding: 'offset' },
    act: (t) => {
      const q = acts[t];
      if (!q) throw new Error(`no act for ${t}`);
      return q;
    },
    weights: () => {
      throw new Error('no weights here');
    },
    constant: (t) => {
      const c = consts[t];
      if (!c) throw new Error(`${t} is not a constant`);
      return c;
    },
    bias: () => new Int32Array(0),
    multiplier: quantizeMultiplier,
  };
}

export function mkNode(op: string, inputs: string[], attrs: Node['attrs'] = {}): Node {
  return { name: `${op}_t`, op, inputs, outputs: ['y'], attrs };
}

/** Prepare then Eval, as the quantizer and the integer simulator do. */
export function runInt(node: Node, ctx: QuantizeContext, inputs: Tensor[]): Tensor {
  const def = registry[node.op]!;
  node.params = def.quantize!(node, ctx);
  return def.evalInt!(node, inputs)[0]!;
}

export const i8 = (shape: number[], values: ArrayLike<number>): Tensor => makeTensor('int8', shape, Int8Array.from(values));
export const nums = (t: Tensor): number[] => Array.from(t.data as Int8Array);

/** Deterministic int8 values (a linear congruential generator). */
export function randInt8(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s >>> 24) - 128;
  });
}

/** qtool's R, written independently with BigInt: floor((x·m + 2^(r-1)) / 2^r), r = 31 - s, saturated. */
export function refRequant(x: number, m: number, s: number): number {
  const r = BigInt(31 - s);
  const v = (BigInt(x) * BigInt(m) + (1n << (r - 1n))) >> r;
  return Number(v > 2147483647n ? 2147483647n : v < -2147483648n ? -2147483648n : v);
}

export const clamp8 = (v: number, lo = -128, hi = 127) => Math.min(hi, Math.max(lo, v));

/** Round half away from zero (compile-time rounding). */
export const rha = (v: number) => (v < 0 ? -Math.round(-v) : Math.round(v));
