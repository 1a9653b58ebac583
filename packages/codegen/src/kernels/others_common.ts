import { fail, type Node } from '@qtool/ir';
import type { RequantParams, RoundingMode } from '@qtool/ops';
import { cInt, type EmitContext } from '../kernel.js';

// What the emitters of the non-MAC ops (runtime/qt_{elementwise,pool,softmax,move}.c) share: reading the node's
// params and shapes, the params struct text, the optional requantizing stage, and merging axes so the kernels
// walk few, long rows.

/** runtime/qt_move.h: the most axes a kernel walks after merging. */
export const MAX_DIMS = 6;

export function codegenError(node: Node, message: string): never {
  fail('QT500', `${node.op}: ${message}`, { node: node.name });
}

/** The node's integer parameters, or QT500 when the node was never quantized. */
export function paramsOf<T>(node: Node): T {
  if (node.params === undefined) codegenError(node, 'no integer parameters (the node was not quantized)');
  return node.params as T;
}

/** The static shape of an int8 value, from the graph (params hold no activation shapes). */
export function shapeOf(ctx: EmitContext, value: string | undefined): number[] {
  const t = value ? ctx.graph.tensors.get(value) : undefined;
  if (!value || !t) codegenError(ctx.node, `value '${value ?? ''}' has no shape in the graph`);
  if (t.dtype !== 'int8') codegenError(ctx.node, `value '${value}' is ${t.dtype}; the kernel takes int8`);
  return t.shape;
}

export const product = (a: readonly number[]): number => a.reduce((x, y) => x * y, 1);

/** C mode constant of a rounding contract (qt_math.h). */
export const cMode = (mode: RoundingMode): string => (mode === 'tflite' ? 'QT_MODE_TFLITE' : 'QT_MODE_QTOOL');

export type CValue = string | number | readonly number[];

/** A C initializer of one field: an integer, an int32 array of QT_MAX_DIMS (zero-filled), or C text. */
function cValue(v: CValue): string {
  if (typeof v === 'number') return cInt(v);
  if (typeof v === 'string') return v;
  const full = [...v, ...new Array<number>(Math.max(0, MAX_DIMS - v.length)).fill(0)];
  return `{ ${full.map(cInt).join(', ')} }`;
}

/** `{ .field = value, ... }` over several lines (designated initializers, C99), indented by `indent`. */
export function cInit(fields: [string, CValue][], indent = '  '): string {
  return `{\n${fields.map(([f, v]) => `${indent}.${f} = ${cValue(v)},`).join('\n')}\n${indent.slice(2)}}`;
}

/** `{ .field = value, ... }` on one line (a nested struct). */
export function cInline(fields: [string, CValue][]): string {
  return `{ ${fields.map(([f, v]) => `.${f} = ${cValue(v)}`).join(', ')} }`;
}

/** Declares `static const <type> <prefix>[_suffix] = { ... };` and returns the name. */
export function declareStruct(ctx: EmitContext, type: string, suffix: string, fields: [string, CValue][]): string {
  const name = suffix ? `${ctx.prefix}_${suffix}` : ctx.prefix;
  ctx.declare(`static const ${type} ${name} = ${cInit(fields)};`);
  return name;
}

/** Declares a qt_requant_params_t for an optional requantizing stage; returns `&name`, or 'NULL' when absent. */
export function declareRequant(ctx: EmitContext, suffix: string, rq: RequantParams | undefined | null): string {
  if (!rq) return 'NULL';
  const name = declareStruct(ctx, 'qt_requant_params_t', suffix, [
    ['mode', cMode(rq.mode)],
    ['input_offset', rq.inputOffset],
    ['output_offset', rq.outputOffset],
    ['multiplier', rq.multiplier],
    ['shift', rq.shift],
  ]);
  return `&${name}`;
}

/** Row-major strides. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/**
 * A walk over `shape` (row-major) reading several operands through per-axis strides, reduced to the fewest axes:
 * size-1 axes are dropped, and axis i merges into axis i + 1 when every operand steps over axis i exactly as over
 * a whole run of axis i + 1 (stride[i] = stride[i+1] * shape[i+1], 0 = 0 included). At least one axis remains.
 */
export function mergeAxes(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  let sh: number[] = [];
  let st: number[][] = strides.map(() => []);
  shape.forEach((d, i) => {
    if (d === 1) return;
    sh.push(d);
    strides.forEach((s, k) => st[k]!.push(s[i]!));
  });
  for (let i = sh.length - 2; i >= 0; i--) {
    if (st.every((s) => s[i] === s[i + 1]! * sh[i + 1]!)) {
      sh = [...sh.slice(0, i), sh[i]! * sh[i + 1]!, ...sh.slice(i + 2)];
      st = st.map((s) => [...s.slice(0, i), s[i + 1]!, ...s.slice(i + 2)]);
    }
  }
  if (sh.length === 0) return { shape: [1], strides: strides.map(() => [0]) };
  return { shape: sh, strides: st };
}

/** QT500 when a walk needs more axes than the kernels hold. */
export function checkRank(node: Node, rank: number, what: string): void {
  if (rank > MAX_DIMS) codegenError(node, `${what} needs ${rank} axes after merging; the kernels walk at most ${MAX_DIMS}`);
}

/** '2x3x4' for comments. */
export const dims = (shape: readonly number[]): string => (shape.length ? shape.join('x') : 'scalar');
