import { makeTensor, sameShape, type Node, type Tensor } from '@qtool/ir';
import { clamp } from '@qtool/qmath';
import type { ActQuant, QuantizeContext } from '../quant.js';
import { broadcastIndex } from '../util.js';
import { int8Act, int8Input, paramsOf, refuse, roundHalfAway } from './int_common.js';

// Elementwise nonlinear ops on int8 as 256-entry tables built at compile time (docs/arithmetic.md):
// T[q] = clamp(round(f(s_x · (q - zp_x)) / s_y) + zp_y, -128, 127); at run time one lookup per element.

/**
 * One lookup per element (C: qt_lut_s8). `tables[t][q + 128]` is the output for input q. One table for the whole
 * tensor (tableShape []), or one per element of `tableShape`, which broadcasts to X's shape as NumPy does
 * (prelu's slope: per channel is tableShape [C] or [1, .., C], flat element k uses table k % C).
 */
export interface LutParams {
  tables: Int8Array[];
  tableShape: number[];
}

/** Prepare: the table of f between two int8 parameter sets. */
export function buildTable(f: (x: number) => number, x: ActQuant, y: ActQuant): Int8Array {
  const t = new Int8Array(256);
  for (let q = -128; q <= 127; q++) {
    const v = f(x.scale * (q - x.zeroPoint)) / y.scale;
    // NaN cannot occur for the ops here; +-Infinity saturates through clamp
    t[q + 128] = clamp(Number.isFinite(v) ? roundHalfAway(v) + y.zeroPoint : v > 0 ? 127 : -128, -128, 127);
  }
  return t;
}

/** Prepare for a unary op given its float function (read from the node's attributes). */
export function quantizeLut(node: Node, ctx: QuantizeContext, f: (x: number) => number): LutParams {
  const x = int8Act(node, ctx, node.inputs[0]);
  const y = int8Act(node, ctx, node.outputs[0]);
  return { tables: [buildTable(f, x, y)], tableShape: [] };
}

/** Prepare for prelu: one table per element of the constant slope (a scalar slope gives one table). */
export function quantizePreluLut(node: Node, ctx: QuantizeContext): LutParams {
  const x = int8Act(node, ctx, node.inputs[0]);
  const y = int8Act(node, ctx, node.outputs[0]);
  const slopeName = node.inputs[1];
  if (!slopeName) refuse(node, 'slope is required');
  let slope: Float32Array;
  try {
    slope = ctx.constant(slopeName);
  } catch {
    refuse(node, `slope '${slopeName}' must be a constant for the integer kernel`);
  }
  // QuantizeContext gives the slope's values, not its shape: n > 1 values are per channel on the last axis
  // (a [C] slope broadcasting to [.., C], as PReLU appears in channels-last CNNs)
  const shape = slope.length === 1 ? [] : [slope.length];
  const tables = Array.from(slope, (s) => buildTable((v) => (v < 0 ? s * v : v), x, y));
  // identical tables (a per-channel slope with repeated values, or all equal) collapse to one
  if (tables.every((t) => sameTable(t, tables[0]!))) return { tables: [tables[0]!], tableShape: [] };
  return { tables, tableShape: shape };
}

function sameTable(a: Int8Array, b: Int8Array): boolean {
  for (let i = 0; i < 256; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Eval (integers only): one lookup per element. */
export function evalLut(node: Node, inputs: (Tensor | undefined)[]): Tensor[] {
  const p = paramsOf<LutParams>(node);
  const x = int8Input(node, inputs, 0);
  const src = x.data as Int8Array;
  const out = new Int8Array(src.length);
  if (p.tables.length === 1) {
    const t = p.tables[0]!;
    for (let i = 0; i < src.length; i++) out[i] = t[src[i]! + 128]!;
  } else {
    const idx = sameShape(p.tableShape, x.shape) ? undefined : broadcastIndex(p.tableShape, x.shape);
    for (let i = 0; i < src.length; i++) out[i] = p.tables[idx ? idx[i]! : i]![src[i]! + 128]!;
  }
  return [makeTensor('int8', x.shape, out)];
}
