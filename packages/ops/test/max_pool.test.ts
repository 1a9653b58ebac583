import { describe, expect, it } from 'vitest';
import type { Tensor } from '@qtool/ir';
import { maxPool } from '../src/ops/max_pool.js';
import { expectClose, expectQt, info, iota, naivePool, node, rand, t } from './nn_fixtures.js';

const max = (attrs: object, x: Tensor) => maxPool.evalFloat(node('max_pool', attrs as never), [x])[0]!;
const shapeOf = (attrs: object, x: number[]) => maxPool.inferShape(node('max_pool', attrs as never), [info(x)])[0]!.shape;

describe('max_pool', () => {
  it('2-D 2x2 stride 2, by hand', () => {
    expectClose(max({ kernel: [2, 2], strides: [2, 2] }, iota([1, 4, 4, 1])), [1, 2, 2, 1], [6, 8, 14, 16]);
  });

  it('2-D ceil_mode adds a partial window (ONNX maxpool_2d_ceil)', () => {
    expectClose(max({ kernel: [3, 3], strides: [2, 2], ceilMode: true }, iota([1, 4, 4, 1])), [1, 2, 2, 1], [11, 12, 15, 16]);
  });

  it('ceil_mode drops a window that would start in the right padding', () => {
    // in 4, k 1, s 2: ceil(3/2)+1 = 3 windows, but the third would start at 4 = in + pad_begin
    expect(shapeOf({ kernel: [1], strides: [2], ceilMode: true }, [1, 4, 1])).toEqual([1, 2, 1]);
    // in 4, k 3, s 2, pads 1/1: ceil(3/2)+1 = 3, third window starts at padded 4 < 5: kept, reads x3 only
    const y = max({ kernel: [3], strides: [2], pads: [1, 1], ceilMode: true }, t([1, 4, 1], [5, 1, 2, 3]));
    expectClose(y, [1, 3, 1], [5, 3, 3]);
    // without ceil_mode: floor(3/2)+1 = 2
    expect(shapeOf({ kernel: [3], strides: [2], pads: [1, 1] }, [1, 4, 1])).toEqual([1, 2, 1]);
  });

  it('2-D dilations (ONNX maxpool_2d_dilations)', () => {
    expectClose(max({ kernel: [2, 2], dilations: [2, 2] }, iota([1, 4, 4, 1])), [1, 2, 2, 1], [11, 12, 15, 16]);
  });

  it('padding never wins the max', () => {
    const y = max({ kernel: [3], pads: [1, 1] }, t([1, 3, 1], [-5, -7, -6]));
    expectClose(y, [1, 3, 1], [-5, -5, -6]);
  });

  it('1-D with stride, pads and several channels, against the naive formula', () => {
    const x = rand([2, 9, 3], 21);
    const a = { kernel: [3], strides: [2], pads: [1, 2], dilations: [1] };
    const out = shapeOf(a, x.shape);
    expect(out).toEqual([2, 5, 3]);
    expectClose(max(a, x), out, naivePool(x, [3], [2], [1], [1, 2], [5], 'max'));
  });

  it('3-D with dilations and asymmetric pads, against the naive formula', () => {
    const x = rand([1, 5, 6, 4, 2], 22);
    const a = { kernel: [2, 3, 2], strides: [1, 2, 1], dilations: [2, 1, 2], pads: [1, 0, 1, 0, 1, 1] };
    const out = shapeOf(a, x.shape);
    // D: floor((5+1-3)/1)+1 = 4, H: floor((6+1-3)/2)+1 = 3, W: floor((4+2-3)/1)+1 = 4
    expect(out).toEqual([1, 4, 3, 4, 2]);
    expectClose(max(a, x), out, naivePool(x, [2, 3, 2], [1, 2, 1], [2, 1, 2], a.pads, [4, 3, 4], 'max'));
  });

  it('rejects a window that reads only padding, and bad attrs, with QT201', () => {
    expectQt(() => shapeOf({ kernel: [2], pads: [2, 0] }, [1, 4, 1]), 'QT201', 'max_pool_0');
    expectQt(() => shapeOf({ kernel: [2, 2] }, [1, 4, 1]), 'QT201', 'max_pool_0');
    expectQt(() => shapeOf({ kernel: [5] }, [1, 4, 1]), 'QT201', 'max_pool_0');
    expectQt(() => shapeOf({}, [1, 4, 1]), 'QT201', 'max_pool_0');
  });
});
