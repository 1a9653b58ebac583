import { hasQdqAnnotations, qdqToQuantized } from './qdq.js';
import { cloneGraph, fail, isFloat, makeTensor, producers, pruneUnused, QtError, type Graph, type Tensor } from '@qtool/ir';
import { opOf, type ActQuant, type QuantizeOptions, type WeightQuant } from '@qtool/ops';
import { actQuantFromRange, quantizeValue } from './activations.js';
import type { Ranges } from './calibrate.js';
import { Context } from './context.js';

// The quantizer's driver: float graph + calibrated ranges -> integer graph (int8 activations, node.params).

/** Ops whose output keeps the input's parameters (docs/arithmetic.md): no requantization, exact data movement. */
const keepsInputParams = new Set(['max_pool', 'avg_pool', 'mean', 'reshape', 'transpose', 'pad']);

export const defaultQuantizeOptions: QuantizeOptions = {
  mode: 'qtool',
  bits: 8,
  granularity: 'channel',
  anchor: 'min',
  rounding: 'offset',
};

/** Our scheme on a float graph, from calibrated ranges. */
export function quantizeGraph(float: Graph, ranges: Ranges, options: Partial<QuantizeOptions> = {}): Graph {
  const opts: QuantizeOptions = { ...defaultQuantizeOptions, ...options, mode: 'qtool' };
  const g = cloneGraph(float);
  for (const t of g.tensors.values())
    if (!g.initializers.has(t.name) && !isFloat(t.dtype))
      fail('QT400', `tensor '${t.name}' is ${t.dtype}; our scheme quantizes float models (use --keep-quant for quantized ones)`);
  const acts = new Map<string, ActQuant>();
  const rangeOf = (name: string) => {
    const r = ranges.get(name);
    if (!r) fail('QT401', `no calibration range for tensor '${name}'`);
    return r;
  };
  for (const i of g.inputs) acts.set(i, actQuantFromRange(rangeOf(i).min, rangeOf(i).max));
  for (const n of g.nodes) {
    const out = n.outputs[0]!;
    const x = n.inputs[0];
    if (keepsInputParams.has(n.op) && x && acts.has(x)) acts.set(out, acts.get(x)!);
    else if (n.op === 'softmax') acts.set(out, { dtype: 'int8', scale: 1 / 256, zeroPoint: -128 });
    else acts.set(out, actQuantFromRange(rangeOf(out).min, rangeOf(out).max));
    // constants read as data (not weights) become int8 tensors with their own range
    for (const i of n.inputs) if (i && g.initializers.has(i) && !acts.has(i)) acts.set(i, constQuant(g.initializers.get(i)!));
  }
  return finish(g, acts, opts);
}

/**
 * Which TFLite a kept model matches bit for bit. 'reference': TFLite's reference kernels, which TFLite Micro
 * and CMSIS-NN follow (double rounding everywhere). 'interpreter': the desktop TFLite interpreter's optimized
 * kernels, whose conv and fully-connected output stage (ruy) rounds once, exactly as qtool's `requant`.
 */
export type TfliteFlavor = 'reference' | 'interpreter';

/** The ops whose requantization the TFLite interpreter does with one rounding (measured: test/tflite/keep-quant). */
const singleRoundingInInterpreter = new Set(['conv', 'fully_connected']);

/**
 * TFLite-compatible mode: a graph that arrived quantized keeps its own parameters and TFLite's rounding.
 * A float input followed by QUANTIZE, or DEQUANTIZE before a float output, marks the integer model's boundary.
 */
export function quantizeKeep(raw: Graph, options: Partial<QuantizeOptions> = {}, flavor: TfliteFlavor = 'reference'): Graph {
  const opts: QuantizeOptions = { ...defaultQuantizeOptions, ...options, mode: 'tflite', bits: 8 };
  const g = stripBoundary(hasQdqAnnotations(raw) ? qdqToQuantized(raw) : cloneGraph(raw));
  const acts = new Map<string, ActQuant>();
  for (const t of g.tensors.values()) {
    if (g.initializers.has(t.name)) {
      // an integer constant read as data keeps its own per-tensor parameters
      if (t.quant?.scale.length === 1) acts.set(t.name, { dtype: t.dtype === 'int16' ? 'int16' : 'int8', scale: t.quant.scale[0]!, zeroPoint: t.quant.zeroPoint[0]! });
      continue;
    }
    if (t.dtype !== 'int8' && t.dtype !== 'int16') fail('QT400', `--keep-quant: tensor '${t.name}' is ${t.dtype}, expected a quantized (int8) model`);
    if (!t.quant || t.quant.scale.length !== 1) fail('QT400', `--keep-quant: activation '${t.name}' needs per-tensor quantization parameters`);
    acts.set(t.name, { dtype: t.dtype, scale: t.quant.scale[0]!, zeroPoint: t.quant.zeroPoint[0]! });
  }
  const q = finish(g, acts, opts);
  if (flavor === 'interpreter')
    for (const n of q.nodes) if (singleRoundingInInterpreter.has(n.op)) (n.params as { mode: string }).mode = 'qtool';
  return q;
}

function finish(g: Graph, acts: Map<string, ActQuant>, opts: QuantizeOptions): Graph {
  const cache = new Map<string, WeightQuant>();
  const errors: QtError[] = [];
  for (const n of g.nodes) {
    const def = opOf(n);
    if (!def.quantize || !def.evalInt) {
      errors.push(new QtError({ code: 'QT400', message: `${n.op} has no integer kernel`, where: { node: n.name } }));
      continue;
    }
    const ctx = new Context(opts, g, acts, n.name, cache);
    try {
      n.params = def.quantize(n, ctx);
      // inputs taken as parameters (weights, biases, slopes) are no longer tensor inputs of this node
      n.inputs = n.inputs.map((i) => (i && ctx.consumed.has(i) ? '' : i));
    } catch (e) {
      if (e instanceof QtError) errors.push(e);
      else throw e;
    }
  }
  if (errors.length) throw new QtError(errors.flatMap((e) => e.diagnostics));
  pruneUnused(g);
  // constants still read as tensors become int8 data with their own parameters
  for (const [name, t] of g.initializers) {
    if (!isFloat(t.dtype)) continue;
    const q = acts.get(name)!;
    const data = new Int8Array(t.data.length);
    for (let i = 0; i < data.length; i++) data[i] = quantizeValue(Number(t.data[i]), q);
    g.initializers.set(name, makeTensor('int8', t.shape, data));
  }
  for (const [name, q] of acts) {
    const t = g.tensors.get(name);
    if (t) g.tensors.set(name, { ...t, dtype: q.dtype, quant: { scale: [q.scale], zeroPoint: [q.zeroPoint] } });
  }
  return g;
}

function constQuant(t: Tensor): ActQuant {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < t.data.length; i++) {
    const v = Number(t.data[i]);
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return actQuantFromRange(lo, hi);
}

/** Removes QUANTIZE after float inputs and DEQUANTIZE before float outputs (the integer model's boundary). */
function stripBoundary(g: Graph): Graph {
  const prod = producers(g);
  g.inputs = g.inputs.map((i) => {
    const t = g.tensors.get(i)!;
    if (!isFloat(t.dtype)) return i;
    const q = g.nodes.find((n) => n.op === 'quantize' && n.inputs[0] === i);
    if (!q || g.nodes.some((n) => n !== q && n.inputs.includes(i))) fail('QT400', `--keep-quant: float input '${i}' is not followed by a single QUANTIZE`);
    g.nodes = g.nodes.filter((n) => n !== q);
    return q.outputs[0]!;
  });
  g.outputs = g.outputs.map((o) => {
    const t = g.tensors.get(o)!;
    if (!isFloat(t.dtype)) return o;
    const d = prod.get(o);
    if (!d || d.op !== 'dequantize') fail('QT400', `--keep-quant: float output '${o}' is not produced by DEQUANTIZE`);
    g.nodes = g.nodes.filter((n) => n !== d);
    return d.inputs[0]!;
  });
  return g;
}
