import { describe, expect, it } from 'vitest';
import { makeTensor, type Tensor } from '@qtool/ir';
import { pad } from '../src/ops/pad.js';
import { expectClose, expectQt, info, iota, node, t } from './nn_fixtures.js';

const run = (attrs: object, x: Tensor) => pad.evalFloat(node('pad', attrs as never), [x])[0]!;

describe('pad', () => {
  const v = t([4], [1, 2, 3, 4]);

  it('1-D constant, reflect and edge, by hand', () => {
    expectClose(run({ pads: [2, 1], value: 9 }, v), [7], [9, 9, 1, 2, 3, 4, 9]);
    expectClose(run({ pads: [2, 2], mode: 'reflect' }, v), [8], [3, 2, 1, 2, 3, 4, 3, 2]);
    expectClose(run({ pads: [2, 2], mode: 'edge' }, v), [8], [1, 1, 1, 2, 3, 4, 4, 4]);
  });

  it('reflect past a whole period, like NumPy', () => {
    // [1,2,3] reflected with period 4: ... 2 3 2 1 | 1 2 3 | 2 1 2 3
    expectClose(run({ pads: [4, 4], mode: 'reflect' }, t([3], [1, 2, 3])), [11], [1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3]);
  });

  it('2-D reflect and edge, by hand', () => {
    // X = [[1,2,3],[4,5,6]]; pad rows 1/0, cols 0/2
    const x = iota([2, 3]);
    expectClose(run({ pads: [1, 0, 0, 2], mode: 'reflect' }, x), [3, 5], [4, 5, 6, 5, 4, 1, 2, 3, 2, 1, 4, 5, 6, 5, 4]);
    expectClose(run({ pads: [1, 0, 0, 2], mode: 'edge' }, x), [3, 5], [1, 2, 3, 3, 3, 1, 2, 3, 3, 3, 4, 5, 6, 6, 6]);
  });

  it('negative pads crop; crop then pad on one axis', () => {
    expectClose(run({ pads: [-1, 0, 0, -1] }, iota([2, 3])), [1, 2], [4, 5]);
    // crop the first element, then edge-pad 2 at the end of [2,3,4]
    expectClose(run({ pads: [-1, 2], mode: 'edge' }, v), [5], [2, 3, 4, 4, 4]);
  });

  it('keeps integer element types', () => {
    const y = run({ pads: [1, 1], value: -3 }, makeTensor('int8', [2], [5, 6]));
    expect(y.dtype).toBe('int8');
    expect(Array.from(y.data as Int8Array)).toEqual([-3, 5, 6, -3]);
  });

  it('NHWC spatial padding keeps channels together', () => {
    // [1, 1, 2, 2] -> pad W by 1 each side: zero pixels around two 2-channel pixels
    const y = run({ pads: [0, 0, 1, 0, 0, 0, 1, 0] }, t([1, 1, 2, 2], [1, 2, 3, 4]));
    expectClose(y, [1, 1, 4, 2], [0, 0, 1, 2, 3, 4, 0, 0]);
  });

  it('shape rule errors', () => {
    const bad = (attrs: object, shape: number[]) => expectQt(() => pad.inferShape(node('pad', attrs as never), [info(shape)]), 'QT201', 'pad_0');
    bad({ pads: [1, 1] }, [2, 2]);
    bad({ pads: [-2, -1] }, [2]);
    bad({ pads: [0, 1], mode: 'wrap' }, [2]);
    bad({ pads: [-1, 1], mode: 'reflect' }, [1]);
  });
});
