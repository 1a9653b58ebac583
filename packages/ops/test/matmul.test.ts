import { describe, expect, it } from 'vitest';
import type { Tensor } from '@qtool/ir';
import { matmul } from '../src/ops/matmul.js';
import { expectClose, expectQt, info, node, rand, t } from './nn_fixtures.js';

const run = (a: Tensor, b: Tensor) => matmul.evalFloat(node('matmul', {}, ['a', 'b']), [a, b])[0]!;
const shapeOf = (a: number[], b: number[]) => matmul.inferShape(node('matmul', {}, ['a', 'b']), [info(a), info(b)])[0]!.shape;

describe('matmul', () => {
  it('2-D by hand', () => {
    // [[1,2,3],[4,5,6]] x [[1,0],[0,1],[1,1]]
    expectClose(run(t([2, 3], [1, 2, 3, 4, 5, 6]), t([3, 2], [1, 0, 0, 1, 1, 1])), [2, 2], [4, 5, 10, 11]);
  });

  it('1-D operands are promoted and the added axis removed', () => {
    const v = t([3], [1, 2, 3]);
    const m = t([3, 2], [1, 0, 0, 1, 1, 1]);
    expectClose(run(v, t([3], [4, 5, 6])), [], [32]);
    expectClose(run(v, m), [2], [4, 5]);
    expectClose(run(t([2, 3], [1, 2, 3, 4, 5, 6]), v), [2], [14, 32]);
    // a batched matrix times a vector keeps the batch
    expectClose(run(t([2, 1, 3], [1, 2, 3, 4, 5, 6]), v), [2, 1], [14, 32]);
    expect(shapeOf([3], [4, 3, 2])).toEqual([4, 2]);
  });

  it('broadcasts batch axes, against a naive formula', () => {
    const a = rand([2, 1, 2, 3], 1);
    const b = rand([3, 3, 4], 2);
    const [ad, bd] = [a.data as Float32Array, b.data as Float32Array];
    const expected: number[] = [];
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 3; j++)
        for (let r = 0; r < 2; r++)
          for (let c = 0; c < 4; c++) {
            let acc = 0;
            for (let q = 0; q < 3; q++) acc += ad[(i * 2 + r) * 3 + q]! * bd[(j * 3 + q) * 4 + c]!;
            expected.push(acc);
          }
    expectClose(run(a, b), [2, 3, 2, 4], expected);
  });

  it('macs = batch x M x K x N', () => {
    expect(matmul.macs!(node('matmul', {}, ['a', 'b']), [info([2, 1, 2, 3]), info([3, 3, 4])])).toBe(6 * 2 * 3 * 4);
  });

  it('rejects mismatched inner axes, unbroadcastable batches and scalars', () => {
    expectQt(() => shapeOf([2, 3], [2, 3]), 'QT201', 'matmul_0');
    expectQt(() => shapeOf([2, 2, 3], [3, 3, 1]), 'QT201', 'matmul_0');
    expectQt(() => shapeOf([], [3]), 'QT201', 'matmul_0');
  });
});
