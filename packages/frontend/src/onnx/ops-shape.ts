import { numel } from '@qtool/ir';
import type { ImportContext, OnnxNode } from './context.js';
import type { ImportFn } from './ops.js';
import { intsOf, permuteShape, toChannelsFirst, toChannelsLast, transposeTensor, withShape } from './tensor-util.js';

// Shape ops. Reshape-like ops read the ONNX (channels-first) form; Transpose, Concat and Pad follow a channels-last
// input by remapping their perm / axis / pads. Ops on constants fold into new constants.

function normAxis(ctx: ImportContext, n: OnnxNode, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) ctx.bad(n, `axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Axes from the attribute (before `inputFrom`) or from the constant input `index` (from `inputFrom`). */
function axesOf(ctx: ImportContext, n: OnnxNode, inputFrom: number, index: number): number[] | undefined {
  if (n.opset < inputFrom) return ctx.ints(n, 'axes');
  const v = n.inputs[index];
  return v ? intsOf(ctx.constant(n, v, 'the axes input')) : undefined;
}

/** y = x viewed as `shape` (a reshape node, or a new constant when x is constant). */
function reshapeTo(ctx: ImportContext, n: OnnxNode, x: string, shape: number[]): void {
  const xs = ctx.shapeOf(x, n);
  if (numel(xs) !== numel(shape)) ctx.bad(n, `cannot reshape [${xs}] (${numel(xs)} elements) to [${shape}]`);
  const c = ctx.consts.get(x);
  if (c) ctx.consts.set(n.outputs[0]!, withShape(c, shape));
  else ctx.emitValue(n, 'reshape', [ctx.cf(x, n)], { shape }, 'cf');
}

export const reshape: ImportFn = (ctx, n) => {
  ctx.checkAttrs(n, ['allowzero']);
  const x = n.inputs[0]!;
  const xs = ctx.shapeOf(x, n);
  const spec = intsOf(ctx.constant(n, n.inputs[1] ?? '', 'the shape input'));
  const allowZero = ctx.int(n, 'allowzero', 0) === 1;
  // ONNX Reshape: 0 copies the input dimension (unless allowzero), one -1 is inferred.
  const shape = spec.map((d, i) => (d === 0 && !allowZero ? xs[i] ?? ctx.bad(n, `shape [${spec}] copies dimension ${i}, which the input lacks`) : d));
  const unknown = shape.indexOf(-1);
  if (shape.filter((d) => d === -1).length > 1 || shape.some((d) => d < -1)) ctx.bad(n, `invalid shape [${spec}]`);
  if (unknown >= 0) {
    const known = numel(shape.filter((d) => d !== -1));
    if (known === 0 || numel(xs) % known !== 0) ctx.bad(n, `cannot infer the -1 in [${spec}] for an input of [${xs}]`);
    shape[unknown] = numel(xs) / known;
  }
  reshapeTo(ctx, n, x, shape);
};

export const flatten: ImportFn = (ctx, n) => {
  ctx.checkAttrs(n, ['axis']);
  const x = n.inputs[0]!;
  const xs = ctx.shapeOf(x, n);
  let axis = ctx.int(n, 'axis', 1);
  if (axis < 0) axis += xs.length;
  if (axis < 0 || axis > xs.length) ctx.bad(n, `axis ${ctx.int(n, 'axis', 1)} is out of range for rank ${xs.length}`);
  reshapeTo(ctx, n, x, [numel(xs.slice(0, axis)), numel(xs.slice(axis))]);
};

export const squeeze: ImportFn = (ctx, n) => {
  ctx.checkAttrs(n, n.opset < 13 ? ['axes'] : []);
  const x = n.inputs[0]!;
  const xs = ctx.shapeOf(x, n);
  const given = axesOf(ctx, n, 13, 1);
  const axes = given ? given.map((a) => normAxis(ctx, n, a, xs.length)) : xs.flatMap((d, i) => (d === 1 ? [i] : []));
  for (const a of axes) if (xs[a] !== 1) ctx.bad(n, `cannot squeeze axis ${a} of size ${xs[a]}`);
  reshapeTo(ctx, n, x, xs.filter((_, i) => !axes.includes(i)));
};

export const unsqueeze: ImportFn = (ctx, n) => {
  ctx.checkAttrs(n, n.opset < 13 ? ['axes'] : []);
  const x = n.inputs[0]!;
  const xs = ctx.shapeOf(x, n);
  const given = axesOf(ctx, n, 13, 1) ?? ctx.bad(n, 'Unsqueeze needs axes');
  const rank = xs.length + given.length;
  const axes = given.map((a) => normAxis(ctx, n, a, rank));
  if (new Set(axes).size !== axes.length) ctx.bad(n, `repeated axes [${given}]`);
  const shape: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) shape.push(axes.includes(i) ? 1 : xs[k++]!);
  reshapeTo(ctx, n, x, shape);
};

export const transpose: ImportFn = (ctx, n) => {
  ctx.checkAttrs(n, ['perm']);
  const x = n.inputs[0]!;
  const rank = ctx.shapeOf(x, n).length;
  const perm = ctx.ints(n, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) ctx.bad(n, `perm [${perm}] is not a permutation of rank ${rank}`);
  const c = ctx.consts.get(x);
  if (c) {
    ctx.consts.set(n.outputs[0]!, transposeTensor(c, perm));
    return;
  }
  if (ctx.clOnly(x)) {
    // y = transpose(transpose(x_cl, toCF), perm) = transpose(x_cl, perm mapped through toCF)
    const q = toChannelsFirst(rank);
    ctx.emitValue(n, 'transpose', [ctx.cl(x, n)], { perm: perm.map((p) => q[p]!) }, 'cf');
  } else ctx.emitValue(n, 'transpose', [ctx.cf(x, n)], { perm }, 'cf');
};

export const concat: ImportFn = (ctx, n) => {
  ctx.checkAttrs(n, ['axis']);
  const ins = n.inputs.filter(Boolean);
  if (ins.length === 0) ctx.bad(n, 'Concat with no inputs');
  const rank = ctx.shapeOf(ins[0]!, n).length;
  const axisAttr = ctx.int(n, 'axis') ?? ctx.bad(n, 'Concat needs an axis');
  const axis = normAxis(ctx, n, axisAttr, rank);
  const computed = ins.filter((v) => !ctx.isConst(v));
  if (rank >= 3 && computed.length > 0 && computed.every((v) => ctx.clOnly(v))) {
    const perm = toChannelsLast(rank);
    const inputs = ins.map((v) => (ctx.isConst(v) ? ctx.relaidConst(v, ctx.consts.get(v)!, rank) : ctx.cl(v, n)));
    ctx.emitValue(n, 'concat', inputs, { axis: perm.indexOf(axis) }, 'cl');
  } else ctx.emitValue(n, 'concat', ins.map((v) => ctx.cf(v, n)), { axis }, 'cf');
};

export const pad: ImportFn = (ctx, n) => {
  const x = n.inputs[0]!;
  const rank = ctx.shapeOf(x, n).length;
  let pads: number[];
  let value = 0;
  if (n.opset < 11) {
    ctx.checkAttrs(n, ['mode', 'pads', 'value']);
    pads = ctx.ints(n, 'pads') ?? ctx.bad(n, 'Pad needs pads');
    value = ctx.float(n, 'value', 0);
  } else {
    ctx.checkAttrs(n, ['mode']);
    const given = intsOf(ctx.constant(n, n.inputs[1] ?? '', 'the pads input'));
    const cv = n.inputs[2];
    if (cv) {
      const t = ctx.constant(n, cv, 'the constant_value input');
      if (numel(t.shape) > 1) ctx.bad(n, 'constant_value must be a scalar');
      value = numel(t.shape) === 1 ? Number(t.data[0]) : 0;
    }
    const axesIn = n.opset >= 18 ? n.inputs[3] : undefined;
    if (axesIn) {
      const axes = intsOf(ctx.constant(n, axesIn, 'the axes input')).map((a) => normAxis(ctx, n, a, rank));
      if (given.length !== 2 * axes.length) ctx.bad(n, `pads has ${given.length} entries for ${axes.length} axes`);
      pads = new Array<number>(2 * rank).fill(0);
      axes.forEach((a, i) => {
        pads[a] = given[i]!;
        pads[a + rank] = given[i + axes.length]!;
      });
    } else pads = given;
  }
  if (pads.length !== 2 * rank) ctx.bad(n, `pads has ${pads.length} entries, expected ${2 * rank}`);
  const mode = ctx.string(n, 'mode', 'constant');
  if (!['constant', 'reflect', 'edge'].includes(mode)) ctx.bad(n, `Pad mode '${mode}' is not supported`);
  if (ctx.clOnly(x) && rank >= 3) {
    const perm = toChannelsLast(rank);
    const clPads = [...permuteShape(pads.slice(0, rank), perm), ...permuteShape(pads.slice(rank), perm)];
    ctx.emitValue(n, 'pad', [ctx.cl(x, n)], { pads: clPads, mode, value }, 'cl');
  } else ctx.emitValue(n, 'pad', [ctx.cf(x, n)], { pads, mode, value }, 'cf');
};

/** Softmax: from opset 13 one axis (default -1); before, the input is coerced to 2-D at `axis` (default 1). */
export const softmax: ImportFn = (ctx, n) => {
  ctx.checkAttrs(n, ['axis']);
  const x = n.inputs[0]!;
  const xs = ctx.shapeOf(x, n);
  const rank = xs.length;
  if (n.opset >= 13) {
    ctx.emitValue(n, 'softmax', [ctx.cf(x, n)], { axis: normAxis(ctx, n, ctx.int(n, 'axis', -1), rank) }, 'cf');
    return;
  }
  const axis = normAxis(ctx, n, ctx.int(n, 'axis', 1), rank);
  if (axis === rank - 1) {
    ctx.emitValue(n, 'softmax', [ctx.cf(x, n)], { axis }, 'cf');
    return;
  }
  const flat = ctx.freshTensor(`${n.outputs[0]}_2d`);
  ctx.emit('reshape', [ctx.cf(x, n)], { shape: [numel(xs.slice(0, axis)), numel(xs.slice(axis))] }, [flat], `${n.name}_to_2d`);
  const soft = ctx.freshTensor(`${n.outputs[0]}_softmax_2d`);
  ctx.emit('softmax', [flat], { axis: 1 }, [soft], n.name);
  ctx.emitValue(n, 'reshape', [soft], { shape: xs }, 'cf');
};

/** ReduceMean: axes attribute before opset 18, optional constant input from 18. */
export const reduceMean: ImportFn = (ctx, n) => {
  ctx.checkAttrs(n, n.opset < 18 ? ['axes', 'keepdims'] : ['keepdims', 'noop_with_empty_axes']);
  const x = n.inputs[0]!;
  const rank = ctx.shapeOf(x, n).length;
  const given = axesOf(ctx, n, 18, 1) ?? [];
  const keepDims = ctx.int(n, 'keepdims', 1) === 1;
  if (given.length === 0 && ctx.int(n, 'noop_with_empty_axes', 0) === 1) {
    ctx.alias(n.outputs[0]!, x, n);
    return;
  }
  const axes = given.length ? [...new Set(given.map((a) => normAxis(ctx, n, a, rank)))].sort((a, b) => a - b) : Array.from({ length: rank }, (_, i) => i);
  ctx.emitValue(n, 'mean', [ctx.cf(x, n)], { axes, keepDims }, 'cf');
};
