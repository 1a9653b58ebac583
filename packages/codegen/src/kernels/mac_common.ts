import { fail, type Node } from '@qtool/ir';
import type { FixedMultiplier } from '@qtool/qmath';
import type { RoundingMode, WeightQuant } from '@qtool/ops';
import { cInt, type EmitContext } from '../kernel.js';

// What the emitters of conv, fully_connected and matmul share: the layer's weights, bias and requantization
// arrays, declared exactly as runtime/qt_mac.h reads them, and the params struct text.

/** The node's integer parameters, or QT500 when the node was never quantized. */
export function paramsOf<T>(node: Node): T {
  if (node.params === undefined) fail('QT500', `${node.op}: no integer parameters (the node was not quantized)`, { node: node.name });
  return node.params as T;
}

/** The static shape of an activation, from the graph (params hold no activation shapes). */
export function shapeOf(ctx: EmitContext, value: string | undefined): number[] {
  const t = value ? ctx.graph.tensors.get(value) : undefined;
  if (!value || !t) fail('QT500', `${ctx.node.op}: value '${value ?? ''}' has no shape in the graph`, { node: ctx.node.name });
  if (t.dtype !== 'int8') fail('QT500', `${ctx.node.op}: value '${value}' is ${t.dtype}; the kernel takes int8`, { node: ctx.node.name });
  return t.shape;
}

export function codegenError(node: Node, message: string): never {
  fail('QT500', `${node.op}: ${message}`, { node: node.name });
}

export const product = (a: readonly number[]): number => a.reduce((x, y) => x * y, 1);

/** C mode constant of a rounding contract (qt_math.h). */
export const cMode = (mode: RoundingMode): string => (mode === 'tflite' ? 'QT_MODE_TFLITE' : 'QT_MODE_QTOOL');

/** A struct field: name, C value, and an optional comment. */
export type CField = [string, string | number] | [string, string | number, string];

/** `static const <type> <name> = { .field = value, ... };` with one field a line (designated initializers, C99). */
export function cStruct(type: string, name: string, fields: CField[]): string {
  const body = fields.map(([f, v, note]) => `  .${f} = ${typeof v === 'number' ? cInt(v) : v},${note ? ` /* ${note} */` : ''}`).join('\n');
  return `static const ${type} ${name} = {\n${body}\n};`;
}

/** 'NxHxWxC' for a shape comment. */
export const dims = (shape: readonly number[]): string => shape.join('x');

/**
 * The stored weights as a little-endian bit stream, element i at bits [i * bits, (i + 1) * bits), plus one padding
 * byte: qt_weight_q (qt_runtime.h) reads two bytes at bit >> 3, also for the last element.
 */
export function packBits(q: ArrayLike<number>, bits: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((q.length * bits) / 8) + 1);
  for (let i = 0; i < q.length; i++) {
    const bit = i * bits;
    const v = q[i]! << (bit & 7); // at most 7 + 7 bits: spans two bytes at most
    out[bit >> 3]! |= v & 0xff;
    out[(bit >> 3) + 1]! |= v >> 8;
  }
  return out;
}

/**
 * Declares the layer's weights (<prefix>_w), per-channel or per-tensor offsets (<prefix>_wo) and the
 * qt_weights_t descriptor (<prefix>_wd); returns the descriptor's name. Signed weights (TFLite's int8, any bits)
 * are stored as int8_t (QT_W_S8), unsigned 8-bit as uint8_t (QT_W_U8), unsigned 2..7-bit packed (QT_W_PACKED).
 */
export function emitWeights(ctx: EmitContext, w: WeightQuant, cout: number): string {
  const { node, prefix } = ctx;
  const { q, bits } = w;
  if (w.shape[0] !== cout) codegenError(node, `weights [${w.shape}] do not have ${cout} output channels`);
  if (w.offset.length !== 1 && w.offset.length !== cout) codegenError(node, `${w.offset.length} weight offsets for ${cout} output channels`);
  if (w.offset.length > 1 && w.axis !== 0) codegenError(node, `per-channel weights must be along axis 0, got axis ${w.axis}`);
  if (!Number.isInteger(bits) || bits < 2 || bits > 8) codegenError(node, `${bits}-bit weights have no kernel (2..8 bits)`);
  const lo = w.signed ? -(2 ** (bits - 1)) : 0;
  const hi = w.signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  for (let i = 0; i < q.length; i++)
    if (q[i]! < lo || q[i]! > hi) codegenError(node, `weight ${i} = ${q[i]} is outside the ${w.signed ? 'signed' : 'unsigned'} ${bits}-bit range`);
  let format: string;
  let name: string;
  if (w.signed) {
    format = 'QT_W_S8';
    name = ctx.constArray('w', 'int8_t', q);
  } else if (bits === 8) {
    format = 'QT_W_U8';
    name = ctx.constArray('w', 'uint8_t', q);
  } else {
    format = 'QT_W_PACKED';
    name = ctx.constArray('w', 'uint8_t', packBits(q, bits));
  }
  const offsets = ctx.constArray('wo', 'int32_t', w.offset);
  const perChannel = w.offset.length > 1 ? 1 : 0;
  const anchor = w.anchor === 'min' ? 0 : 1;
  const what = `${w.anchor}-anchored, ${bits} bit${format === 'QT_W_PACKED' ? ' packed' : ''}${w.signed ? ' signed' : ''}, ${perChannel ? 'per-channel' : 'per-tensor'} offsets`;
  ctx.declare(
    `/* ${prefix} weights [${w.shape}]: ${what} */\n` +
      cStruct('qt_weights_t', `${prefix}_wd`, [
        ['q', name],
        ['offset', offsets],
        ['format', format],
        ['bits', bits],
        ['anchor', anchor, anchor === 0 ? 'min: q + offset' : 'max: offset - q'],
        ['per_channel', perChannel],
      ]),
  );
  return `${prefix}_wd`;
}

/** The bias array (int32, one per output channel), or NULL when it is all zero (saves flash). */
export function emitBias(ctx: EmitContext, bias: Int32Array, cout: number): string {
  if (bias.length !== cout) codegenError(ctx.node, `${bias.length} bias values for ${cout} output channels`);
  return bias.every((b) => b === 0) ? 'NULL' : ctx.constArray('bias', 'int32_t', bias);
}

/** `static const qt_requant_t <prefix>_rq[n]`, one entry or one per output channel; returns its name. */
export function emitRequant(ctx: EmitContext, multipliers: FixedMultiplier[], cout: number): string {
  if (multipliers.length !== 1 && multipliers.length !== cout)
    codegenError(ctx.node, `${multipliers.length} requantization multipliers for ${cout} output channels`);
  // two int32_t a record: qt_runtime.h asserts sizeof(qt_requant_t) == 8
  return ctx.constRecords('rq', 'qt_requant_t', 8, multipliers.map((f) => `{ ${cInt(f.multiplier)}, ${cInt(f.shift)} }`));
}

/** The fields every MAC params struct ends with. */
export function outputFields(p: { mode: RoundingMode; clampLo: number; clampHi: number }): CField[] {
  return [
    ['mode', cMode(p.mode)],
    ['act_min', p.clampLo],
    ['act_max', p.clampHi],
  ];
}
