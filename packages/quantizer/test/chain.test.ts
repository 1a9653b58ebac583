import { describe, expect, it } from 'vitest';
import { emptyGraph, makeTensor, type Graph } from '@qtool/ir';
import { inferShapes, registry, type ChainMacStage, type MacChainParams, type QuantizeOptions } from '@qtool/ops';
import { INT32_MAX, INT32_MIN } from '@qtool/qmath';
import { adjustedWeights } from '@qtool/ops';
import { buildChain, chainBound, formChains, quantizeGraph, type Ranges } from '../src/index.js';

// The chain's bound proof (chain-bound.ts) and formation (chain.ts): where the bound is exactly at the int32
// limit the chain is formed and the adversarial input reaches the limit without overflow; one more unit of bias,
// or a calibrated range narrower than the int8 worst case, and it must be refused: forcing it past the proof
// overflows (the simulator refuses the value). A loosened analysis (bias dropped, calibrated instead of worst-case
// inputs, signed instead of absolute sums) fails one of these.

const base: QuantizeOptions = { mode: 'qtool', bits: 8, granularity: 'tensor', anchor: 'min', rounding: 'offset' };

/** x [1, 2] -> fully_connected W1 [n1, 2] (+ReLU?) -> fully_connected W2 [1, n1] (+ bias b2) -> y [1, 1]. */
function twoFc(w1row: [number, number], n1: number, b2: number, relu: boolean, xRange: [number, number], hRange: [number, number] = [-1, 1]): { g: Graph; ranges: Ranges } {
  const g = emptyGraph('two-fc');
  const t = (name: string, shape: number[]) => g.tensors.set(name, { name, dtype: 'float32', shape });
  const c = (name: string, shape: number[], data: number[]) => {
    g.initializers.set(name, makeTensor('float32', shape, Float32Array.from(data)));
    t(name, shape);
  };
  t('x', [1, 2]);
  t('h', []);
  t('y', []);
  c('w1', [n1, 2], Array.from({ length: n1 * 2 }, (_, i) => w1row[i % 2]!));
  c('w2', [1, n1], Array.from({ length: n1 }, (_, i) => (i === n1 - 1 ? 0 : 1)));
  c('b2', [1], [b2]);
  g.inputs.push('x');
  g.outputs.push('y');
  g.nodes.push({ name: 'fc1', op: 'fully_connected', inputs: ['x', 'w1', ''], outputs: ['h'], attrs: relu ? { actMin: 0 } : {} });
  g.nodes.push({ name: 'fc2', op: 'fully_connected', inputs: ['h', 'w2', 'b2'], outputs: ['y'], attrs: {} });
  inferShapes(g);
  const ranges: Ranges = new Map([
    ['x', { min: xRange[0], max: xRange[1] }],
    ['h', { min: hRange[0], max: hRange[1] }],
    ['y', { min: -1, max: 1 }],
  ]);
  return { g, ranges };
}

/** The chain over the whole graph, built past the proof (what a loosened analysis would accept). */
function forced(g: Graph, ranges: Ranges): MacChainParams {
  const q = quantizeGraph(g, ranges, base);
  const p = buildChain(q, q.nodes, g, base);
  if (typeof p === 'string') throw new Error(p);
  return p;
}

function run(p: MacChainParams, x: [number, number]): Int8Array {
  const node = { name: 'chain', op: 'mac_chain', inputs: ['x'], outputs: ['y'], attrs: {}, params: p };
  return registry.mac_chain!.evalInt!(node, [makeTensor('int8', [1, 2], Int8Array.from(x))])[0]!.data as Int8Array;
}

/** b2 (float) whose int32 bias at the chain's scale is exactly `target`. */
function biasFor(target: number, w1row: [number, number], n1: number, relu: boolean, xRange: [number, number]): number {
  const { g, ranges } = twoFc(w1row, n1, 1, relu, xRange);
  const unit = (forced(g, ranges).stages[1] as ChainMacStage).mac.bias[0]!; // the int bias of b2 = 1
  let b = target / unit;
  for (let i = 0; i < 4; i++) {
    const got = (forced(twoFc(w1row, n1, b, relu, xRange).g, ranges).stages[1] as ChainMacStage).mac.bias[0]!;
    if (got === target) return b;
    b += (target - got) / unit;
  }
  throw new Error(`no float bias gives ${target}`);
}

describe('chain bound at the int32 limit', () => {
  // 8-bit per-tensor: x' in [0, 255] (x range [0, 1], zero point -128), adj1 = 255 (w = 1) and 0 (w = 0), so
  // acc1 <= 255 * 255 = 65025; adj2 = 255 for 129 of 130 inputs: 255 * 129 * 65025 = 2138997375 before the bias.
  const products = 255 * 129 * 65025;
  const slack = INT32_MAX - products;

  it('bound exactly INT32_MAX: formed, and the adversarial input reaches the limit exactly', () => {
    const b2 = biasFor(slack, [1, 0], 130, true, [0, 1]);
    const { g, ranges } = twoFc([1, 0], 130, b2, true, [0, 1]);
    const r = formChains(quantizeGraph(g, ranges, base), g, base, ranges);
    expect(r.chains).toHaveLength(1);
    expect(r.chains[0]!.bound).toBe(INT32_MAX);
    expect(r.chains[0]!.margin).toBe(0);
    const chain = r.graph.nodes.find((n) => n.op === 'mac_chain')!;
    const p = chain.params as MacChainParams;
    // the adversarial input: every x at 127 (x' = 255) makes acc2 = bias + 255 * 129 * 65025 = INT32_MAX
    const adj2 = adjustedWeights((p.stages[1] as ChainMacStage).mac.weights);
    expect(Array.from(adj2.slice(0, 3))).toEqual([255, 255, 255]);
    expect(() => run(p, [127, 127])).not.toThrow();
    expect(run(p, [127, 127])[0]).toBe(127);
  });

  it('one more unit of bias: refused; forced past the proof it overflows', () => {
    const b2 = biasFor(slack + 1, [1, 0], 130, true, [0, 1]);
    const { g, ranges } = twoFc([1, 0], 130, b2, true, [0, 1]);
    const r = formChains(quantizeGraph(g, ranges, base), g, base, ranges);
    expect(r.chains).toEqual([]);
    expect(r.refused).toHaveLength(1);
    expect(r.refused[0]!.bound).toBe(INT32_MAX + 1);
    expect(r.graph.nodes.map((n) => n.op)).toEqual(['fully_connected', 'fully_connected']);
    expect(() => run(forced(g, ranges), [127, 127])).toThrow(/QT400.*beyond int32/);
  });

  it('the int8 worst case decides, not the calibrated range: refused although calibration alone would fit', () => {
    // w1 = [1, -1]: adj1 = [127, -128]; x range [0.5, 1] widens to [0, 1], calibrated x' in [128, 255] but any int8
    // input gives x' in [0, 255]: acc1 in [-32640, 32385] (calibrated: [-16384, 16001]); 299 weights of 255
    // (h calibrated to [-2, 2]: the intermediate clamp, the unchained int8 range, is wider than any acc1)
    const { g, ranges } = twoFc([1, -1], 300, 0, false, [0.5, 1], [-2, 2]);
    const r = formChains(quantizeGraph(g, ranges, base), g, base, ranges);
    expect(r.chains).toEqual([]);
    const p = forced(g, ranges);
    const worst = chainBound(p.stages, 0, 255);
    const calibrated = chainBound(p.stages, 128, 255);
    expect(worst.bound).toBe(255 * 299 * 32640);
    expect(calibrated.bound).toBe(255 * 299 * 16384);
    expect(calibrated.fits && !worst.fits).toBe(true);
    // the input the calibration never saw: x0 = -128 (x' = 0), x1 = 127 (x' = 255): acc2 = -255 * 299 * 32640
    expect(-255 * 299 * 32640).toBeLessThan(INT32_MIN);
    expect(() => run(p, [-128, 127])).toThrow(/QT400.*beyond int32/);
  });
});

describe('chain bound is sound: never below the largest accumulator any int8 input reaches', () => {
  let s = 99;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296);
  it('80 random fc -> (relu) -> fc chains, every int8 input pair (65,536) checked', () => {
    let checked = 0;
    for (let t = 0; t < 80; t++) {
      const opts: QuantizeOptions = {
        mode: 'qtool',
        bits: 2 + Math.floor(rnd() * 7),
        granularity: rnd() < 0.5 ? 'tensor' : 'channel',
        anchor: rnd() < 0.5 ? 'min' : 'max',
        rounding: rnd() < 0.5 ? 'offset' : 'shifted',
      };
      const n1 = 1 + Math.floor(rnd() * 4);
      const g = emptyGraph('r');
      const ten = (name: string, shape: number[]) => g.tensors.set(name, { name, dtype: 'float32', shape });
      const c = (name: string, shape: number[]) => {
        g.initializers.set(name, makeTensor('float32', shape, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rnd() * 2 - 1)));
        ten(name, shape);
      };
      ten('x', [1, 2]);
      ten('h', []);
      ten('y', []);
      c('w1', [n1, 2]);
      c('b1', [n1]);
      c('w2', [2, n1]);
      c('b2', [2]);
      g.inputs.push('x');
      g.outputs.push('y');
      const act: Record<string, number> = rnd() < 0.3 ? {} : rnd() < 0.5 ? { actMin: 0 } : { actMin: 0, actMax: 0.5 };
      g.nodes.push({ name: 'fc1', op: 'fully_connected', inputs: ['x', 'w1', 'b1'], outputs: ['h'], attrs: act });
      g.nodes.push({ name: 'fc2', op: 'fully_connected', inputs: ['h', 'w2', 'b2'], outputs: ['y'], attrs: {} });
      inferShapes(g);
      const lo = -rnd() * 2;
      const ranges: Ranges = new Map([['x', { min: lo, max: lo + 0.1 + rnd() * 3 }], ['h', { min: -1, max: 1 }], ['y', { min: -2, max: 2 }]]);
      const q = quantizeGraph(g, ranges, opts);
      const p = buildChain(q, q.nodes, g, opts);
      if (typeof p === 'string') throw new Error(p);
      const off = (p.stages[0] as ChainMacStage).mac.inputOffset;
      const proof = chainBound(p.stages, -128 + off, 127 + off);
      const [s1, s2] = p.stages as [ChainMacStage, ChainMacStage];
      const a1 = adjustedWeights(s1.mac.weights);
      const a2 = adjustedWeights(s2.mac.weights);
      let max1 = 0;
      let max2 = 0;
      for (let x0 = -128; x0 <= 127; x0++)
        for (let x1 = -128; x1 <= 127; x1++) {
          const h: number[] = [];
          for (let o = 0; o < n1; o++) {
            // every partial sum in the kernel's order: bias, then term 0, then term 1
            let v = s1.mac.bias[o]!;
            max1 = Math.max(max1, Math.abs(v));
            v += a1[o * 2]! * (x0 + off);
            max1 = Math.max(max1, Math.abs(v));
            v += a1[o * 2 + 1]! * (x1 + off);
            max1 = Math.max(max1, Math.abs(v));
            if (s1.actLo) v = Math.max(v, s1.actLo[o]!);
            if (s1.actHi) v = Math.min(v, s1.actHi[o]!);
            h.push(v);
          }
          for (let o = 0; o < 2; o++) {
            let v = s2.mac.bias[o]!;
            max2 = Math.max(max2, Math.abs(v));
            for (let k = 0; k < n1; k++) {
              v += a2[o * n1 + k]! * h[k]!;
              max2 = Math.max(max2, Math.abs(v));
            }
          }
          checked++;
        }
      expect(proof.perStage[0]).toBeGreaterThanOrEqual(max1);
      expect(proof.perStage[1]).toBeGreaterThanOrEqual(max2);
    }
    expect(checked).toBe(80 * 65536);
  });
});
