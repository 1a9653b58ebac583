import { describe, expect, it } from 'vitest';
import type { Tensor } from '@qtool/ir';
import { fullyConnected } from '../src/ops/fully_connected.js';
import { expectClose, expectQt, info, node, t } from './nn_fixtures.js';

const run = (attrs: object, x: Tensor, w: Tensor, b?: Tensor) =>
  fullyConnected.evalFloat(node('fully_connected', attrs as never, ['x', 'w', b ? 'b' : '']), [x, w, b])[0]!;

describe('fully_connected', () => {
  const w = t([2, 3], [1, 0, -1, 2, 1, 0]); // rows: n=0 is [1,0,-1], n=1 is [2,1,0]

  it('Y = X W^T + B, by hand', () => {
    expectClose(run({}, t([2, 3], [1, 2, 3, 4, 5, 6]), w, t([2], [10, 20])), [2, 2], [1 - 3 + 10, 2 + 2 + 20, 4 - 6 + 10, 8 + 5 + 20]);
  });

  it('treats every leading axis as batch, no bias', () => {
    expectClose(run({}, t([2, 1, 3], [1, 2, 3, 4, 5, 6]), w), [2, 1, 2], [-2, 4, -2, 13]);
  });

  it('applies the fused clamp', () => {
    expectClose(run({ actMin: 0, actMax: 5 }, t([2, 3], [1, 2, 3, 4, 5, 6]), w), [2, 2], [0, 4, 0, 5]);
  });

  it('shape rule and macs', () => {
    const n = node('fully_connected', {}, ['x', 'w', 'b']);
    expect(fullyConnected.inferShape(n, [info([4, 3]), info([2, 3]), info([2])])).toEqual([{ dtype: 'float32', shape: [4, 2] }]);
    expect(fullyConnected.macs!(n, [info([4, 3]), info([2, 3])], [info([4, 2])])).toBe(4 * 2 * 3);
    expectQt(() => fullyConnected.inferShape(n, [info([4, 3]), info([2, 4]), undefined]), 'QT201', 'fully_connected_0');
    expectQt(() => fullyConnected.inferShape(n, [info([4, 3]), info([2, 3]), info([3])]), 'QT201', 'fully_connected_0');
    expectQt(() => fullyConnected.inferShape(n, [info([4, 3]), info([6]), undefined]), 'QT201', 'fully_connected_0');
  });
});
