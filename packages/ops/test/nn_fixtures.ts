import { expect } from 'vitest';
import { makeTensor, QtError, type Attrs, type Node, type Tensor, type TensorInfo } from '@qtool/ir';

// Shared by the conv / pool / matmul / ... tests: node and tensor builders, a seeded PRNG, float comparison.

export function node(op: string, attrs: Attrs = {}, inputs = ['x']): Node {
  return { name: `${op}_0`, op, inputs, outputs: ['y'], attrs };
}

export function t(shape: number[], data?: ArrayLike<number>): Tensor {
  return makeTensor('float32', shape, data);
}

export function info(shape: number[], dtype: TensorInfo['dtype'] = 'float32'): TensorInfo {
  return { name: 'v', dtype, shape };
}

/** 1, 2, 3, ... n as a float32 tensor of `shape`. */
export function iota(shape: number[]): Tensor {
  const n = shape.reduce((a, d) => a * d, 1);
  return t(shape, Array.from({ length: n }, (_, i) => i + 1));
}

/** Deterministic values in [-1, 1) (a 32-bit LCG) so failures reproduce. */
export function rand(shape: number[], seed = 1): Tensor {
  const n = shape.reduce((a, d) => a * d, 1);
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return t(shape, out);
}

export function expectClose(actual: Tensor, shape: number[], expected: ArrayLike<number>, tol = 1e-5): void {
  expect(actual.shape).toEqual(shape);
  expect(actual.data.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = Number(actual.data[i]);
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)))) throw new Error(`element ${i}: got ${a}, expected ${e}`);
  }
}

/** Asserts `fn` throws a QtError with `code` naming the node. */
export function expectQt(fn: () => unknown, code: string, nodeName?: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(QtError);
    expect((e as QtError).code).toBe(code);
    if (nodeName) expect((e as QtError).diagnostics[0]!.where?.node).toBe(nodeName);
    return;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

/**
 * Naive N-D pooling over [N, S1..Sr, C] straight from the definition: enumerate every kernel offset of every
 * window, in padded coordinates. `kind` picks max, avg excluding pads, or avg including explicit pads.
 */
export function naivePool(x: Tensor, k: number[], s: number[], d: number[], p: number[], out: number[], kind: 'max' | 'avg' | 'avgPad') {
  const r = k.length;
  const sp = x.shape.slice(1, r + 1);
  const N = x.shape[0]!;
  const C = x.shape[r + 1]!;
  const res: number[] = [];
  const total = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  const idx = (flat: number, shape: number[]) => shape.map((_, i) => Math.floor(flat / total(shape.slice(i + 1))) % shape[i]!);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < total(out); o++)
      for (let c = 0; c < C; c++) {
        const oi = idx(o, out);
        let m = -Infinity;
        let sum = 0;
        let inside = 0;
        let padded = 0;
        for (let q = 0; q < total(k); q++) {
          const ki = idx(q, k);
          const pos = ki.map((kk, i) => oi[i]! * s[i]! - p[i]! + kk * d[i]!);
          if (pos.every((v, i) => v < sp[i]! + p[r + i]!)) padded++;
          if (!pos.every((v, i) => v >= 0 && v < sp[i]!)) continue;
          let flat = n;
          for (let i = 0; i < r; i++) flat = flat * sp[i]! + pos[i]!;
          const v = (x.data as Float32Array)[flat * C + c]!;
          m = Math.max(m, v);
          sum += v;
          inside++;
        }
        res.push(kind === 'max' ? m : sum / (kind === 'avg' ? inside : padded));
      }
  return res;
}
