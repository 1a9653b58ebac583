import { describe, expect, it } from 'vitest';
import { mean } from '../src/ops/mean.js';
import { expectClose, expectQt, info, iota, node } from './nn_fixtures.js';

const run = (attrs: object, shape: number[]) => mean.evalFloat(node('mean', attrs as never), [iota(shape)])[0]!;

describe('mean', () => {
  // X = 1..24 as [2, 3, 4]: element (i, j, k) = 12i + 4j + k + 1
  it('one middle axis, keepDims false', () => {
    // mean over j: 12i + k + 1 + 4 (mean of 4j over j = 0..2)
    expectClose(run({ axes: [1], keepDims: false }, [2, 3, 4]), [2, 4], [5, 6, 7, 8, 17, 18, 19, 20]);
  });

  it('keepDims true keeps a 1; spatial axes of NHWC (global average pool)', () => {
    // mean over j, k: 12i + 1 + 4 + 1.5
    expectClose(run({ axes: [1, 2], keepDims: true }, [2, 3, 4]), [2, 1, 1], [6.5, 18.5]);
  });

  it('first and last axis, keepDims false', () => {
    // mean over i, k: 6 + 4j + 1 + 1.5
    expectClose(run({ axes: [0, 2], keepDims: false }, [2, 3, 4]), [3], [8.5, 12.5, 16.5]);
  });

  it('empty axes reduce everything; keepDims defaults to true', () => {
    expectClose(run({ axes: [] }, [2, 3, 4]), [1, 1, 1], [12.5]);
    expectClose(run({ keepDims: false }, [2, 3, 4]), [], [12.5]);
  });

  it('accepts a negative axis and rejects duplicates or out-of-range axes', () => {
    expect(mean.inferShape(node('mean', { axes: [-1], keepDims: false }), [info([2, 3, 4])])[0]!.shape).toEqual([2, 3]);
    expectQt(() => mean.inferShape(node('mean', { axes: [1, 1] }), [info([2, 3, 4])]), 'QT201', 'mean_0');
    expectQt(() => mean.inferShape(node('mean', { axes: [3] }), [info([2, 3, 4])]), 'QT201', 'mean_0');
  });
});
