import type { ImportContext, OnnxNode } from './context.js';
import type { ImportFn } from './ops.js';

// Spatial ops read their activation channels-last (a transpose is inserted only if the producer was channels-first)
// and produce channels-last. auto_pad is resolved here to explicit pads from the known input shape.

interface Window {
  r: number;
  kernel: number[];
  strides: number[];
  dilations: number[];
  pads: number[];
}

/**
 * ONNX auto_pad -> explicit pads ([x1_begin, .., xr_begin, x1_end, .., xr_end], as ONNX and the IR store them).
 * SAME_*: output = ceil(in / stride); the total padding is split with the extra cell at the end (UPPER) or begin (LOWER).
 */
export function resolvePads(ctx: ImportContext, n: OnnxNode, spatial: number[], kernel: number[], strides: number[], dilations: number[]): number[] {
  const r = spatial.length;
  const autoPad = ctx.string(n, 'auto_pad', 'NOTSET');
  const explicit = ctx.ints(n, 'pads');
  if (explicit && explicit.length !== 2 * r) ctx.bad(n, `pads has ${explicit.length} entries, expected ${2 * r}`);
  if (explicit?.some((p) => p < 0)) ctx.bad(n, `negative pads [${explicit}] are not supported`);
  switch (autoPad) {
    case 'NOTSET':
      return explicit ?? new Array<number>(2 * r).fill(0);
    case 'VALID':
      return new Array<number>(2 * r).fill(0);
    case 'SAME_UPPER':
    case 'SAME_LOWER': {
      if (explicit?.some((p) => p !== 0)) ctx.bad(n, `auto_pad=${autoPad} together with explicit pads [${explicit}]`);
      const begins: number[] = [];
      const ends: number[] = [];
      for (let i = 0; i < r; i++) {
        const out = Math.ceil(spatial[i]! / strides[i]!);
        const total = Math.max(0, (out - 1) * strides[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - spatial[i]!);
        const small = Math.floor(total / 2);
        begins.push(autoPad === 'SAME_UPPER' ? small : total - small);
        ends.push(autoPad === 'SAME_UPPER' ? total - small : small);
      }
      return [...begins, ...ends];
    }
    default:
      ctx.bad(n, `auto_pad '${autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
  }
}

/** Kernel, strides, dilations and pads of a conv or pool whose activation input is `x` ([N, C, S1..Sr]). */
function window(ctx: ImportContext, n: OnnxNode, x: string, kernelFromWeights?: number[]): Window {
  const xs = ctx.shapeOf(x, n);
  const r = xs.length - 2;
  if (r < 1 || r > 3) ctx.bad(n, `${n.opType} on a rank-${xs.length} input: only 1, 2 or 3 spatial dimensions are supported`);
  const kernel = ctx.ints(n, 'kernel_shape') ?? kernelFromWeights;
  if (!kernel) ctx.bad(n, 'kernel_shape is required');
  if (kernel.length !== r) ctx.bad(n, `kernel_shape [${kernel}] does not match ${r} spatial dimensions`);
  if (kernelFromWeights && kernelFromWeights.some((k, i) => k !== kernel[i]))
    ctx.bad(n, `kernel_shape [${kernel}] differs from the weights' kernel [${kernelFromWeights}]`);
  const ones = new Array<number>(r).fill(1);
  const strides = ctx.ints(n, 'strides') ?? ones;
  const dilations = ctx.ints(n, 'dilations') ?? ones;
  if (strides.length !== r || strides.some((s) => s < 1)) ctx.bad(n, `invalid strides [${strides}]`);
  if (dilations.length !== r || dilations.some((s) => s < 1)) ctx.bad(n, `invalid dilations [${dilations}]`);
  const pads = resolvePads(ctx, n, xs.slice(2), kernel, strides, dilations);
  return { r, kernel, strides, dilations, pads };
}

export const conv: ImportFn = (ctx, n) => {
  ctx.checkAttrs(n, ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides']);
  const [x, w, b] = n.inputs as [string, string, string | undefined];
  const ws = ctx.shapeOf(w, n);
  const win = window(ctx, n, x, ws.slice(2));
  const groups = ctx.int(n, 'group', 1);
  // Weights (Cout, Cin/g, K1..Kr) -> (Cout, K1..Kr, Cin/g): the same permutation as NCHW -> NHWC. A constant is
  // re-laid at import; anything else gets a transpose node.
  const inputs = [ctx.cl(x, n), ctx.cl(w, n)];
  if (b) inputs.push(ctx.cf(b, n));
  ctx.emitValue(n, 'conv', inputs, { strides: win.strides, dilations: win.dilations, pads: win.pads, groups }, 'cl');
};

export const maxPool: ImportFn = (ctx, n) => {
  ctx.checkAttrs(n, ['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'storage_order', 'strides']);
  if (n.outputs[1]) ctx.bad(n, 'MaxPool with an Indices output is not supported');
  pool(ctx, n, 'max_pool', {});
};

export const averagePool: ImportFn = (ctx, n) => {
  ctx.checkAttrs(n, ['auto_pad', 'ceil_mode', 'count_include_pad', 'dilations', 'kernel_shape', 'pads', 'strides']);
  pool(ctx, n, 'avg_pool', { countIncludePad: ctx.int(n, 'count_include_pad', 0) === 1 });
};

function pool(ctx: ImportContext, n: OnnxNode, op: string, extra: Record<string, boolean>): void {
  const x = n.inputs[0]!;
  const win = window(ctx, n, x);
  const attrs = { kernel: win.kernel, strides: win.strides, dilations: win.dilations, pads: win.pads, ceilMode: ctx.int(n, 'ceil_mode', 0) === 1, ...extra };
  ctx.emitValue(n, op, [ctx.cl(x, n)], attrs, 'cl');
}

/** GlobalAveragePool = mean over the spatial axes, keepDims (channels-last: axes 1..r). */
export const globalAveragePool: ImportFn = (ctx, n) => {
  ctx.checkAttrs(n, []);
  const x = n.inputs[0]!;
  const rank = ctx.shapeOf(x, n).length;
  if (rank < 3) ctx.bad(n, `GlobalAveragePool needs a rank >= 3 input, got rank ${rank}`);
  const axes = Array.from({ length: rank - 2 }, (_, i) => i + 1);
  ctx.emitValue(n, 'mean', [ctx.cl(x, n)], { axes, keepDims: true }, 'cl');
};

/** BatchNormalization, inference form only (training mode outputs running statistics qtool has no use for). */
export const batchNormalization: ImportFn = (ctx, n) => {
  ctx.checkAttrs(n, ['epsilon', 'momentum', 'spatial', 'training_mode', 'is_test']);
  if (n.attrs.has('is_test') && ctx.int(n, 'is_test', 0) !== 1) ctx.bad(n, 'BatchNormalization with is_test=0 (training) is not supported');
  if (ctx.int(n, 'training_mode', 0) !== 0) ctx.bad(n, 'BatchNormalization with training_mode=1 is not supported (export the model for inference)');
  if (ctx.int(n, 'spatial', 1) !== 1) ctx.bad(n, 'BatchNormalization with spatial=0 is not supported');
  if (n.outputs.slice(1).some(Boolean)) ctx.bad(n, 'BatchNormalization with training outputs (running mean/var) is not supported');
  const [x, scale, bias, mean, variance] = n.inputs as [string, string, string, string, string];
  const layout = ctx.shapeOf(x, n).length >= 3 ? 'cl' : 'cf';
  const inputs = [ctx.cl(x, n), ...[scale, bias, mean, variance].map((v) => ctx.cf(v, n))];
  ctx.emitValue(n, 'batch_norm', inputs, { epsilon: ctx.float(n, 'epsilon', 1e-5) }, layout);
};
