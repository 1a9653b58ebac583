import { emptyGraph, makeTensor, numel, type Graph, type Tensor } from '@qtool/ir';
import { inferShapes } from '@qtool/ops';
import type { QuantizeOptions } from '@qtool/ops';

// A generator of random float models in the IR (channels-last), for differential testing of the integer
// simulator against the generated C. Every choice comes from a seeded generator, so a failing seed reproduces.

export type Rand = () => number;

export function rng(seed: number): Rand {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

export interface RandomModel {
  graph: Graph;
  options: Partial<QuantizeOptions>;
  description: string;
}

class Builder {
  g: Graph;
  n = 0;
  constructor(readonly r: Rand, name: string) {
    this.g = emptyGraph(name);
  }
  shape(v: string): number[] {
    return this.g.tensors.get(v)!.shape;
  }
  init(data: Float32Array, shape: number[]): string {
    const name = `c${this.n++}`;
    this.g.initializers.set(name, makeTensor('float32', shape, data));
    this.g.tensors.set(name, { name, dtype: 'float32', shape });
    return name;
  }
  randomInit(shape: number[], scale: number): string {
    const d = Float32Array.from({ length: numel(shape) }, () => (this.r() * 2 - 1) * scale);
    return this.init(d, shape);
  }
  node(op: string, inputs: string[], attrs: Record<string, number | number[] | boolean | string> = {}): string {
    const out = `t${this.n++}`;
    const node = { name: `${op}_${this.n}`, op, inputs, outputs: [out], attrs };
    this.g.nodes.push(node);
    this.g.tensors.set(out, { name: out, dtype: 'float32', shape: [] });
    inferShapes(this.g);
    return out;
  }
}

function act(r: Rand): Record<string, number> {
  const a = pick(r, ['none', 'none', 'relu', 'relu6'] as const);
  return a === 'relu' ? { actMin: 0 } : a === 'relu6' ? { actMin: 0, actMax: 6 } : {};
}

function conv(b: Builder, x: string): string {
  const r = b.r;
  const [, h, w, c] = b.shape(x) as [number, number, number, number];
  const depthwise = r() < 0.35;
  const kh = int(r, 1, Math.min(3, h));
  const kw = int(r, 1, Math.min(3, w));
  const dil = r() < 0.2 && h >= 5 && w >= 5 ? 2 : 1;
  const stride = r() < 0.3 ? 2 : 1;
  const pads = [int(r, 0, kh - 1), int(r, 0, kw - 1), int(r, 0, kh - 1), int(r, 0, kw - 1)];
  const cout = depthwise ? c * int(r, 1, 2) : int(r, 1, 8);
  const groups = depthwise ? c : 1;
  const wName = b.randomInit([cout, kh, kw, depthwise ? 1 : c], 0.5);
  const bias = r() < 0.8 ? b.randomInit([cout], 0.3) : '';
  return b.node('conv', [x, wName, bias], { strides: [stride, stride], dilations: [dil, dil], pads, groups, ...act(r) });
}

function pool(b: Builder, x: string): string {
  const r = b.r;
  const [, h, w] = b.shape(x) as [number, number, number, number];
  const k = [int(r, 1, Math.min(3, h)), int(r, 1, Math.min(3, w))];
  const s = [int(r, 1, 2), int(r, 1, 2)];
  const pads = [int(r, 0, k[0]! - 1), int(r, 0, k[1]! - 1), int(r, 0, k[0]! - 1), int(r, 0, k[1]! - 1)];
  const op = pick(r, ['max_pool', 'avg_pool'] as const);
  return b.node(op, [x], { kernel: k, strides: s, dilations: [1, 1], pads, ceilMode: false, ...(op === 'avg_pool' ? { countIncludePad: r() < 0.5 } : {}) });
}

function unary(b: Builder, x: string): string {
  const op = pick(b.r, ['relu', 'sigmoid', 'tanh', 'hard_swish', 'leaky_relu', 'hard_sigmoid', 'clip'] as const);
  const attrs: Record<string, number> = op === 'leaky_relu' ? { alpha: 0.1 } : op === 'hard_sigmoid' ? { alpha: 0.2, beta: 0.5 } : op === 'clip' ? { min: -0.5, max: 1 } : {};
  return b.node(op, [x], attrs);
}

function binary(b: Builder, x: string): string {
  const r = b.r;
  const op = pick(r, ['add', 'sub', 'mul'] as const);
  const shape = b.shape(x);
  // the other operand: a per-channel constant, a scalar constant, or a second branch of the same shape
  const kind = pick(r, ['channel', 'scalar', 'branch'] as const);
  let y: string;
  if (kind === 'channel') y = b.randomInit([shape[shape.length - 1]!], 1);
  else if (kind === 'scalar') y = b.randomInit([1], 1);
  else y = unary(b, x);
  return b.node(op, r() < 0.5 ? [x, y] : [y, x], op === 'mul' ? {} : act(r));
}

/** A random model: input [1,H,W,C], a few feature layers, then maybe a classifier head. */
export function randomModel(seed: number): RandomModel {
  const r = rng(seed);
  const b = new Builder(r, `rand${seed}`);
  const shape = [1, int(r, 1, 10), int(r, 1, 10), int(r, 1, 6)];
  b.g.inputs.push('x');
  b.g.tensors.set('x', { name: 'x', dtype: 'float32', shape });
  let v = 'x';
  const layers = int(r, 1, 4);
  const ops: string[] = [];
  for (let i = 0; i < layers; i++) {
    const k = pick(r, ['conv', 'conv', 'conv', 'pool', 'unary', 'binary', 'concat', 'pad'] as const);
    ops.push(k);
    if (k === 'conv') v = conv(b, v);
    else if (k === 'pool') v = pool(b, v);
    else if (k === 'unary') v = unary(b, v);
    else if (k === 'binary') v = binary(b, v);
    else if (k === 'concat') v = b.node('concat', [v, sameSpatialConv(b, v)], { axis: 3 });
    else v = b.node('pad', [v], { pads: [0, int(r, 0, 2), int(r, 0, 2), 0, 0, int(r, 0, 2), int(r, 0, 2), 0], mode: 'constant', value: 0 });
  }
  const head = pick(r, ['none', 'fc', 'fc-softmax', 'mean'] as const);
  ops.push(head);
  if (head === 'fc' || head === 'fc-softmax') {
    const n = numel(b.shape(v));
    const flat = b.node('reshape', [v], { shape: [1, n] });
    const classes = int(r, 2, 10);
    v = b.node('fully_connected', [flat, b.randomInit([classes, n], 0.3), b.randomInit([classes], 0.2)], head === 'fc' ? act(r) : {});
    if (head === 'fc-softmax') v = b.node('softmax', [v], { axis: 1 });
  } else if (head === 'mean') v = b.node('mean', [v], { axes: [1, 2], keepDims: true });
  b.g.outputs.push(v);
  const options: Partial<QuantizeOptions> = {
    bits: int(r, 2, 8),
    anchor: pick(r, ['min', 'max'] as const),
    granularity: pick(r, ['tensor', 'channel'] as const),
    rounding: pick(r, ['offset', 'shifted'] as const),
  };
  return { graph: b.g, options, description: `seed ${seed}: input [${shape}] ${ops.join(' > ')}; ${JSON.stringify(options)}` };
}

/** A 1x1 or 3x3 'same' conv keeping the spatial size, for concat's second branch. */
function sameSpatialConv(b: Builder, x: string): string {
  const r = b.r;
  const c = b.shape(x)[3]!;
  const k = pick(r, [1, 3] as const);
  const p = (k - 1) / 2;
  return b.node('conv', [x, b.randomInit([int(r, 1, 4), k, k, c], 0.5), ''], { strides: [1, 1], dilations: [1, 1], pads: [p, p, p, p], groups: 1 });
}

/** Seeded float samples in [-1, 1) for calibration and int8 inputs over the whole range for testing. */
export function floatSamples(g: Graph, seed: number, count: number): Map<string, Tensor>[] {
  const r = rng(seed);
  return Array.from({ length: count }, () => new Map(g.inputs.map((i) => {
    const t = g.tensors.get(i)!;
    return [i, makeTensor('float32', t.shape, Float32Array.from({ length: numel(t.shape) }, () => r() * 2 - 1))];
  })));
}

export function int8Inputs(g: Graph, seed: number, count: number): Tensor[][] {
  const r = rng(seed);
  return Array.from({ length: count }, () => g.inputs.map((i) => {
    const t = g.tensors.get(i)!;
    return makeTensor('int8', t.shape, Int8Array.from({ length: numel(t.shape) }, () => Math.floor(r() * 256) - 128));
  }));
}

/**
 * A random model for the Winograd F(2x2, 3x3) conv of the Cortex-M4 (runtime/qt_mac_dsp_impl.h): one or two 3x3
 * stride-1 convs on inputs whose channels are a multiple of 4 (what the kernel takes), odd and even sizes (partial
 * output tiles), pads 0..2 on each side, output channels across the kernel's chunk of 16 and its tails, then maybe
 * a fully-connected head; quantizer options as randomModel's.
 */
export function randomWinogradModel(seed: number): RandomModel {
  const r = rng(seed * 7 + 3);
  const b = new Builder(r, `wino${seed}`);
  const shape = [1, int(r, 2, 9), int(r, 2, 9), pick(r, [4, 8, 12, 16, 20] as const)];
  b.g.inputs.push('x');
  b.g.tensors.set('x', { name: 'x', dtype: 'float32', shape });
  let v = 'x';
  const layers = int(r, 1, 2);
  const ops: string[] = [];
  for (let i = 0; i < layers; i++) {
    const [, h, w, c] = b.shape(v) as [number, number, number, number];
    let pads = [int(r, 0, 2), int(r, 0, 2), int(r, 0, 2), int(r, 0, 2)];
    if (h + pads[0]! + pads[2]! < 4 || w + pads[1]! + pads[3]! < 4) pads = [2, 2, 2, 2];
    const cout = pick(r, [4, 8, 16, 20, 24, 36, 3] as const);
    const bias = r() < 0.8 ? b.randomInit([cout], 0.3) : '';
    v = b.node('conv', [v, b.randomInit([cout, 3, 3, c], 0.5), bias], { strides: [1, 1], dilations: [1, 1], pads, groups: 1, ...act(r) });
    ops.push(`conv3x3 ${c}->${cout} p${pads.join(',')}`);
  }
  if (r() < 0.5) {
    const n = numel(b.shape(v));
    const flat = b.node('reshape', [v], { shape: [1, n] });
    v = b.node('fully_connected', [flat, b.randomInit([4, n], 0.3), b.randomInit([4], 0.2)]);
    ops.push('fc');
  }
  b.g.outputs.push(v);
  const options: Partial<QuantizeOptions> = {
    bits: int(r, 2, 8),
    anchor: pick(r, ['min', 'max'] as const),
    granularity: pick(r, ['tensor', 'channel'] as const),
    rounding: pick(r, ['offset', 'shifted'] as const),
  };
  return { graph: b.g, options, description: `wino seed ${seed}: input [${shape}] ${ops.join(' > ')}; ${JSON.stringify(options)}` };
}
