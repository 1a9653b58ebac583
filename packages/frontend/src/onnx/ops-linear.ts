import { makeTensor, numel } from '@qtool/ir';
import type { ImportContext, OnnxNode } from './context.js';
import type { ImportFn } from './ops.js';
import { scalar, scaleTensor, transposeTensor, withShape } from './tensor-util.js';

// Gemm and MatMul. With constant weights both become `fully_connected` (W [N,K] with alpha, beta and transposes
// folded into the constants), the form the quantizer and the MCU kernels want; otherwise `matmul` (+ mul/add).

/** Emits a helper node computing a temporary value; returns its IR name. */
function temp(ctx: ImportContext, n: OnnxNode, op: string, inputs: string[], attrs: Record<string, number[] | undefined>, tag: string): string {
  const out = ctx.freshTensor(`${n.outputs[0]}_${tag}`);
  ctx.emit(op, inputs, attrs, [out], `${n.name}_${tag}`);
  return out;
}

export const gemm: ImportFn = (ctx, n) => {
  ctx.checkAttrs(n, ['alpha', 'beta', 'transA', 'transB', ...(n.opset < 7 ? ['broadcast'] : [])]);
  const [a, b, c] = n.inputs as [string, string, string | undefined];
  const alpha = ctx.float(n, 'alpha', 1);
  const beta = ctx.float(n, 'beta', 1);
  const transA = ctx.int(n, 'transA', 0) === 1;
  const transB = ctx.int(n, 'transB', 0) === 1;
  const as = ctx.shapeOf(a, n);
  const bs = ctx.shapeOf(b, n);
  if (as.length !== 2 || bs.length !== 2) ctx.bad(n, `Gemm needs 2-D A and B, got [${as}] and [${bs}]`);
  const dtype = ctx.infoOf(a, n).dtype;
  const ca = ctx.consts.get(a);
  const A = !transA ? ctx.cf(a, n) : ca ? ctx.newConst(`${a}_t`, transposeTensor(ca, [1, 0])) : temp(ctx, n, 'transpose', [ctx.cf(a, n)], { perm: [1, 0] }, 'a_t');
  const N = transB ? bs[0]! : bs[1]!;
  const cb = ctx.consts.get(b);
  const cc = c ? ctx.consts.get(c) : undefined;

  if (cb && dtype === 'float32') {
    let w = transB ? cb : transposeTensor(cb, [1, 0]);
    if (alpha !== 1 || w.dtype !== 'float32') w = scaleTensor(w, alpha);
    const W = ctx.newConst(`${b}_fc`, w);
    // A bias that is one value per output column folds into the fully_connected bias.
    if (!c) ctx.emitValue(n, 'fully_connected', [A, W], {}, 'cf');
    else if (cc && (numel(cc.shape) === N || numel(cc.shape) === 1) && cc.shape.length <= 2 && (cc.shape.length < 2 || cc.shape[0] === 1)) {
      const bias = numel(cc.shape) === N ? withShape(scaleTensor(cc, beta), [N]) : makeTensor('float32', [N], new Float32Array(N).fill(Number(cc.data[0]) * beta));
      ctx.emitValue(n, 'fully_connected', [A, W, ctx.newConst(`${c}_fc`, bias)], {}, 'cf');
    } else {
      const y = temp(ctx, n, 'fully_connected', [A, W], {}, 'fc');
      ctx.emitValue(n, 'add', [y, betaTimes(ctx, n, c, beta)], {}, 'cf');
    }
    return;
  }

  const B = !transB ? ctx.cf(b, n) : cb ? ctx.newConst(`${b}_t`, transposeTensor(cb, [1, 0])) : temp(ctx, n, 'transpose', [ctx.cf(b, n)], { perm: [1, 0] }, 'b_t');
  const steps: [string, string][] = [];
  if (alpha !== 1) steps.push(['mul', ctx.newConst(`${n.outputs[0]}_alpha`, scalar(dtype, alpha))]);
  if (c) steps.push(['add', betaTimes(ctx, n, c, beta)]);
  if (steps.length === 0) {
    ctx.emitValue(n, 'matmul', [A, B], {}, 'cf');
    return;
  }
  let y = temp(ctx, n, 'matmul', [A, B], {}, 'matmul');
  steps.forEach(([op, other], i) => {
    if (i === steps.length - 1) ctx.emitValue(n, op, [y, other], {}, 'cf');
    else y = temp(ctx, n, op, [y, other], {}, op);
  });
};

/** beta * C as an IR value: a folded constant, C itself when beta is 1, else a mul node. */
function betaTimes(ctx: ImportContext, n: OnnxNode, c: string, beta: number): string {
  const cc = ctx.consts.get(c);
  if (beta === 1) return ctx.cf(c, n);
  if (cc && cc.dtype === 'float32') return ctx.newConst(`${c}_beta`, scaleTensor(cc, beta));
  const dtype = ctx.infoOf(c, n).dtype;
  return temp(ctx, n, 'mul', [ctx.cf(c, n), ctx.newConst(`${c}_beta`, scalar(dtype, beta))], {}, 'beta');
}

export const matMul: ImportFn = (ctx, n) => {
  ctx.checkAttrs(n, []);
  const [a, b] = n.inputs as [string, string];
  const cb = ctx.consts.get(b);
  if (cb && cb.shape.length === 2 && cb.dtype === 'float32' && ctx.infoOf(a, n).dtype === 'float32' && !ctx.isConst(a)) {
    const W = ctx.newConst(`${b}_fc`, transposeTensor(cb, [1, 0]));
    ctx.emitValue(n, 'fully_connected', [ctx.cf(a, n), W], {}, 'cf');
  } else ctx.emitValue(n, 'matmul', [ctx.cf(a, n), ctx.cf(b, n)], {}, 'cf');
};
