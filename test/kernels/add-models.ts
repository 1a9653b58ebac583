import { emptyGraph, type Graph } from '@qtool/ir';
import { inferShapes, type AddParams } from '@qtool/ops';
import { calibrate, quantizeGraph } from '@qtool/quantizer';
import { floatSamples, rng, type Rand } from '../diff/random-models.js';

// Random add / sub models for the fast elementwise kernels (runtime/qt_elementwise_{dsp,mve}.c): two int8 inputs
// of one random shape (or a broadcast second operand, which keeps the portable kernel), one or two add / sub
// layers, quantized as usual and then given random integer parameters of either rounding contract (offsets,
// multipliers, shifts including the ones the fast kernels hand back to qt_rq, clamps), so that the tables and the
// output requantization meet values calibration alone would not produce.

const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

export interface AddModel {
  graph: Graph;
  description: string;
}

function randomParams(r: Rand, p: AddParams): AddParams {
  const mode = pick(r, ['qtool', 'tflite'] as const);
  const mult = () => int(r, 2 ** 30, 2 ** 31 - 1);
  // small input shifts make small sums, and small output shifts on them meet rounding ties often
  const small = r() < 0.3;
  const inShift = () => (small ? int(r, -28, -16) : int(r, -12, 0));
  const outShift = small ? int(r, -4, 0) : r() < 0.8 ? int(r, -24, -16) : int(r, -31, 0);
  const lo = r() < 0.5 ? -128 : int(r, -128, 60);
  const hi = r() < 0.5 ? 127 : int(r, Math.max(lo, -20), 127);
  return {
    ...p,
    mode,
    input1Offset: int(r, -127, 128),
    input2Offset: int(r, -127, 128),
    input1Multiplier: mult(),
    input1Shift: inShift(),
    input2Multiplier: mult(),
    input2Shift: inShift(),
    outputMultiplier: r() < 0.1 ? int(r, 0, 2 ** 30 - 1) : mult(),
    outputShift: outShift,
    outputOffset: int(r, -128, 127),
    outMin: lo,
    outMax: hi,
  };
}

export function randomAddModel(seed: number): AddModel {
  const r = rng(seed);
  const g = emptyGraph(`add${seed}`);
  const shape = [1, int(r, 1, 12), int(r, 1, 12), int(r, 1, 19)];
  const broadcast = r() < 0.15;
  const bShape = broadcast ? [1, 1, 1, shape[3]!] : shape;
  for (const [n, s] of [['a', shape], ['b', bShape]] as const) {
    g.inputs.push(n);
    g.tensors.set(n, { name: n, dtype: 'float32', shape: [...s] });
  }
  const ops: string[] = [];
  let v = 'a';
  const layers = int(r, 1, 2);
  for (let i = 0; i < layers; i++) {
    const op = pick(r, ['add', 'sub'] as const);
    const ins = i === 0 ? (r() < 0.5 || broadcast ? ['a', 'b'] : ['b', 'a']) : [v, 'a'];
    const out = `t${i}`;
    const a = pick(r, ['none', 'relu', 'relu6'] as const);
    const attrs: Record<string, number> = a === 'relu' ? { actMin: 0 } : a === 'relu6' ? { actMin: 0, actMax: 6 } : {};
    g.nodes.push({ name: `${op}_${i}`, op, inputs: ins, outputs: [out], attrs });
    g.tensors.set(out, { name: out, dtype: 'float32', shape: [] });
    inferShapes(g);
    ops.push(`${op}(${ins.join(', ')})`);
    v = out;
  }
  g.outputs.push(v);
  const q = quantizeGraph(g, calibrate(g, floatSamples(g, seed, 4)), {});
  const modes: string[] = [];
  for (const n of q.nodes)
    if (n.op === 'add' || n.op === 'sub') {
      n.params = randomParams(r, n.params as AddParams);
      modes.push((n.params as AddParams).mode);
    }
  return { graph: q, description: `seed ${seed}: [${shape}]${broadcast ? ` with [${bShape}]` : ''} ${ops.join(' > ')}; ${modes.join(', ')}` };
}
