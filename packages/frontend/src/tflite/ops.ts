import { makeTensor, numel, type Attrs, type QuantParams } from '@qtool/ir';
import type { OpContext } from './context.js';
import { tflitePads2d } from './padding.js';
import {
  OptionsType, activationOption, concatenationOptions, conv2DOptions, depthwiseConv2DOptions, fullyConnectedOptions,
  leakyReluAlpha, pool2DOptions, reducerKeepDims, reshapeNewShape, softmaxBeta, squeezeDims, type Padding,
} from './schema.js';

// The TFLite builtin operators qtool reads, as data: builtin name -> the BuiltinOptions member it carries and
// the function that writes its IR nodes (docs/ir.md). An operator not in this table is reported (QT121).

export interface TfliteOpMapping {
  /** BuiltinOptions union member the operator carries (checked when present). */
  options?: number;
  /** IR ops it becomes, for documentation and `inspect`. */
  ir: readonly string[];
  import(ctx: OpContext): void;
}

function checkPadding(ctx: OpContext, p: Padding | number): Padding {
  if (typeof p === 'number') ctx.fail('QT120', `padding enum value ${p} is not SAME or VALID`);
  return p;
}

function checkPositive(ctx: OpContext, values: Record<string, number>): void {
  for (const [k, v] of Object.entries(values)) if (!(v >= 1)) ctx.fail('QT123', `${k} is ${v}, must be >= 1`);
}

function conv2d(ctx: OpContext): void {
  const o = conv2DOptions(ctx.options);
  const padding = checkPadding(ctx, o.padding);
  checkPositive(ctx, { stride_h: o.strideH, stride_w: o.strideW, dilation_h_factor: o.dilationH, dilation_w_factor: o.dilationW });
  const x = ctx.shape(0, 4);
  const w = ctx.shape(1, 4); // OHWI, the IR conv layout
  if (w[3]! < 1 || x[3]! % w[3]! !== 0) ctx.fail('QT123', `input has ${x[3]} channels, filter expects a divisor, got ${w[3]}`);
  ctx.emit('conv', [ctx.input(0), ctx.input(1), ctx.optInput(2)], [ctx.output()], {
    strides: [o.strideH, o.strideW],
    dilations: [o.dilationH, o.dilationW],
    pads: tflitePads2d(padding, x[1]!, x[2]!, w[1]!, w[2]!, o.strideH, o.strideW, o.dilationH, o.dilationW),
    groups: x[3]! / w[3]!,
    ...ctx.activation(o.activation),
  });
}

/**
 * DEPTHWISE_CONV_2D filter [1,KH,KW,Cin*mult] -> IR conv filter [Cout,KH,KW,1] with groups=Cin: output channel
 * o = c*mult + m reads input channel c = floor(o/mult), the IR group rule. Per-channel quantization on the
 * filter's dimension 3 moves to axis 0.
 */
function depthwiseConv2d(ctx: OpContext): void {
  const o = depthwiseConv2DOptions(ctx.options);
  const padding = checkPadding(ctx, o.padding);
  checkPositive(ctx, { stride_h: o.strideH, stride_w: o.strideW, dilation_h_factor: o.dilationH, dilation_w_factor: o.dilationW });
  const x = ctx.shape(0, 4);
  const w = ctx.shape(1, 4);
  const cin = x[3]!;
  const cout = w[3]!;
  if (w[0] !== 1) ctx.fail('QT123', `depthwise filter [${w}] must have leading dimension 1`);
  if (cin < 1 || cout % cin !== 0) ctx.fail('QT123', `filter has ${cout} channels, not a multiple of the ${cin} input channels`);
  const [kh, kw] = [w[1]!, w[2]!];
  const wInfo = ctx.info(1);
  const quant: QuantParams | undefined = wInfo.quant && {
    ...wInfo.quant,
    axis: wInfo.quant.scale.length > 1 ? relayoutAxis(ctx, wInfo.quant.axis) : wInfo.quant.axis,
  };
  if (quant && quant.scale.length <= 1) delete quant.axis;
  let weights: string;
  const c = ctx.constant(1);
  if (c) {
    const src = c.data;
    const dst = makeTensor(c.dtype, [cout, kh, kw, 1]);
    const hw = kh * kw;
    for (let p = 0; p < hw; p++) for (let ch = 0; ch < cout; ch++) (dst.data as Float32Array)[ch * hw + p] = src[p * cout + ch] as number;
    const name = ctx.input(1);
    if ((ctx.uses.get(name) ?? 0) <= 1 && !ctx.g.outputs.includes(name)) {
      // Only this operator reads the filter: re-lay it in place, keeping its name.
      ctx.g.initializers.set(name, dst);
      ctx.g.tensors.set(name, { name, dtype: c.dtype, shape: [cout, kh, kw, 1], quant });
      weights = name;
    } else weights = ctx.constantTensor(`${name}/ohwi`, dst, quant);
  } else {
    weights = ctx.temp('filter_ohwi', wInfo.dtype, [cout, kh, kw, 1], quant);
    ctx.emit('transpose', [ctx.input(1)], [weights], { perm: [3, 1, 2, 0] });
  }
  ctx.emit('conv', [ctx.input(0), weights, ctx.optInput(2)], [ctx.output()], {
    strides: [o.strideH, o.strideW],
    dilations: [o.dilationH, o.dilationW],
    pads: tflitePads2d(padding, x[1]!, x[2]!, kh, kw, o.strideH, o.strideW, o.dilationH, o.dilationW),
    groups: cin,
    ...ctx.activation(o.activation),
  });
}

function relayoutAxis(ctx: OpContext, axis: number | undefined): number {
  if (axis === 3) return 0;
  if (axis === 0) return 3; // per-channel over the size-1 leading dimension cannot happen (one scale); kept for symmetry
  ctx.fail('QT122', `depthwise filter quantized along dimension ${axis}, expected 3`);
}

function fullyConnected(ctx: OpContext): void {
  const o = fullyConnectedOptions(ctx.options);
  if (o.weightsFormat !== 0) ctx.fail('QT122', `weights_format ${o.weightsFormat} (shuffled weights) is not supported`);
  const x = ctx.info(0);
  const w = ctx.shape(1, 2);
  const k = w[1]!;
  let input = ctx.input(0);
  if (!o.keepNumDims && !(x.shape.length === 2 && x.shape[1] === k)) {
    // keep_num_dims=false: TFLite flattens the input to [numel/K, K].
    const n = numel(x.shape);
    if (k < 1 || n % k !== 0) ctx.fail('QT123', `input [${x.shape}] cannot be flattened to rows of ${k}`);
    const flat = ctx.temp('flatten', x.dtype, [n / k, k], x.quant);
    ctx.emit('reshape', [input], [flat], { shape: [n / k, k] });
    input = flat;
  }
  ctx.emit('fully_connected', [input, ctx.input(1), ctx.optInput(2)], [ctx.output()], ctx.activation(o.activation));
}

function binary(op: string): TfliteOpMapping['import'] {
  return (ctx) => {
    ctx.emit(op, [ctx.input(0), ctx.input(1)], [ctx.output()], ctx.activation(activationOption(ctx.options)));
  };
}

function pool(op: 'max_pool' | 'avg_pool'): TfliteOpMapping['import'] {
  return (ctx) => {
    const o = pool2DOptions(ctx.options);
    const padding = checkPadding(ctx, o.padding);
    checkPositive(ctx, { stride_h: o.strideH, stride_w: o.strideW, filter_height: o.filterH, filter_width: o.filterW });
    const x = ctx.shape(0, 4);
    const attrs: Attrs = {
      kernel: [o.filterH, o.filterW],
      strides: [o.strideH, o.strideW],
      dilations: [1, 1],
      pads: tflitePads2d(padding, x[1]!, x[2]!, o.filterH, o.filterW, o.strideH, o.strideW),
      ceilMode: false,
    };
    // TFLite averages over the window cells inside the input only.
    if (op === 'avg_pool') attrs.countIncludePad = false;
    ctx.emitWithActivation(op, [ctx.input(0)], attrs, o.activation, false);
  };
}

/** Resolves one -1 in a target shape against the element count. */
function resolveShape(ctx: OpContext, shape: number[], count: number): number[] {
  const known = shape.filter((d) => d !== -1);
  if (shape.length - known.length > 1 || known.some((d) => d < 0)) ctx.fail('QT123', `new shape [${shape}] is invalid`);
  if (known.length === shape.length) return shape;
  const rest = numel(known);
  if (rest === 0 || count % rest !== 0) ctx.fail('QT123', `new shape [${shape}] does not fit ${count} elements`);
  return shape.map((d) => (d === -1 ? count / rest : d));
}

function reshape(ctx: OpContext): void {
  const count = numel(ctx.info(0).shape);
  // The shape operand (input 1) wins over the options, as in TFLite's kernel; without either, the file's output shape.
  let target: number[] | undefined;
  if (ctx.optInput(1)) target = ctx.constant(1) ? ctx.constInts(1, 'shape') : undefined;
  target ??= reshapeNewShape(ctx.options);
  if (!target || (target.length === 0 && count !== 1)) target = ctx.outInfo().shape;
  ctx.emit('reshape', [ctx.input(0)], [ctx.output()], { shape: resolveShape(ctx, target, count) });
}

function squeeze(ctx: OpContext): void {
  const s = ctx.info(0).shape;
  const dims = squeezeDims(ctx.options).map((d) => (d < 0 ? d + s.length : d));
  const shape = s.filter((d, i) => (dims.length ? !dims.includes(i) : d !== 1));
  ctx.emit('reshape', [ctx.input(0)], [ctx.output()], { shape });
}

function normAxes(ctx: OpContext, axes: number[], rank: number): number[] {
  const out = axes.map((a) => (a < 0 ? a + rank : a));
  if (out.some((a) => a < 0 || a >= rank)) ctx.fail('QT123', `axes [${axes}] out of range for rank ${rank}`);
  return [...new Set(out)].sort((a, b) => a - b);
}

function mean(ctx: OpContext): void {
  const rank = ctx.info(0).shape.length;
  ctx.emit('mean', [ctx.input(0)], [ctx.output()], {
    axes: normAxes(ctx, ctx.constInts(1, 'axes'), rank),
    keepDims: reducerKeepDims(ctx.options),
  });
}

function pad(ctx: OpContext, value: number): void {
  const rank = ctx.info(0).shape.length;
  const p = ctx.constInts(1, 'paddings');
  if (p.length !== 2 * rank) ctx.fail('QT123', `paddings hold ${p.length} values, input rank ${rank} needs ${2 * rank}`);
  const begins = p.filter((_, i) => i % 2 === 0);
  const ends = p.filter((_, i) => i % 2 === 1);
  ctx.emit('pad', [ctx.input(0)], [ctx.output()], { pads: [...begins, ...ends], mode: 'constant', value });
}

function quantAttrs(q: QuantParams): Attrs {
  const a: Attrs = { scale: [...q.scale], zeroPoint: [...q.zeroPoint] };
  if (q.axis !== undefined && q.scale.length > 1) a.axis = q.axis;
  return a;
}

function isFloatInfo(dtype: string): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

/** QUANTIZE: float -> int is `quantize`; int -> int (requantize) is `dequantize` then `quantize`. */
function quantize(ctx: OpContext): void {
  const x = ctx.info(0);
  const y = ctx.outInfo();
  if (!y.quant) ctx.fail('QT123', `output '${y.name}' has no quantization parameters`);
  const qattrs = { ...quantAttrs(y.quant), dtype: y.dtype };
  if (isFloatInfo(x.dtype)) {
    ctx.emit('quantize', [ctx.input(0)], [ctx.output()], qattrs);
    return;
  }
  if (!x.quant) ctx.fail('QT123', `integer input '${x.name}' has no quantization parameters`);
  const real = ctx.temp('real', 'float32', x.shape);
  ctx.emit('dequantize', [ctx.input(0)], [real], quantAttrs(x.quant));
  ctx.emit('quantize', [real], [ctx.output()], qattrs);
}

/** DEQUANTIZE: int -> float is `dequantize`; a float16 constant was widened on import, so it is an identity. */
function dequantize(ctx: OpContext): void {
  const x = ctx.info(0);
  if (isFloatInfo(x.dtype)) {
    ctx.emit('reshape', [ctx.input(0)], [ctx.output()], { shape: [...x.shape] });
    return;
  }
  if (!x.quant) ctx.fail('QT123', `input '${x.name}' has no quantization parameters`);
  ctx.emit('dequantize', [ctx.input(0)], [ctx.output()], quantAttrs(x.quant));
}

function unary(op: string, attrs: (ctx: OpContext) => Attrs = () => ({})): TfliteOpMapping['import'] {
  return (ctx) => {
    ctx.emit(op, [ctx.input(0)], [ctx.output()], attrs(ctx));
  };
}

export const tfliteOps: Readonly<Record<string, TfliteOpMapping>> = {
  CONV_2D: { options: OptionsType.Conv2DOptions, ir: ['conv'], import: conv2d },
  DEPTHWISE_CONV_2D: { options: OptionsType.DepthwiseConv2DOptions, ir: ['conv'], import: depthwiseConv2d },
  FULLY_CONNECTED: { options: OptionsType.FullyConnectedOptions, ir: ['fully_connected', 'reshape'], import: fullyConnected },
  ADD: { options: OptionsType.AddOptions, ir: ['add'], import: binary('add') },
  SUB: { options: OptionsType.SubOptions, ir: ['sub'], import: binary('sub') },
  MUL: { options: OptionsType.MulOptions, ir: ['mul'], import: binary('mul') },
  DIV: { options: OptionsType.DivOptions, ir: ['div'], import: binary('div') },
  AVERAGE_POOL_2D: { options: OptionsType.Pool2DOptions, ir: ['avg_pool'], import: pool('avg_pool') },
  MAX_POOL_2D: { options: OptionsType.Pool2DOptions, ir: ['max_pool'], import: pool('max_pool') },
  RESHAPE: { options: OptionsType.ReshapeOptions, ir: ['reshape'], import: reshape },
  SQUEEZE: { options: OptionsType.SqueezeOptions, ir: ['reshape'], import: squeeze },
  SOFTMAX: {
    options: OptionsType.SoftmaxOptions,
    ir: ['softmax'],
    import: unary('softmax', (ctx) => ({ axis: ctx.info(0).shape.length - 1, beta: softmaxBeta(ctx.options) })),
  },
  MEAN: { options: OptionsType.ReducerOptions, ir: ['mean'], import: mean },
  // TFLite pads a quantized tensor with its zero point, i.e. the real value 0 (attribute values are real numbers).
  PAD: { options: OptionsType.PadOptions, ir: ['pad'], import: (ctx) => pad(ctx, 0) },
  PADV2: {
    options: OptionsType.PadV2Options,
    ir: ['pad'],
    import: (ctx) => pad(ctx, ctx.optInput(2) ? ctx.constScalar(2, 'constant_values') : 0),
  },
  CONCATENATION: {
    options: OptionsType.ConcatenationOptions,
    ir: ['concat'],
    import: (ctx) => {
      const o = concatenationOptions(ctx.options);
      const rank = ctx.outInfo().shape.length;
      const axis = o.axis < 0 ? o.axis + rank : o.axis;
      if (axis < 0 || axis >= rank) ctx.fail('QT123', `axis ${o.axis} out of range for rank ${rank}`);
      ctx.emitWithActivation('concat', ctx.inputs.filter(Boolean), { axis }, o.activation, false);
    },
  },
  TRANSPOSE: {
    options: OptionsType.TransposeOptions,
    ir: ['transpose'],
    import: unary('transpose', (ctx) => ({ perm: ctx.constInts(1, 'perm') })),
  },
  LOGISTIC: { ir: ['sigmoid'], import: unary('sigmoid') },
  TANH: { ir: ['tanh'], import: unary('tanh') },
  RELU: { ir: ['relu'], import: unary('relu') },
  RELU6: { ir: ['clip'], import: unary('clip', () => ({ min: 0, max: 6 })) },
  RELU_N1_TO_1: { ir: ['clip'], import: unary('clip', () => ({ min: -1, max: 1 })) },
  HARD_SWISH: { options: OptionsType.HardSwishOptions, ir: ['hard_swish'], import: unary('hard_swish') },
  LEAKY_RELU: {
    options: OptionsType.LeakyReluOptions,
    ir: ['leaky_relu'],
    import: unary('leaky_relu', (ctx) => ({ alpha: leakyReluAlpha(ctx.options) })),
  },
  QUANTIZE: { options: OptionsType.QuantizeOptions, ir: ['quantize', 'dequantize'], import: quantize },
  DEQUANTIZE: { options: OptionsType.DequantizeOptions, ir: ['dequantize'], import: dequantize },
};
