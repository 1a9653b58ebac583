import { describe, expect, it } from 'vitest';
import type { Node } from '@qtool/ir';
import { quantizeMultiplier, requant } from '@qtool/qmath';
import { matmul, type MatmulParams } from '../src/ops/matmul.js';
import { actQuantFromRange, dequantizeTensor, fakeContext, quantizeTensor, rangeOf } from './mac_int_fixtures.js';
import { expectQt, rand } from './nn_fixtures.js';

// qtool-mode matmul of two activations: acc = sum (a + offA)(b + offB), one multiplier, broadcast batch axes.

function setup(aShape: number[], bShape: number[], seed: number) {
  const af = rand(aShape, seed);
  const bf = rand(bShape, seed + 1);
  const ad = af.data as Float32Array;
  for (let i = 0; i < ad.length; i++) ad[i] = ad[i]! + 0.4;
  const node: Node = { name: 'mm', op: 'matmul', inputs: ['a', 'b'], outputs: ['y'], attrs: {} };
  const yf = matmul.evalFloat(node, [af, bf])[0]!;
  const [aq, bq, yq] = [rangeOf(af), rangeOf(bf), rangeOf(yf)];
  node.params = matmul.quantize!(node, fakeContext({}, { a: aq, b: bq, y: yq }, {})) as MatmulParams;
  return { node, p: node.params as MatmulParams, a: quantizeTensor(af, aq), b: quantizeTensor(bf, bq), aq, bq, yq, yf };
}

describe('matmul evalInt (qtool mode)', () => {
  it('batched, broadcast batch axes, against the formula', () => {
    const s = setup([2, 1, 3, 5], [3, 5, 4], 3);
    const p = s.p;
    expect(p.inputOffsetA).toBe(-s.aq.zeroPoint);
    expect(s.aq.zeroPoint).not.toBe(0);
    expect(p.inputOffsetB).toBe(-s.bq.zeroPoint);
    expect(p.multiplier).toEqual(quantizeMultiplier((s.aq.scale * s.bq.scale) / s.yq.scale));
    const y = matmul.evalInt!(s.node, [s.a, s.b])[0]!;
    expect(y.shape).toEqual([2, 3, 3, 4]);
    const a = s.a.data as Int8Array;
    const b = s.b.data as Int8Array;
    const want: number[] = [];
    for (let i0 = 0; i0 < 2; i0++)
      for (let i1 = 0; i1 < 3; i1++)
        for (let m = 0; m < 3; m++)
          for (let n = 0; n < 4; n++) {
            let acc = 0;
            for (let k = 0; k < 5; k++) acc += (a[(i0 * 3 + m) * 5 + k]! + p.inputOffsetA) * (b[(i1 * 5 + k) * 4 + n]! + p.inputOffsetB);
            want.push(Math.min(127, Math.max(-128, requant(acc, p.multiplier.multiplier, p.multiplier.shift) + p.outputOffset)));
          }
    expect(Array.from(y.data as Int8Array)).toEqual(want);
    const deq = dequantizeTensor(y, s.yq);
    const f = s.yf.data as Float32Array;
    for (let i = 0; i < f.length; i++) expect(Math.abs(deq[i]! - f[i]!)).toBeLessThan(0.03 * 255 * s.yq.scale);
  });

  it('1-D operands', () => {
    const s = setup([6], [6, 2], 8);
    expect(matmul.evalInt!(s.node, [s.a, s.b])[0]!.shape).toEqual([2]);
  });

  it('refuses a contracted length that can overflow int32 (QT400)', () => {
    const node: Node = { name: 'mm_big', op: 'matmul', inputs: ['a', 'b'], outputs: ['y'], attrs: {} };
    const q = actQuantFromRange(0, 1); // zero point -128: max |x'| = 255
    node.params = matmul.quantize!(node, fakeContext({}, { a: q, b: q, y: q }, {}));
    expect((node.params as MatmulParams).maxK).toBe(Math.floor((2 ** 31 - 1) / (255 * 255)));
    const k = (node.params as MatmulParams).maxK + 1;
    const a = quantizeTensor(rand([1, k], 1), q);
    const b = quantizeTensor(rand([k, 1], 2), q);
    expectQt(() => matmul.evalInt!(node, [a, b]), 'QT400', 'mm_big');
  });
});
