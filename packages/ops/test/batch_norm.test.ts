import { describe, expect, it } from 'vitest';
import { batchNorm } from '../src/ops/batch_norm.js';
import { expectClose, expectQt, info, node, t } from './nn_fixtures.js';

const n = node('batch_norm', { epsilon: 0 }, ['x', 'scale', 'b', 'mean', 'var']);

describe('batch_norm', () => {
  it('normalises the last axis, by hand', () => {
    // channel 0: (x - 1) / 2 * 3 + 1;  channel 1: (x - 0) / 1 * 1 - 1
    const x = t([1, 2, 2], [1, 0, 5, 4]);
    const [scale, b, mean, variance] = [t([2], [3, 1]), t([2], [1, -1]), t([2], [1, 0]), t([2], [4, 1])];
    const y = batchNorm.evalFloat(n, [x, scale, b, mean, variance])[0]!;
    expectClose(y, [1, 2, 2], [1, -1, 7, 3]);
  });

  it('epsilon defaults to 1e-5', () => {
    const d = node('batch_norm', {}, n.inputs);
    const y = batchNorm.evalFloat(d, [t([1], [1]), t([1], [1]), t([1], [0]), t([1], [0]), t([1], [0])])[0]!;
    expectClose(y, [1], [1 / Math.sqrt(1e-5)]);
  });

  it('shape rule', () => {
    const c = info([3]);
    expect(batchNorm.inferShape(n, [info([1, 4, 4, 3]), c, c, c, c])[0]!.shape).toEqual([1, 4, 4, 3]);
    expectQt(() => batchNorm.inferShape(n, [info([1, 4, 4, 3]), c, c, info([4]), c]), 'QT201', 'batch_norm_0');
    expectQt(() => batchNorm.inferShape(n, [info([1, 4, 4, 3]), c, c, c]), 'QT201', 'batch_norm_0');
  });
});
