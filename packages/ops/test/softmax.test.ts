import { describe, expect, it } from 'vitest';
import { softmax } from '../src/ops/softmax.js';
import { expectClose, expectQt, info, node, t } from './nn_fixtures.js';

const run = (attrs: object, shape: number[], data: number[]) => softmax.evalFloat(node('softmax', attrs as never), [t(shape, data)])[0]!;

describe('softmax', () => {
  it('last axis, by hand', () => {
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const s = e[0]! + e[1]! + e[2]!;
    expectClose(run({ axis: 1 }, [1, 3], [1, 2, 3]), [1, 3], e.map((v) => v / s));
  });

  it('a leading axis: columns sum to one', () => {
    // axis 0 of [[0, 1, 2], [0, 3, 2]]: column pairs (0,0), (1,3), (2,2)
    const a = 1 / (1 + Math.exp(2));
    expectClose(run({ axis: 0 }, [2, 3], [0, 1, 2, 0, 3, 2]), [2, 3], [0.5, a, 0.5, 0.5, 1 - a, 0.5]);
  });

  it('beta scales the logits; large logits do not overflow', () => {
    // beta 2 on [0, 1]: exp(0), exp(2)
    expectClose(run({ axis: 0, beta: 2 }, [2], [0, 1]), [2], [1 / (1 + Math.exp(2)), Math.exp(2) / (1 + Math.exp(2))]);
    expectClose(run({ axis: 0 }, [2], [1000, 1001]), [2], [1 / (1 + Math.E), Math.E / (1 + Math.E)]);
  });

  it('default axis is the last; bad axis is QT201', () => {
    expectClose(run({}, [2, 2], [0, 0, 1, 1]), [2, 2], [0.5, 0.5, 0.5, 0.5]);
    expect(softmax.inferShape(node('softmax', { axis: 1 }), [info([2, 5])])[0]).toEqual({ dtype: 'float32', shape: [2, 5] });
    expectQt(() => softmax.inferShape(node('softmax', { axis: 2 }), [info([2, 5])]), 'QT201', 'softmax_0');
  });
});
