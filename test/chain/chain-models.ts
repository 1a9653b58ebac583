import { emptyGraph, makeTensor, numel, type Graph } from '@qtool/ir';
import { inferShapes, type QuantizeOptions } from '@qtool/ops';
import { INT32_MAX } from '@qtool/qmath';
import { formChains, quantizeGraph, type ChainResult, type Ranges } from '@qtool/quantizer';
import { rng, type Rand } from '../diff/random-models.js';

// Random models made of what chains are made of: conv (plain, depthwise, grouped; strides, dilations, padding;
// fused ReLU / ReLU6 / none) -> max_pool? -> relu? -> conv ... -> reshape -> fully_connected, with 2..8-bit
// weights, both anchors, both roundings, per-tensor and per-channel. Seeded: a failing seed reproduces.

const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

export interface ChainModel {
  graph: Graph;
  options: Partial<QuantizeOptions> & { bits: number };
  description: string;
}

export function randomChainModel(seed: number): ChainModel {
  const r = rng(seed * 104729 + 17);
  const g = emptyGraph(`chain${seed}`);
  let n = 0;
  const tensor = (shape: number[] = []) => {
    const name = `t${n++}`;
    g.tensors.set(name, { name, dtype: 'float32', shape });
    return name;
  };
  const init = (shape: number[], scale: number) => {
    const name = `c${n++}`;
    g.initializers.set(name, makeTensor('float32', shape, Float32Array.from({ length: numel(shape) }, () => (r() * 2 - 1) * scale)));
    g.tensors.set(name, { name, dtype: 'float32', shape });
    return name;
  };
  const node = (op: string, inputs: string[], attrs: Record<string, number | number[] | boolean | string>) => {
    const out = tensor();
    g.nodes.push({ name: `${op}_${n}`, op, inputs, outputs: [out], attrs });
    inferShapes(g);
    return out;
  };
  const shapeOf = (v: string) => g.tensors.get(v)!.shape;
  const act = (): Record<string, number> => pick<Record<string, number>>(r, [{}, { actMin: 0 }, { actMin: 0 }, { actMin: 0, actMax: 6 }]);
  const x = 'x';
  const inShape = [1, int(r, 3, 9), int(r, 3, 9), int(r, 1, 4)];
  g.tensors.set(x, { name: x, dtype: 'float32', shape: inShape });
  g.inputs.push(x);
  let v = x;
  const ops: string[] = [];
  const convs = int(r, 1, 3);
  for (let i = 0; i < convs; i++) {
    const [, h, w, c] = shapeOf(v) as [number, number, number, number];
    const kind = pick(r, ['plain', 'plain', 'depthwise', 'grouped'] as const);
    const groups = kind === 'depthwise' ? c : kind === 'grouped' && c % 2 === 0 ? 2 : 1;
    const cout = kind === 'depthwise' ? c * int(r, 1, 2) : groups * int(r, 1, 4);
    const kh = int(r, 1, Math.min(3, h));
    const kw = int(r, 1, Math.min(3, w));
    const pads = [int(r, 0, kh - 1), int(r, 0, kw - 1), int(r, 0, kh - 1), int(r, 0, kw - 1)];
    const stride = r() < 0.25 ? 2 : 1;
    const dil = r() < 0.15 && h >= 5 && w >= 5 ? 2 : 1;
    v = node('conv', [v, init([cout, kh, kw, c / groups], 0.6), r() < 0.8 ? init([cout], 0.4) : ''], { strides: [stride, stride], dilations: [dil, dil], pads, groups, ...act() });
    ops.push(`conv(${kind} k${kh}x${kw} s${stride} d${dil} p${pads.join(',')} g${groups} -> ${cout})`);
    const [, h2, w2] = shapeOf(v) as [number, number, number, number];
    if (r() < 0.4 && h2 >= 2 && w2 >= 2) {
      const k = int(r, 2, Math.min(3, h2, w2));
      const pad = r() < 0.3 ? 1 : 0;
      // stride = kernel without padding: the windows that qt_chain_conv_pool computes without storing the conv output
      const tiled = r() < 0.4;
      v = node('max_pool', [v], { kernel: [k, k], strides: tiled ? [k, k] : [int(r, 1, 2), int(r, 1, 2)], dilations: [1, 1], pads: tiled ? [0, 0, 0, 0] : [pad, pad, pad, pad].map((p) => Math.min(p, k - 1)), ceilMode: !tiled && r() < 0.2 });
      ops.push(`max_pool ${k}`);
    }
    if (r() < 0.2) {
      v = node('relu', [v], {});
      ops.push('relu');
    }
  }
  const flat = node('reshape', [v], { shape: [1, numel(shapeOf(v))] });
  const k = numel(shapeOf(flat));
  const classes = int(r, 2, 10);
  v = node('fully_connected', [flat, init([classes, k], 0.3), init([classes], 0.2)], r() < 0.3 ? { actMin: 0 } : {});
  ops.push('reshape', 'fully_connected');
  if (r() < 0.3) {
    v = node('fully_connected', [v, init([int(r, 2, 6), shapeOf(v)[1]!], 0.5), ''], {});
    ops.push('fully_connected');
  }
  g.outputs.push(v);
  const options = {
    bits: int(r, 2, 8),
    anchor: pick(r, ['min', 'max'] as const),
    granularity: pick(r, ['tensor', 'channel'] as const),
    rounding: pick(r, ['offset', 'shifted'] as const),
  };
  return { graph: g, options, description: `chain seed ${seed}: input [${inShape}] ${ops.join(' > ')}; ${JSON.stringify(options)}` };
}

/**
 * A chain whose proven bound is exactly INT32_MAX, reached by the input [127, 127]: x [1, 2] in [0, 1] (x' in
 * [0, 255]) -> fc 130 x [1, 0] + ReLU (acc1 <= 255 * 255 = 65025) -> fc [1 x 129, 0] + bias, so acc2 = bias +
 * 255 * 129 * 65025 at x = [127, 127]; the float bias is tuned until the bound is the limit. The output scale
 * keeps INT32_MAX * s (about 129.5) inside the int8 range.
 */
export function tightChain(): ChainResult {
  const build = (b2: number) => {
    const g = emptyGraph('tight');
    const t = (name: string, shape: number[]) => g.tensors.set(name, { name, dtype: 'float32', shape });
    const c = (name: string, shape: number[], data: number[]) => {
      g.initializers.set(name, makeTensor('float32', shape, Float32Array.from(data)));
      t(name, shape);
    };
    t('x', [1, 2]);
    t('h', []);
    t('y', []);
    c('w1', [130, 2], Array.from({ length: 260 }, (_, i) => (i % 2 ? 0 : 1)));
    c('w2', [1, 130], Array.from({ length: 130 }, (_, i) => (i === 129 ? 0 : 1)));
    c('b2', [1], [b2]);
    g.inputs.push('x');
    g.outputs.push('y');
    g.nodes.push({ name: 'fc1', op: 'fully_connected', inputs: ['x', 'w1', ''], outputs: ['h'], attrs: { actMin: 0 } });
    g.nodes.push({ name: 'fc2', op: 'fully_connected', inputs: ['h', 'w2', 'b2'], outputs: ['y'], attrs: {} });
    inferShapes(g);
    const ranges: Ranges = new Map([['x', { min: 0, max: 1 }], ['h', { min: 0, max: 1 }], ['y', { min: -1, max: 140 }]]);
    const opts: QuantizeOptions = { mode: 'qtool', bits: 8, granularity: 'tensor', anchor: 'min', rounding: 'offset' };
    return formChains(quantizeGraph(g, ranges, opts), g, opts, ranges);
  };
  const unit = 16581375; // 1 / (s_x * s_w1 * s_w2) = 255^3
  let b2 = (INT32_MAX - 255 * 129 * 65025) / unit;
  let r = build(b2);
  for (let i = 0; i < 4 && r.chains[0]?.bound !== INT32_MAX; i++) {
    b2 += (INT32_MAX - (r.chains[0]?.bound ?? INT32_MAX + 1)) / unit;
    r = build(b2);
  }
  return r;
}
