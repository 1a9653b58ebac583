import { fail, makeTensor, type Node, type Tensor } from '@qtool/ir';
import { INT32_MAX, clamp, mulByQuantizedMultiplierTflite, requant, type FixedMultiplier } from '@qtool/qmath';
import { adjustedWeights, type ActQuant, type QuantizeContext, type RoundingMode, type WeightQuant } from '../quant.js';
import { attrOptNumber } from '../util.js';

// The integer side shared by the multiply-accumulate ops conv, fully_connected and matmul (docs/arithmetic.md,
// "conv, fully_connected, matmul"): acc[c] = bias[c] + sum adj[c,k] * x'[k] in int32, x' = x + inputOffset,
// y = clamp(R(acc, m[c], s[c]) + outputOffset, lo, hi). `quantize` (Prepare) does the float math and proves the
// int32 bound; `evalInt` (Eval) only reads the parameters below.

/**
 * Integer parameters of a weighted MAC op (conv, fully_connected). The simulator and the C emitter read this one
 * object; nothing here is recomputed at run time except the adjusted weights, which are `q` and `offset` by
 * definition (a C kernel may fold the offset per output instead: docs/arithmetic.md).
 */
export interface MacParams {
  /** Rounding contract of R: `requant` (qtool) or `mulByQuantizedMultiplierTflite` (tflite). */
  mode: RoundingMode;
  /** -zeroPoint of the input: added to every input value (a padded cell holds the zero point, so adds 0). */
  inputOffset: number;
  /** zeroPoint of the output: added after requantization. */
  outputOffset: number;
  /** Stored weights, per tensor or per output channel (axis 0); adjusted weight `q + o` (min) or `o - q` (max). */
  weights: WeightQuant;
  /** int32 bias per output channel, at scale s_w[c] * s_x (zeros when the op has none). */
  bias: Int32Array;
  /** Requantization multipliers M[c] = s_w[c] * s_x / s_y: one entry (per-tensor weights) or one per output channel. */
  multipliers: FixedMultiplier[];
  /** Output clamp: int8 range intersected with the fused activation quantized at the output scale. */
  clampLo: number;
  clampHi: number;
}

/** The requantization function of a rounding contract. C: qt_requant() / qt_mul_tfl() */
export function requantizer(mode: RoundingMode): (acc: number, m: number, s: number) => number {
  return mode === 'tflite' ? mulByQuantizedMultiplierTflite : requant;
}

/** y = clamp(R(acc, m, s) + outputOffset, lo, hi): the one output step of every MAC op. */
export function outputStep(r: (acc: number, m: number, s: number) => number, acc: number, f: FixedMultiplier, outputOffset: number, lo: number, hi: number): number {
  return clamp(r(acc, f.multiplier, f.shift) + outputOffset, lo, hi);
}

/** The largest |x'| for an int8 input with this offset: max(|-128 + off|, |127 + off|). */
export function maxAbsInput(inputOffset: number): number {
  return Math.max(Math.abs(-128 + inputOffset), Math.abs(127 + inputOffset));
}

/** Refuses anything but int8 activations: these kernels take and produce int8. */
export function int8Act(node: Node, ctx: QuantizeContext, tensor: string): ActQuant {
  const q = ctx.act(tensor);
  if (q.dtype !== 'int8') fail('QT400', `${node.op}: tensor '${tensor}' is ${q.dtype}; the integer kernel is int8 only`, { node: node.name });
  return q;
}

/**
 * The output clamp [lo, hi]: the int8 range intersected with the fused activation's bounds (attrs actMin/actMax)
 * quantized at the output scale, lo = max(-128, zp + round(actMin / s)), rounding half away from zero (TFLite's
 * CalculateActivationRangeQuantized).
 */
export function outputClamp(node: Node, y: ActQuant): { clampLo: number; clampHi: number } {
  const aMin = attrOptNumber(node, 'actMin');
  const aMax = attrOptNumber(node, 'actMax');
  const q = (v: number) => y.zeroPoint + (v < 0 ? -Math.round(-v / y.scale) : Math.round(v / y.scale));
  const clampLo = aMin === undefined ? -128 : Math.max(-128, Math.min(127, q(aMin)));
  const clampHi = aMax === undefined ? 127 : Math.min(127, Math.max(-128, q(aMax)));
  if (clampLo > clampHi) fail('QT400', `${node.op}: fused activation [${aMin}, ${aMax}] leaves no int8 output value`, { node: node.name });
  return { clampLo, clampHi };
}

/**
 * Prepare for a weighted MAC op (conv, fully_connected): weights per output channel along axis 0 of W, bias at
 * s_w[c] * s_x, one multiplier per weight scale, the output clamp, and the int32 accumulator proof.
 */
export function quantizeMac(node: Node, ctx: QuantizeContext): MacParams {
  const [xName, wName, bName] = node.inputs;
  const yName = node.outputs[0];
  if (!xName || !wName || !yName) fail('QT400', `${node.op}: needs an input, weights and an output`, { node: node.name });
  const x = int8Act(node, ctx, xName);
  const y = int8Act(node, ctx, yName);
  // A bias must stay representable at s_w[c] * s_x: |bias| / (s_w * s_x) <= 2^30 leaves half of int32 to the
  // products (the proof below checks the sum). Only a channel with (almost) zero weights and a bias needs it.
  const biasFloor = bName && ctx.options.mode === 'qtool' ? Array.from(ctx.constant(bName), (b) => Math.abs(b) / (x.scale * 2 ** 30)) : undefined;
  const weights = ctx.weights(wName, 0, biasFloor);
  const cout = weights.shape[0]!;
  if (weights.scale.length !== 1 && weights.scale.length !== cout)
    fail('QT400', `${node.op}: ${weights.scale.length} weight scales for ${cout} output channels`, { node: node.name });
  if (weights.scale.length > 1 && weights.axis !== 0)
    fail('QT400', `${node.op}: per-channel weights must be along axis 0, got axis ${weights.axis}`, { node: node.name });
  const perChannel = weights.scale.length > 1;
  const scaleOf = (c: number) => weights.scale[perChannel ? c : 0]!;
  const biasScales = Array.from({ length: cout }, (_, c) => scaleOf(c) * x.scale);
  const bias = ctx.bias(bName || undefined, biasScales, cout);
  const multipliers = weights.scale.map((s) => ctx.multiplier((s * x.scale) / y.scale));
  const params: MacParams = {
    mode: ctx.options.mode,
    inputOffset: -x.zeroPoint,
    outputOffset: y.zeroPoint,
    weights,
    bias,
    multipliers,
    ...outputClamp(node, y),
  };
  checkAccumulator(node, params);
  return params;
}

/**
 * The int32 proof: per output channel, |bias| + sum |adj| * max|x'| <= 2^31 - 1, or QT400 naming the node.
 * Then every partial sum of the kernel fits int32 too, whatever the input and the summation order.
 */
export function checkAccumulator(node: Node, p: MacParams): void {
  const adj = adjustedWeights(p.weights);
  const cout = p.weights.shape[0]!;
  const per = adj.length / cout;
  const maxX = maxAbsInput(p.inputOffset);
  for (let c = 0; c < cout; c++) {
    let s = 0;
    for (let i = c * per; i < (c + 1) * per; i++) s += Math.abs(adj[i]!);
    const bound = Math.abs(p.bias[c]!) + s * maxX;
    if (bound > INT32_MAX)
      fail(
        'QT400',
        `${node.op}: output channel ${c} can accumulate ${bound} (|bias| ${Math.abs(p.bias[c]!)} + ${s} * ${maxX}), beyond int32; ` +
          'use fewer weight bits or split the layer',
        { node: node.name },
      );
  }
}

/** The node's integer parameters, or QT400 when the node was never quantized. */
export function paramsOf<T>(node: Node): T {
  if (node.params === undefined) fail('QT400', `${node.op}: no integer parameters (the node was not quantized)`, { node: node.name });
  return node.params as T;
}

/** An int8 input of evalInt, or QT203 naming the node. */
export function int8Input(node: Node, inputs: (Tensor | undefined)[], i: number): Tensor {
  const t = inputs[i];
  if (!t) fail('QT201', `${node.op}: input ${i} is required`, { node: node.name });
  if (t.dtype !== 'int8') fail('QT203', `${node.op}: integer kernel takes int8, input ${i} is ${t.dtype}`, { node: node.name });
  return t;
}

export function int8Tensor(shape: readonly number[], data: Int8Array): Tensor {
  return makeTensor('int8', shape, data);
}

/** Adjusted weights of a MAC op, computed once per WeightQuant object (the simulator runs a graph many times). */
const adjustedCache = new WeakMap<WeightQuant, Int32Array>();
export function adjustedOf(w: WeightQuant): Int32Array {
  let a = adjustedCache.get(w);
  if (!a) {
    a = adjustedWeights(w);
    adjustedCache.set(w, a);
  }
  return a;
}
