import { describe, expect, it } from 'vitest';
import { makeTensor, type Node } from '@qtool/ir';
import { quantizeMultiplier, requant } from '@qtool/qmath';
import { fullyConnected, type FullyConnectedParams } from '../src/ops/fully_connected.js';
import { actQuantFromRange, adjusted, clampBounds, dequantizeTensor, fakeContext, quantizeTensor, rangeOf, roundHalfAway } from './mac_int_fixtures.js';
import { expectQt, rand, t } from './nn_fixtures.js';

// qtool-mode fully_connected: quantize through a fake context, evalInt against the contract written out.

function setup(bits: number, anchor: 'min' | 'max', granularity: 'tensor' | 'channel', relu6: boolean, seed: number) {
  const [rows, k, n] = [3, 17, 5];
  const xf = rand([rows, k], seed);
  const xd = xf.data as Float32Array;
  for (let i = 0; i < xd.length; i++) xd[i] = 2 * xd[i]! - 0.7; // [-2.7, 1.3): nonzero zero point
  const wf = rand([n, k], seed + 1);
  const bf = rand([n], seed + 2);
  const plain: Node = { name: 'fc_q', op: 'fully_connected', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: {} };
  const yPlain = fullyConnected.evalFloat(plain, [xf, wf, bf])[0]!;
  const node: Node = { ...plain, attrs: relu6 ? { actMin: 0, actMax: 6 } : {} };
  const yFloat = fullyConnected.evalFloat(node, [xf, wf, bf])[0]!;
  const xq = rangeOf(xf);
  const yq = relu6 ? actQuantFromRange(-2, 9) : rangeOf(yPlain);
  const ctx = fakeContext({ bits, anchor, granularity }, { x: xq, y: yq }, { w: { data: wf.data as Float32Array, shape: [n, k] }, b: { data: bf.data as Float32Array, shape: [n] } });
  const params = fullyConnected.quantize!(node, ctx) as FullyConnectedParams;
  node.params = params;
  return { node, params, x: quantizeTensor(xf, xq), xq, yq, yFloat, bf: bf.data as Float32Array, rows, k, n };
}

describe('fully_connected evalInt (qtool mode)', () => {
  it('equals the contract for both anchors, 2..8 bits, per tensor and per channel, with and without relu6', () => {
    for (const anchor of ['min', 'max'] as const)
      for (let bits = 2; bits <= 8; bits++)
        for (const granularity of ['tensor', 'channel'] as const)
          for (const relu6 of [false, true]) {
            const s = setup(bits, anchor, granularity, relu6, bits * 13 + (relu6 ? 1 : 0));
            const p = s.params;
            const sw = (c: number) => p.weights.scale[granularity === 'channel' ? c : 0]!;
            expect(p.inputOffset).toBe(-s.xq.zeroPoint);
            expect(s.xq.zeroPoint).not.toBe(0);
            expect(p.outputOffset).toBe(s.yq.zeroPoint);
            expect(Array.from(p.bias)).toEqual(Array.from(s.bf, (b, c) => roundHalfAway(b / (sw(c) * s.xq.scale))));
            expect(p.multipliers).toEqual(p.weights.scale.map((w) => quantizeMultiplier((w * s.xq.scale) / s.yq.scale)));
            expect([p.clampLo, p.clampHi]).toEqual(relu6 ? clampBounds(s.yq, 0, 6) : [-128, 127]);
            const x = s.x.data as Int8Array;
            const want: number[] = [];
            for (let r = 0; r < s.rows; r++)
              for (let o = 0; o < s.n; o++) {
                let acc = p.bias[o]!;
                for (let i = 0; i < s.k; i++) acc += adjusted(p.weights, o * s.k + i) * (x[r * s.k + i]! - s.xq.zeroPoint);
                const m = p.multipliers[granularity === 'channel' ? o : 0]!;
                want.push(Math.min(p.clampHi, Math.max(p.clampLo, requant(acc, m.multiplier, m.shift) + s.yq.zeroPoint)));
              }
            const y = fullyConnected.evalInt!(s.node, [s.x])[0]!;
            expect(y.shape).toEqual([s.rows, s.n]);
            expect(Array.from(y.data as Int8Array)).toEqual(want);
          }
  });

  it('dequantized 8-bit output is close to the float layer', () => {
    for (const granularity of ['tensor', 'channel'] as const)
      for (const relu6 of [false, true]) {
        const s = setup(8, 'min', granularity, relu6, 5);
        const y = dequantizeTensor(fullyConnected.evalInt!(s.node, [s.x])[0]!, s.yq);
        const f = s.yFloat.data as Float32Array;
        for (let i = 0; i < f.length; i++) expect(Math.abs(y[i]! - f[i]!)).toBeLessThan(0.03 * 255 * s.yq.scale);
      }
  });

  it('keeps leading batch axes', () => {
    const s = setup(8, 'max', 'channel', false, 9);
    const x3 = makeTensor('int8', [1, 3, 17], s.x.data);
    const y = fullyConnected.evalInt!(s.node, [x3])[0]!;
    expect(y.shape).toEqual([1, 3, 5]);
    expect(Array.from(y.data as Int8Array)).toEqual(Array.from(fullyConnected.evalInt!(s.node, [s.x])[0]!.data as Int8Array));
  });

  it('refuses an accumulator that can overflow int32 (QT400 naming the node), accepts the bound', () => {
    // weights in [100, 100.01]: 8-bit min-anchored offsets near 2.55e6; K = 1000 taps times max|x'| = 128 overflows
    const k = 1000;
    const w = t([2, k], Array.from({ length: 2 * k }, (_, i) => 100 + (i % 3) * 0.005));
    const node: Node = { name: 'huge_fc', op: 'fully_connected', inputs: ['x', 'w', ''], outputs: ['y'], attrs: {} };
    const acts = { x: actQuantFromRange(-1, 1), y: actQuantFromRange(-1, 1) };
    expectQt(() => fullyConnected.quantize!(node, fakeContext({}, acts, { w: { data: w.data as Float32Array, shape: [2, k] } })), 'QT400', 'huge_fc');
    // K = 6: 6 * ~2.55e6 * 128 < 2^31 passes
    const w6 = t([2, 6], Array.from({ length: 12 }, (_, i) => 100 + (i % 3) * 0.005));
    const p = fullyConnected.quantize!(node, fakeContext({}, acts, { w: { data: w6.data as Float32Array, shape: [2, 6] } })) as FullyConnectedParams;
    expect(p.weights.offset[0]).toBeGreaterThan(2_000_000);
  });

  it('refuses int16 activations (the kernel is int8)', () => {
    const node: Node = { name: 'fc16', op: 'fully_connected', inputs: ['x', 'w', ''], outputs: ['y'], attrs: {} };
    const w = rand([2, 3], 1);
    const ctx = fakeContext({}, { x: { dtype: 'int16', scale: 1, zeroPoint: 0 }, y: actQuantFromRange(-1, 1) }, { w: { data: w.data as Float32Array, shape: [2, 3] } });
    expectQt(() => fullyConnected.quantize!(node, ctx), 'QT400', 'fc16');
  });
});
