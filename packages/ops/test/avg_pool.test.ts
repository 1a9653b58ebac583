import { describe, expect, it } from 'vitest';
import type { Tensor } from '@qtool/ir';
import { avgPool } from '../src/ops/avg_pool.js';
import { expectClose, info, iota, naivePool, node, rand, t } from './nn_fixtures.js';

const avg = (attrs: object, x: Tensor) => avgPool.evalFloat(node('avg_pool', attrs as never), [x])[0]!;

describe('avg_pool', () => {
  it('count_include_pad on and off, by hand', () => {
    const x = t([1, 3, 1], [1, 2, 3]);
    const a = { kernel: [3], pads: [1, 1] };
    expectClose(avg(a, x), [1, 3, 1], [3 / 2, 6 / 3, 5 / 2]);
    expectClose(avg({ ...a, countIncludePad: true }, x), [1, 3, 1], [3 / 3, 6 / 3, 5 / 3]);
  });

  it('ceil_mode: cells past the end pad never count, by hand', () => {
    // padded [p,1,2,3,4,p]; windows start at 0, 2, 4; the last covers 4, p and one cell past the pads
    const x = t([1, 4, 1], [1, 2, 3, 4]);
    const a = { kernel: [3], strides: [2], pads: [1, 1], ceilMode: true };
    expectClose(avg({ ...a, countIncludePad: true }, x), [1, 3, 1], [3 / 3, 9 / 3, 4 / 2]);
    expectClose(avg(a, x), [1, 3, 1], [3 / 2, 9 / 3, 4 / 1]);
  });

  it('2-D ceil_mode (ONNX averagepool_2d_ceil)', () => {
    expectClose(avg({ kernel: [3, 3], strides: [2, 2], ceilMode: true }, iota([1, 4, 4, 1])), [1, 2, 2, 1], [6, 7.5, 12, 13.5]);
  });

  it('1-D, batch and channels, against the naive formula (both pad counts)', () => {
    const x = rand([2, 10, 3], 31);
    const a = { kernel: [4], strides: [3], pads: [2, 1], ceilMode: true };
    // ceil((10+3-4)/3)+1 = 4; (4-1)*3 = 9 < 12: kept
    const out = [4];
    expectClose(avg(a, x), [2, 4, 3], naivePool(x, [4], [3], [1], [2, 1], out, 'avg'));
    expectClose(avg({ ...a, countIncludePad: true }, x), [2, 4, 3], naivePool(x, [4], [3], [1], [2, 1], out, 'avgPad'));
  });

  it('2-D with dilation and pads, against the naive formula', () => {
    const x = rand([1, 7, 5, 2], 41);
    const a = { kernel: [3, 2], strides: [2, 1], dilations: [2, 2], pads: [2, 1, 1, 0], countIncludePad: true };
    // H: floor((7+3-5)/2)+1 = 3, W: floor((5+1-3)/1)+1 = 4
    expectClose(avg(a, x), [1, 3, 4, 2], naivePool(x, [3, 2], [2, 1], [2, 2], a.pads, [3, 4], 'avgPad'));
  });

  it('3-D with ceil_mode and pads, against the naive formula', () => {
    const x = rand([1, 4, 5, 3, 2], 51);
    const a = { kernel: [2, 2, 2], strides: [2, 2, 2], pads: [1, 0, 0, 0, 1, 1], ceilMode: true };
    // D: ceil((4+1-2)/2)+1 = 3, start 4 < 5 kept; H: ceil((5+1-2)/2)+1 = 3, start 4 < 5 kept;
    // W: ceil((3+1-2)/2)+1 = 2
    const out = [3, 3, 2];
    expect(avgPool.inferShape(node('avg_pool', a), [info(x.shape)])[0]!.shape).toEqual([1, 3, 3, 2, 2]);
    expectClose(avg(a, x), [1, 3, 3, 2, 2], naivePool(x, [2, 2, 2], [2, 2, 2], [1, 1, 1], a.pads, out, 'avg'));
    expectClose(avg({ ...a, countIncludePad: true }, x), [1, 3, 3, 2, 2], naivePool(x, [2, 2, 2], [2, 2, 2], [1, 1, 1], a.pads, out, 'avgPad'));
  });
});
