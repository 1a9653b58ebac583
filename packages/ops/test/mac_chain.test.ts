import { describe, expect, it } from 'vitest';
import { makeTensor, type Node } from '@qtool/ir';
import { quantizeMultiplier, requantReference } from '@qtool/qmath';
import { registry } from '../src/registry.js';
import type { ConvParams } from '../src/ops/conv.js';
import type { MacChainParams } from '../src/ops/mac_chain.js';
import type { MacParams } from '../src/ops/mac_int.js';
import type { WeightQuant } from '../src/quant.js';

// mac_chain's evalInt against the contract written out here with BigInt (docs/arithmetic.md, "Chains"):
// acc1 = bias1 + sum adj1 * (x + off), clamped; max_pool; acc2 = bias2 + sum adj2 * acc1;
// y = clamp(requant(acc2) + zp, lo, hi). And a value beyond int32 is refused, never wrapped.

let seed = 7;
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
const ri = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));

function wq(shape: number[], bits: number, anchor: 'min' | 'max', perChannel: boolean): WeightQuant {
  const n = shape.reduce((a, b) => a * b, 1);
  const ch = shape[0]!;
  return {
    bits, signed: false, anchor, axis: perChannel ? 0 : undefined,
    scale: Array.from({ length: perChannel ? ch : 1 }, () => 0.01),
    offset: Array.from({ length: perChannel ? ch : 1 }, () => ri(-(2 ** bits), 2 ** bits)),
    shape, q: Int16Array.from({ length: n }, () => ri(0, 2 ** bits - 1)),
  };
}
const adj = (w: WeightQuant, i: number) => {
  const c = w.axis === undefined ? 0 : Math.floor(i / (w.q.length / w.shape[0]!));
  return BigInt(w.anchor === 'min' ? w.q[i]! + w.offset[c]! : w.offset[c]! - w.q[i]!);
};

/** conv 3x3 pad 1 (H=W=4, Cin=2 -> 3) + relu -> max_pool 2x2 s2 -> reshape -> fc (12 -> 4). */
function chain(bits: number, anchor: 'min' | 'max'): MacChainParams {
  const w1 = wq([3, 3, 3, 2], bits, anchor, true);
  const w2 = wq([4, 12], bits, anchor, false);
  const conv: ConvParams = {
    mode: 'qtool', inputOffset: ri(-100, 100), outputOffset: 0, weights: w1, bias: Int32Array.from({ length: 3 }, () => ri(-5000, 5000)),
    multipliers: [], clampLo: -128, clampHi: 127, kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], groups: 1,
  };
  const fc: MacParams = {
    mode: 'qtool', inputOffset: 0, outputOffset: ri(-20, 20), weights: w2, bias: Int32Array.from({ length: 4 }, () => ri(-50000, 50000)),
    multipliers: [quantizeMultiplier(1 / ri(1000, 100000))], clampLo: -128, clampHi: 120,
  };
  return {
    mode: 'qtool', layers: ['c', 'p', 'r', 'f'], bound: 0, limit: 2147483647,
    stages: [
      { kind: 'conv', mac: conv, inShape: [1, 4, 4, 2], outShape: [1, 4, 4, 3], actLo: new Int32Array(3), actHi: Int32Array.from([1e9, 3000, 1e9]) },
      { kind: 'max_pool', kernel: [2, 2], strides: [2, 2], dilations: [1, 1], pads: [0, 0, 0, 0], ceilMode: false, inShape: [1, 4, 4, 3], outShape: [1, 2, 2, 3] },
      { kind: 'reshape', inShape: [1, 2, 2, 3], outShape: [1, 12] },
      { kind: 'fully_connected', mac: fc, inShape: [1, 12], outShape: [1, 4] },
    ],
  };
}

function reference(p: MacChainParams, x: Int8Array): number[] {
  const [s0, , , s3] = p.stages as [any, any, any, any];
  const c = s0.mac as ConvParams;
  const acc1: bigint[] = [];
  for (let oh = 0; oh < 4; oh++)
    for (let ow = 0; ow < 4; ow++)
      for (let oc = 0; oc < 3; oc++) {
        let a = BigInt(c.bias[oc]!);
        for (let kh = 0; kh < 3; kh++)
          for (let kw = 0; kw < 3; kw++)
            for (let ci = 0; ci < 2; ci++) {
              const ih = oh - 1 + kh;
              const iw = ow - 1 + kw;
              if (ih < 0 || ih >= 4 || iw < 0 || iw >= 4) continue;
              a += adj(c.weights, ((oc * 3 + kh) * 3 + kw) * 2 + ci) * BigInt(x[(ih * 4 + iw) * 2 + ci]! + c.inputOffset);
            }
        if (a < BigInt(s0.actLo[oc])) a = BigInt(s0.actLo[oc]);
        if (a > BigInt(s0.actHi[oc])) a = BigInt(s0.actHi[oc]);
        acc1.push(a);
      }
  const pooled: bigint[] = [];
  for (let ph = 0; ph < 2; ph++)
    for (let pw = 0; pw < 2; pw++)
      for (let ch = 0; ch < 3; ch++) {
        let m = acc1[((ph * 2) * 4 + pw * 2) * 3 + ch]!;
        for (const [dh, dw] of [[0, 1], [1, 0], [1, 1]]) {
          const v = acc1[((ph * 2 + dh!) * 4 + pw * 2 + dw!) * 3 + ch]!;
          if (v > m) m = v;
        }
        pooled.push(m);
      }
  const f = s3.mac as MacParams;
  return Array.from({ length: 4 }, (_, n) => {
    let a = BigInt(f.bias[n]!);
    for (let k = 0; k < 12; k++) a += adj(f.weights, n * 12 + k) * pooled[k]!;
    const m = f.multipliers[0]!;
    const y = requantReference(Number(a), m.multiplier, m.shift) + f.outputOffset;
    return Math.min(Math.max(y, f.clampLo), f.clampHi);
  });
}

const node = (p: MacChainParams): Node => ({ name: 'chain', op: 'mac_chain', inputs: ['x'], outputs: ['y'], attrs: {}, params: p });

describe('mac_chain evalInt', () => {
  it('equals the BigInt contract over random chains and inputs (extremes included)', () => {
    let n = 0;
    for (const bits of [2, 3, 4, 5, 8])
      for (const anchor of ['min', 'max'] as const)
        for (let t = 0; t < 6; t++) {
          const p = chain(bits, anchor);
          const x = Int8Array.from({ length: 32 }, () => (t === 0 ? -128 : t === 1 ? 127 : ri(-128, 127)));
          const y = registry.mac_chain!.evalInt!(node(p), [makeTensor('int8', [1, 4, 4, 2], x)])[0]!;
          expect(Array.from(y.data as Int8Array)).toEqual(reference(p, x));
          expect(y.shape).toEqual([1, 4]);
          n++;
        }
    expect(n).toBe(60);
  });

  it('shape rule and MAC count come from the stages', () => {
    const p = chain(4, 'min');
    expect(registry.mac_chain!.inferShape(node(p), [{ name: 'x', dtype: 'int8', shape: [1, 4, 4, 2] }])).toEqual([{ dtype: 'int8', shape: [1, 4] }]);
    expect(registry.mac_chain!.macs!(node(p), [], [])).toBe(16 * 3 * 18 + 4 * 12);
  });

  it('refuses (QT400) an accumulator beyond int32 instead of wrapping it', () => {
    const p = chain(8, 'min');
    const fc = (p.stages[3] as { mac: MacParams }).mac;
    fc.bias = Int32Array.from([2147483647, 0, 0, 0]);
    fc.weights = { ...fc.weights, offset: [0], q: new Int16Array(48).fill(255) };
    const x = new Int8Array(32).fill(127);
    (p.stages[0] as { mac: ConvParams }).mac.inputOffset = 0;
    expect(() => registry.mac_chain!.evalInt!(node(p), [makeTensor('int8', [1, 4, 4, 2], x)])).toThrow(/QT400.*beyond int32/);
  });
});
