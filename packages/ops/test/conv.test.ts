import { describe, expect, it } from 'vitest';
import type { Tensor } from '@qtool/ir';
import { conv } from '../src/ops/conv.js';
import { expectClose, expectQt, info, iota, node, rand, t } from './nn_fixtures.js';

const run = (attrs: object, x: Tensor, w: Tensor, b?: Tensor) => conv.evalFloat(node('conv', attrs as never, ['x', 'w', b ? 'b' : '']), [x, w, b])[0]!;

interface Conv2dArgs {
  s?: number[];
  d?: number[];
  p?: number[]; // top, left, bottom, right
  g?: number;
}

/** Naive NHWC grouped 2-D convolution straight from the definition, for comparison. */
function naiveConv2d(x: Tensor, w: Tensor, b: Tensor | undefined, a: Conv2dArgs): { shape: number[]; data: number[] } {
  const [N, H, W, C] = x.shape as [number, number, number, number];
  const [O, KH, KW, CG] = w.shape as [number, number, number, number];
  const [sh, sw] = a.s ?? [1, 1];
  const [dh, dw] = a.d ?? [1, 1];
  const [pt, pl, pb, pr] = a.p ?? [0, 0, 0, 0];
  const g = a.g ?? 1;
  const OH = Math.floor((H + pt + pb - ((KH - 1) * dh + 1)) / sh) + 1;
  const OW = Math.floor((W + pl + pr - ((KW - 1) * dw + 1)) / sw) + 1;
  const xd = x.data as Float32Array;
  const wd = w.data as Float32Array;
  const out: number[] = [];
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let o = 0; o < O; o++) {
          const grp = Math.floor(o / (O / g));
          let acc = b ? (b.data as Float32Array)[o]! : 0;
          for (let kh = 0; kh < KH; kh++)
            for (let kw = 0; kw < KW; kw++)
              for (let cg = 0; cg < CG; cg++) {
                const ih = oh * sh - pt + kh * dh;
                const iw = ow * sw - pl + kw * dw;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                acc += xd[((n * H + ih) * W + iw) * C + grp * CG + cg]! * wd[((o * KH + kh) * KW + kw) * CG + cg]!;
              }
          out.push(acc);
        }
  return { shape: [N, OH, OW, O], data: out };
}

function check2d(x: Tensor, w: Tensor, b: Tensor | undefined, a: Conv2dArgs): void {
  const attrs = { strides: a.s ?? [1, 1], dilations: a.d ?? [1, 1], pads: a.p ?? [0, 0, 0, 0], groups: a.g ?? 1 };
  const ref = naiveConv2d(x, w, b, a);
  expectClose(run(attrs, x, w, b), ref.shape, ref.data);
  const n = node('conv', attrs, ['x', 'w', b ? 'b' : '']);
  const shape = conv.inferShape(n, [info(x.shape), info(w.shape), b ? info(b.shape) : undefined])[0]!.shape;
  expect(shape).toEqual(ref.shape);
}

describe('conv', () => {
  it('2-D valid conv with bias, by hand', () => {
    // X = 1..9 as 3x3, W = [[1,0],[0,1]]: each output is top-left + bottom-right of its window, plus 1
    const y = run({}, iota([1, 3, 3, 1]), t([1, 2, 2, 1], [1, 0, 0, 1]), t([1], [1]));
    expectClose(y, [1, 2, 2, 1], [1 + 5 + 1, 2 + 6 + 1, 4 + 8 + 1, 5 + 9 + 1]);
  });

  it('depthwise 1x1 with channel multiplier 2, by hand', () => {
    // channel 0 = [1,2,3,4], channel 1 = [10,20,30,40]; out channels 0,1 read ch 0 (x1, x2), 2,3 read ch 1 (x3, x4)
    const x = t([1, 2, 2, 2], [1, 10, 2, 20, 3, 30, 4, 40]);
    const y = run({ groups: 2 }, x, t([4, 1, 1, 1], [1, 2, 3, 4]));
    expectClose(y, [1, 2, 2, 4], [1, 2, 30, 40, 2, 4, 60, 80, 3, 6, 90, 120, 4, 8, 120, 160]);
  });

  it('depthwise 3x3, multiplier 2, same padding, stride 2, against the naive formula', () => {
    check2d(rand([2, 5, 6, 3], 3), rand([6, 3, 3, 1], 4), rand([6], 5), { s: [2, 2], p: [1, 1, 1, 1], g: 3 });
  });

  it('dilation with asymmetric pads and strides, against the naive formula', () => {
    check2d(rand([1, 7, 6, 2], 7), rand([3, 3, 2, 2], 8), rand([3], 9), { s: [2, 1], d: [2, 3], p: [0, 2, 1, 1] });
  });

  it('grouped conv (2 groups of 2 channels)', () => {
    check2d(rand([1, 4, 4, 4], 11), rand([6, 2, 2, 2], 12), undefined, { g: 2, p: [0, 0, 1, 1] });
  });

  it('1-D conv with dilation and a begin pad, by hand', () => {
    // padded [0,1,2,3,4,5], taps every 2nd cell: 0+2+4 and 1+3+5
    const y = run({ dilations: [2], pads: [1, 0], strides: [1] }, iota([1, 5, 1]), t([1, 3, 1], [1, 1, 1]));
    expectClose(y, [1, 2, 1], [6, 9]);
  });

  it('3-D conv, by hand', () => {
    // X = 1..8 as 2x2x2; an all-ones 2x2x2 kernel sums the window; the end pad on depth adds a window over slice 1
    const y = run({ pads: [0, 0, 0, 1, 0, 0] }, iota([1, 2, 2, 2, 1]), t([1, 2, 2, 2, 1], new Array(8).fill(1)));
    expectClose(y, [1, 2, 1, 1, 1], [36, 5 + 6 + 7 + 8]);
  });

  it('applies the fused clamp', () => {
    const y = run({ actMin: 0, actMax: 6 }, t([1, 3, 1], [-2, 1, 9]), t([1, 1, 1], [1]));
    expectClose(y, [1, 3, 1], [0, 1, 6]);
  });

  it('shape rule: SAME-style asymmetric pads and output size', () => {
    const n = node('conv', { strides: [2, 2], pads: [0, 0, 1, 1] }, ['x', 'w', '']);
    // floor((6 + 1 - 3) / 2) + 1 = 3
    expect(conv.inferShape(n, [info([1, 6, 6, 3]), info([8, 3, 3, 3]), undefined])).toEqual([{ dtype: 'float32', shape: [1, 3, 3, 8] }]);
  });

  it('macs = output elements x kernel volume x Cin/groups', () => {
    const n = node('conv', { groups: 3 }, ['x', 'w', '']);
    expect(conv.macs!(n, [info([1, 5, 5, 3]), info([6, 3, 3, 1])], [info([1, 3, 3, 6])])).toBe(54 * 9);
  });

  it('rejects bad combinations with QT201 naming the node', () => {
    const bad = (attrs: object, x: number[], w: number[], b?: number[]) =>
      expectQt(() => conv.inferShape(node('conv', attrs as never, ['x', 'w', 'b']), [info(x), info(w), b && info(b)]), 'QT201', 'conv_0');
    bad({ groups: 2 }, [1, 4, 4, 3], [4, 3, 3, 1]); // 2 does not divide Cin 3
    bad({}, [1, 4, 4, 3], [4, 3, 3, 2]); // W channels != Cin
    bad({}, [1, 4, 4, 3], [4, 3, 3]); // rank mismatch
    bad({}, [1, 4, 4, 3], [4, 3, 3, 3], [5]); // bias length
    bad({}, [1, 2, 2, 3], [4, 3, 3, 3]); // kernel larger than input
    bad({ pads: [1, 1] }, [1, 4, 4, 3], [4, 3, 3, 3]); // pads length
    bad({ strides: [0, 1] }, [1, 4, 4, 3], [4, 3, 3, 3]);
    bad({}, [4, 3], [4, 3]); // no spatial axis
  });
});
