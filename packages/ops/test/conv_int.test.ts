import { describe, expect, it } from 'vitest';
import { makeTensor, type Attrs, type Node, type Tensor } from '@qtool/ir';
import { quantizeMultiplier, requant } from '@qtool/qmath';
import { conv, type ConvParams } from '../src/ops/conv.js';
import type { ActQuant, Anchor, WeightRounding } from '../src/quant.js';
import { actQuantFromRange, adjusted, roundHalfAway, clampBounds, dequantizeTensor, fakeContext, quantizeTensor, rangeOf } from './mac_int_fixtures.js';
import { expectQt, rand, t } from './nn_fixtures.js';

// qtool-mode conv: quantize through a fake context, then evalInt against a naive integer conv written from
// docs/arithmetic.md (padding is materialised with the input zero point, so it must contribute exactly 0).

interface Geometry {
  name: string;
  x: number[];
  w: number[];
  attrs: Attrs;
}

const geometries: Geometry[] = [
  { name: '2-D 3x3, strides [2,1], dilations [1,2], asymmetric pads', x: [2, 5, 7, 3], w: [4, 3, 3, 3], attrs: { strides: [2, 1], dilations: [1, 2], pads: [1, 2, 1, 0] } },
  { name: 'depthwise 3x3, multiplier 2, same pads', x: [1, 5, 5, 3], w: [6, 3, 3, 1], attrs: { pads: [1, 1, 1, 1], groups: 3 } },
  { name: 'grouped, 2 groups, end pads', x: [1, 4, 4, 4], w: [6, 2, 2, 2], attrs: { groups: 2, pads: [0, 0, 1, 1] } },
  { name: '1-D, stride 2, dilation 2, pads', x: [2, 9, 2], w: [3, 3, 2], attrs: { strides: [2], dilations: [2], pads: [2, 1] } },
];

/** Naive integer 2-D (or 1-D as H = 1) grouped conv from the contract, padding filled with the zero point. */
function naiveIntConv(x: Tensor, p: ConvParams, zpIn: number, oShape: number[]): number[] {
  const r = p.kernel.length;
  const as2d = (a: number[], one: number) => (r === 1 ? [one, ...a] : a);
  const [N, H, W, C] = r === 1 ? [x.shape[0]!, 1, x.shape[1]!, x.shape[2]!] : (x.shape as [number, number, number, number]);
  const [KH, KW] = as2d(p.kernel, 1) as [number, number];
  const [sh, sw] = as2d(p.strides, 1) as [number, number];
  const [dh, dw] = as2d(p.dilations, 1) as [number, number];
  const [pt, pl, pb, pr] = r === 1 ? [0, p.pads[0]!, 0, p.pads[1]!] : (p.pads as [number, number, number, number]);
  const O = p.weights.shape[0]!;
  const CG = p.weights.shape[r + 1]!;
  const OH = Math.floor((H + pt + pb - ((KH - 1) * dh + 1)) / sh) + 1;
  const OW = Math.floor((W + pl + pr - ((KW - 1) * dw + 1)) / sw) + 1;
  expect(oShape).toEqual(r === 1 ? [N, OW, O] : [N, OH, OW, O]);
  const xd = x.data as Int8Array;
  // the padded input, every border cell holding the input zero point
  const PH = H + pt + pb;
  const PW = W + pl + pr;
  const padded = (n: number, h: number, w: number, c: number) => {
    const ih = h - pt;
    const iw = w - pl;
    return ih < 0 || ih >= H || iw < 0 || iw >= W ? zpIn : xd[((n * H + ih) * W + iw) * C + c]!;
  };
  void PH;
  void PW;
  const out: number[] = [];
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let o = 0; o < O; o++) {
          const g = Math.floor(o / (O / p.groups));
          let acc = p.bias[o]!;
          for (let kh = 0; kh < KH; kh++)
            for (let kw = 0; kw < KW; kw++)
              for (let cg = 0; cg < CG; cg++) {
                const xv = padded(n, oh * sh + kh * dh, ow * sw + kw * dw, g * CG + cg);
                acc += adjusted(p.weights, ((o * KH + kh) * KW + kw) * CG + cg) * (xv - zpIn);
              }
          expect(Math.abs(acc)).toBeLessThan(2 ** 31);
          const m = p.multipliers[p.multipliers.length === 1 ? 0 : o]!;
          const v = requant(acc, m.multiplier, m.shift) + p.outputOffset;
          out.push(Math.min(Math.max(v, p.clampLo), p.clampHi));
        }
  return out;
}

interface Setup {
  node: Node;
  params: ConvParams;
  x: Tensor;
  xq: ActQuant;
  yq: ActQuant;
  yFloat: Tensor;
  bias: Float32Array;
}

function setup(g: Geometry, bits: number, anchor: Anchor, granularity: 'tensor' | 'channel', relu6: boolean, rounding: WeightRounding = 'offset', seed = 1): Setup {
  const xf = rand(g.x, seed);
  // inputs in [-0.5, 1.5): a nonzero input zero point, so padding must be the zero point, not 0
  const xd = xf.data as Float32Array;
  for (let i = 0; i < xd.length; i++) xd[i] = xd[i]! + 0.5;
  const wf = rand(g.w, seed + 1);
  const bf = rand([g.w[0]!], seed + 2);
  const plain: Node = { name: 'conv_q', op: 'conv', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: { ...g.attrs } };
  const yPlain = conv.evalFloat(plain, [xf, wf, bf])[0]!;
  const act: Attrs = relu6 ? { actMin: 0, actMax: 6 } : {};
  const node: Node = { ...plain, attrs: { ...g.attrs, ...act } };
  const yFloat = conv.evalFloat(node, [xf, wf, bf])[0]!;
  const xq = rangeOf(xf);
  // with relu6 the output range is widened past 6 so the fused clamp really cuts
  const yr = rangeOf(yPlain);
  const yq = relu6 ? actQuantFromRange(-1, 8) : yr;
  const ctx = fakeContext({ bits, anchor, granularity, rounding }, { x: xq, y: yq }, { w: { data: wf.data as Float32Array, shape: g.w }, b: { data: bf.data as Float32Array, shape: [g.w[0]!] } });
  const params = conv.quantize!(node, ctx) as ConvParams;
  node.params = params;
  return { node, params, x: quantizeTensor(xf, xq), xq, yq, yFloat, bias: bf.data as Float32Array };
}

describe('conv evalInt (qtool mode) against a naive integer conv', () => {
  for (const g of geometries)
    it(g.name, () => {
      let runs = 0;
      for (const anchor of ['min', 'max'] as const)
        for (let bits = 2; bits <= 8; bits++)
          for (const granularity of ['tensor', 'channel'] as const) {
            const relu6 = bits % 2 === 0;
            const rounding: WeightRounding = bits === 5 ? 'shifted' : 'offset';
            const s = setup(g, bits, anchor, granularity, relu6, rounding, bits * 7 + (anchor === 'max' ? 1 : 0));
            const p = s.params;
            // the parameters, from their definitions
            expect(p.mode).toBe('qtool');
            expect(p.inputOffset).toBe(-s.xq.zeroPoint);
            expect(p.outputOffset).toBe(s.yq.zeroPoint);
            expect(p.weights.scale.length).toBe(granularity === 'channel' ? g.w[0] : 1);
            expect(p.multipliers).toEqual(p.weights.scale.map((sw) => quantizeMultiplier((sw * s.xq.scale) / s.yq.scale)));
            expect(Array.from(p.bias)).toEqual(Array.from(s.bias, (b, c) => roundHalfAway(b / (p.weights.scale[granularity === 'channel' ? c : 0]! * s.xq.scale))));
            expect([p.clampLo, p.clampHi]).toEqual(relu6 ? clampBounds(s.yq, 0, 6) : [-128, 127]);
            if (relu6) expect(p.clampHi).toBeLessThan(127);
            const y = conv.evalInt!(s.node, [s.x])[0]!;
            expect(y.dtype).toBe('int8');
            expect(Array.from(y.data as Int8Array)).toEqual(naiveIntConv(s.x, p, s.xq.zeroPoint, y.shape));
            runs++;
          }
      expect(runs).toBe(28);
    });

  it('padding with a nonzero input zero point adds exactly nothing', () => {
    // an input that is all zero point: every output is R(bias) + zp_out, in the interior and on the border alike
    const s = setup(geometries[0]!, 8, 'min', 'channel', false);
    expect(s.xq.zeroPoint).not.toBe(0);
    const x = makeTensor('int8', s.x.shape, new Int8Array(s.x.data.length).fill(s.xq.zeroPoint));
    const y = conv.evalInt!(s.node, [x])[0]!.data as Int8Array;
    const cout = s.params.weights.shape[0]!;
    for (let i = 0; i < y.length; i++) {
      const c = i % cout;
      const m = s.params.multipliers[c]!;
      expect(y[i]).toBe(Math.min(127, Math.max(-128, requant(s.params.bias[c]!, m.multiplier, m.shift) + s.params.outputOffset)));
    }
  });

  it('dequantized 8-bit output is close to the float conv', () => {
    for (const g of geometries)
      for (const granularity of ['tensor', 'channel'] as const)
        for (const relu6 of [false, true]) {
          const s = setup(g, 8, 'min', granularity, relu6);
          const y = dequantizeTensor(conv.evalInt!(s.node, [s.x])[0]!, s.yq);
          const f = s.yFloat.data as Float32Array;
          const span = 255 * s.yq.scale;
          // loose: a few output steps of quantization noise (input, weights, bias, output rounding)
          for (let i = 0; i < f.length; i++) expect(Math.abs(y[i]! - f[i]!)).toBeLessThan(0.03 * span);
        }
  });

  it('refuses a 3-D conv with QT400', () => {
    const node: Node = { name: 'conv3d', op: 'conv', inputs: ['x', 'w', ''], outputs: ['y'], attrs: {} };
    const w = rand([2, 2, 2, 2, 1], 3);
    const ctx = fakeContext({}, { x: actQuantFromRange(-1, 1), y: actQuantFromRange(-1, 1) }, { w: { data: w.data as Float32Array, shape: w.shape } });
    expectQt(() => conv.quantize!(node, ctx), 'QT400', 'conv3d');
  });

  it('refuses an accumulator that can overflow int32 with QT400 naming the node', () => {
    // weights in [100, 100.004]: min-anchored offset round(100 / s) = 6,375,000 at 8 bits, so sum |adj| * 128
    // over 9 x 4 taps is far beyond 2^31
    const w = t([1, 3, 3, 4], Array.from({ length: 36 }, (_, i) => 100 + (i % 5) * 0.001));
    const node: Node = { name: 'big_conv', op: 'conv', inputs: ['x', 'w', ''], outputs: ['y'], attrs: {} };
    const ctx = fakeContext({}, { x: actQuantFromRange(-1, 1), y: actQuantFromRange(-1, 1) }, { w: { data: w.data as Float32Array, shape: w.shape } });
    expectQt(() => conv.quantize!(node, ctx), 'QT400', 'big_conv');
    // the same layer max-anchored at 2 bits stays within the bound
    const ok = fakeContext({ bits: 2, anchor: 'max' }, { x: actQuantFromRange(-1, 1), y: actQuantFromRange(-1, 1) }, { w: { data: w.data as Float32Array, shape: [1, 3, 3, 4] } });
    expect(() => conv.quantize!(node, ok)).not.toThrow();
  });

  it('evalInt without params is QT400; a float input is QT203', () => {
    const node: Node = { name: 'c', op: 'conv', inputs: ['x', 'w', ''], outputs: ['y'], attrs: {} };
    expectQt(() => conv.evalInt!(node, [makeTensor('int8', [1, 2, 2, 1])]), 'QT400', 'c');
    node.params = setup(geometries[2]!, 8, 'min', 'tensor', false).params;
    expectQt(() => conv.evalInt!(node, [makeTensor('float32', [1, 4, 4, 4])]), 'QT203', 'c');
  });
});
