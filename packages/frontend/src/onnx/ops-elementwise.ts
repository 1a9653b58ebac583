import { numel, type AttrValue } from '@qtool/ir';
import type { ImportContext, OnnxNode } from './context.js';
import type { ImportFn } from './ops.js';
import { withShape } from './tensor-util.js';

// Layout-agnostic ops: they run in whichever layout their input already has, so a channels-last activation
// stays channels-last through Add-bias / Relu / Clip chains and no transpose is needed (docs/ir.md).

type AttrsOf = (ctx: ImportContext, n: OnnxNode) => Record<string, AttrValue | undefined>;

/** A one-input elementwise op; `known` lists the ONNX attributes `attrs` reads. */
export function unary(op: string, known: readonly string[] = [], attrs: AttrsOf = () => ({})): ImportFn {
  return (ctx, n) => {
    ctx.checkAttrs(n, known);
    emitUnary(ctx, n, op, attrs(ctx, n));
  };
}

export function emitUnary(ctx: ImportContext, n: OnnxNode, op: string, attrs: Record<string, AttrValue | undefined>): void {
  const x = n.inputs[0]!;
  const layout = ctx.clOnly(x) ? 'cl' : 'cf';
  ctx.emitValue(n, op, [layout === 'cl' ? ctx.cl(x, n) : ctx.cf(x, n)], attrs, layout);
}

/**
 * A two-input broadcasting op. Runs channels-last when one operand exists only channels-last and the other is
 * channels-last too or a constant (re-laid at import: a [C,1,1] bias becomes [1,1,1,C]); otherwise channels-first.
 */
export function binary(op: string): ImportFn {
  return (ctx, n) => {
    const [a, b] = n.inputs as [string, string];
    const ra = ctx.shapeOf(a, n).length;
    const rb = ctx.shapeOf(b, n).length;
    legacyBroadcast(ctx, n, ra, rb);
    const fitsCl = (x: string, other: string, rx: number, ro: number) =>
      ctx.clOnly(x) && rx >= 3 && ((ctx.hasCl(other) && ro === rx) || (ctx.isConst(other) && ro <= rx));
    const rank = Math.max(ra, rb);
    if (fitsCl(a, b, ra, rb) || fitsCl(b, a, rb, ra)) {
      const side = (v: string) => {
        const c = ctx.consts.get(v);
        if (!c) return ctx.cl(v, n);
        return numel(c.shape) === 1 && c.shape.length <= 1 ? ctx.cf(v, n) : ctx.relaidConst(v, c, rank);
      };
      ctx.emitValue(n, op, [side(a), side(b)], {}, 'cl');
    } else ctx.emitValue(n, op, [ctx.cf(a, n), ctx.cf(b, n)], {}, 'cf');
  };
}

/**
 * Before opset 7, Add/Sub/Mul/Div/Gemm broadcast only with `broadcast=1`, aligning B at `axis`. That equals NumPy
 * broadcasting when B aligns with A's trailing axes (the usual case); any other `axis` is refused.
 */
export function legacyBroadcast(ctx: ImportContext, n: OnnxNode, ra: number, rb: number, extra: readonly string[] = []): void {
  ctx.checkAttrs(n, n.opset < 7 ? ['broadcast', 'axis', ...extra] : extra);
  const axis = n.opset < 7 ? ctx.int(n, 'axis') : undefined;
  if (axis !== undefined && ctx.int(n, 'broadcast', 0) === 1 && axis !== ra - rb && axis !== ra - rb - ra)
    ctx.bad(n, `legacy broadcast with axis=${axis} (B aligned away from A's trailing axes) is not supported`);
}

/** PRelu; before opset 7 a 1-D slope of C values applies per channel (axis 1), from 7 it broadcasts like NumPy. */
export const prelu: ImportFn = (ctx, n) => {
  const [x, slope] = n.inputs as [string, string];
  const xs = ctx.shapeOf(x, n);
  const s = ctx.consts.get(slope);
  if (n.opset < 7 && s && s.shape.length === 1 && s.shape[0]! > 1 && xs.length > 2 && s.shape[0] === xs[1]) {
    const perChannel = `${slope}__per_channel`;
    ctx.consts.set(perChannel, withShape(s, [s.shape[0]!, ...new Array<number>(xs.length - 2).fill(1)]));
    n = { ...n, inputs: [x, perChannel] };
  }
  binary('prelu')(ctx, n);
};

/** Identity: the output is the input (no node). */
export const identity: ImportFn = (ctx, n) => {
  ctx.checkAttrs(n, []);
  ctx.alias(n.outputs[0]!, n.inputs[0]!, n);
};

/** Clip: bounds are attributes before opset 11, optional constant inputs from 11. */
export const clip: ImportFn = (ctx, n) => {
  let min: number | undefined;
  let max: number | undefined;
  if (n.opset < 11) {
    ctx.checkAttrs(n, ['min', 'max']);
    min = ctx.float(n, 'min');
    max = ctx.float(n, 'max');
  } else {
    ctx.checkAttrs(n, []);
    const bound = (i: number, what: string) => {
      const v = n.inputs[i];
      if (!v) return undefined;
      const t = ctx.constant(n, v, what);
      if (numel(t.shape) !== 1) ctx.bad(n, `${what} must be a scalar, got shape [${t.shape}]`);
      return Number(t.data[0]);
    };
    min = bound(1, 'Clip min');
    max = bound(2, 'Clip max');
  }
  emitUnary(ctx, n, 'clip', { min, max });
};
