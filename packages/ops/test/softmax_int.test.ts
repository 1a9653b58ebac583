import { describe, expect, it } from 'vitest';
import { softmaxScaling, type SoftmaxParams } from '../src/ops/int_softmax.js';
import { aq, clamp8, fakeCtx, i8, mkNode, nums, randInt8, rha, runInt } from './int_fixtures.js';

// softmax: qtool's exp table against a direct reimplementation and float; TFLite's scaling against CMSIS-NN's
// header values. `softmaxError` is also what docs/arithmetic.md quotes (printed by this test).

const OUT = aq(1 / 256, -128);

/** Independent qtool softmax of one row: exact integers in BigInt-free JS (all values below 2^31). */
function refRow(row: number[], beta: number, scale: number): number[] {
  const E = Array.from({ length: 256 }, (_, d) => rha(2 ** 15 * Math.exp(-beta * scale * d)));
  const max = Math.max(...row);
  const sum = row.reduce((a, v) => a + E[max - v]!, 0);
  return row.map((v) => {
    const num = E[max - v]! * 256;
    const q = num >= 0 ? Math.trunc((num + Math.trunc(sum / 2)) / sum) : 0; // divRound for a non-negative numerator
    return clamp8(q - 128);
  });
}

function floatRow(row: number[], beta: number, scale: number): number[] {
  const e = row.map((v) => Math.exp(beta * scale * (v - Math.max(...row))));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => Math.min(127, (256 * v) / s - 128)); // 1.0 is not representable: the float clamped at 127
}

/** Max |y - float| in output LSB over every int8 input, as rows [q, 127 - k]. */
export function softmaxError(mode: 'qtool' | 'tflite', scale: number): number {
  const node = mkNode('softmax', ['x'], { axis: -1 });
  const ctx = fakeCtx({ x: aq(scale, 0), y: OUT }, mode);
  let err = 0;
  const rows: number[][] = [Array.from({ length: 256 }, (_, i) => i - 128)];
  for (let q = -128; q < 128; q++) rows.push([q, 0], [q, 127], [q, -128, 5, 40]);
  for (const row of rows) {
    const y = nums(runInt(node, ctx, [i8([1, row.length], row)]));
    floatRow(row, 1, scale).forEach((f, i) => (err = Math.max(err, Math.abs(y[i]! - f))));
  }
  return err;
}

describe('softmax (qtool)', () => {
  it('equals the direct reimplementation on random rows; sums stay near 256', () => {
    const scale = 0.0625;
    const node = mkNode('softmax', ['x'], { axis: 1 });
    const xs = randInt8(6 * 10 * 3, 11);
    const y = nums(runInt(node, fakeCtx({ x: aq(scale, 4), y: OUT }), [i8([6, 10, 3], xs)]));
    for (let o = 0; o < 6; o++)
      for (let c = 0; c < 3; c++) {
        const idx = Array.from({ length: 10 }, (_, i) => (o * 10 + i) * 3 + c);
        const got = idx.map((k) => y[k]!);
        expect(got).toEqual(refRow(idx.map((k) => xs[k]!), 1, scale));
        const total = got.reduce((a, v) => a + v + 128, 0);
        expect(Math.abs(total - 256)).toBeLessThanOrEqual(5); // each of 10 outputs rounds by at most 1/2
      }
    expect((node.params as SoftmaxParams).mode).toBe('qtool');
  });

  it('beta scales the exponent; within 1 LSB of float', () => {
    expect(softmaxError('qtool', 0.1)).toBeLessThan(0.55);
    const node = mkNode('softmax', ['x'], { axis: -1, beta: 2 });
    const row = [-20, 0, 3, 7, 7];
    const y = nums(runInt(node, fakeCtx({ x: aq(0.1, 0), y: OUT }), [i8([1, 5], row)]));
    expect(y).toEqual(refRow(row, 2, 0.1));
  });
});

describe('softmax (tflite)', () => {
  it("Prepare reproduces TFLite's scaling for CMSIS-NN's case (input scale 1/255, beta 1)", () => {
    // CMSIS-NN softmax header: INPUT_MULT 1077952640, INPUT_LEFT_SHIFT 19, DIFF_MIN -3968
    const s = softmaxScaling(mkNode('softmax', ['x']), 1, Math.fround(1 / 255));
    expect(s).toEqual({ inputMultiplier: 1077952640, inputLeftShift: 19, diffMin: -3968 });
  });

  it('refuses an output other than (1/256, -128); stays within 1 LSB of float', () => {
    expect(() => runInt(mkNode('softmax', ['x']), fakeCtx({ x: aq(0.1, 0), y: aq(0.004, -128) }, 'tflite'), [])).toThrow(/1\/256/);
    expect(softmaxError('tflite', 0.1)).toBeLessThan(0.55);
  });

  it('prints the error against float (docs/arithmetic.md)', () => {
    for (const s of [0.05, 0.1, 0.2]) console.log(`softmax max |err| vs float, input scale ${s}: qtool ${softmaxError('qtool', s).toFixed(3)} LSB, tflite ${softmaxError('tflite', s).toFixed(3)} LSB`);
  });
});
