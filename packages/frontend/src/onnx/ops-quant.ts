import type { GraphProto } from 'onnx-buf';
import { isInteger, numel, type DType, type QuantParams } from '@qtool/ir';
import type { ImportContext, OnnxNode } from './context.js';
import type { ImportFn } from './ops.js';
import { dtypeFromOnnx } from './proto.js';
import { toChannelsLast } from './tensor-util.js';

// QuantizeLinear / DequantizeLinear (docs/ir.md, "ONNX import"):
// - a Q -> DQ pair on an activation is removed: the float tensor carries the `quant` annotation;
// - DQ of an integer initializer keeps the initializer as a quantized constant (integer data + `quant`) and emits a
//   `dequantize` node after it, so the float simulator can run the graph;
// - any other Q or DQ becomes a `quantize` / `dequantize` node.

const QDQ_ATTRS = ['axis', 'saturate', 'block_size', 'output_dtype', 'precision'];
const QUANT_DTYPES: DType[] = ['int8', 'uint8', 'int16', 'uint16', 'int32'];

interface Params extends QuantParams {
  /** Normalised axis (0 for per-tensor). */
  axis: number;
  /** Integer type of the quantized side. */
  dtype: DType;
}

/** Scale / zero point / axis of a Q or DQ node (constants only; blocked and float8/4-bit forms refused). */
function params(ctx: ImportContext, n: OnnxNode): Params {
  ctx.checkAttrs(n, QDQ_ATTRS);
  const [x, s, z] = n.inputs as [string, string, string | undefined];
  if (ctx.int(n, 'block_size', 0) !== 0) ctx.bad(n, `blocked quantization (block_size=${ctx.int(n, 'block_size', 0)}) is not supported`);
  if (n.attrs.has('precision')) ctx.bad(n, 'the precision attribute is not supported');
  const rank = ctx.shapeOf(x, n).length;
  const scale = ctx.constant(n, s, 'the scale');
  if (scale.dtype !== 'float32') ctx.bad(n, `scale must be float32, got ${scale.dtype}`);
  const zp = z ? ctx.constant(n, z, 'the zero point') : undefined;
  let dtype: DType;
  if (n.opType === 'QuantizeLinear') {
    const out = ctx.int(n, 'output_dtype', 0);
    dtype = zp?.dtype ?? (out ? dtypeFromOnnx(out, ctx.where(n), 'output_dtype') : 'uint8');
  } else dtype = zp?.dtype ?? ctx.infoOf(x, n).dtype;
  if (!QUANT_DTYPES.includes(dtype)) fail105(ctx, n, dtype);
  const k = numel(scale.shape);
  if (zp && numel(zp.shape) !== k) ctx.bad(n, `zero point has ${numel(zp.shape)} values, scale ${k}`);
  // The default axis is 1; a 1-D tensor (a bias) has no axis 1, and exporters leave the attribute out there, so
  // an absent axis on a rank-1 tensor means its only axis, as onnxruntime reads it.
  let axis = ctx.int(n, 'axis', rank === 1 ? 0 : 1);
  if (axis < 0) axis += rank;
  if (scale.shape.length > 1) ctx.bad(n, `scale of shape [${scale.shape}]: only per-tensor and per-axis (1-D) are supported`);
  if (k > 1 && (axis < 0 || axis >= rank || ctx.shapeOf(x, n)[axis] !== k)) ctx.bad(n, `${k} scales do not match axis ${ctx.int(n, 'axis', 1)} of [${ctx.shapeOf(x, n)}]`);
  return {
    scale: Array.from(scale.data as Float32Array),
    zeroPoint: zp ? Array.from(zp.data as ArrayLike<number | bigint>, Number) : new Array<number>(k).fill(0),
    axis: k > 1 ? axis : 0,
    dtype,
  };
}

function fail105(ctx: ImportContext, n: OnnxNode, dtype: DType): never {
  ctx.bad(n, `quantized type ${dtype} is not supported (int8, uint8, int16, uint16, int32)`);
}

function annotation(p: Params): QuantParams {
  return p.scale.length > 1 ? { scale: p.scale, zeroPoint: p.zeroPoint, axis: p.axis } : { scale: p.scale, zeroPoint: p.zeroPoint };
}

/** The annotation a folded Q -> DQ pair leaves on its float activation: it also records the integer type. */
function activationAnnotation(p: Params): QuantParams {
  return { ...annotation(p), dtype: p.dtype };
}

/** Q/DQ attributes for the IR node, with the axis remapped when the node runs channels-last. */
function irAttrs(p: Params, layout: 'cf' | 'cl', rank: number, withDtype: boolean) {
  const axis = layout === 'cl' && p.scale.length > 1 ? toChannelsLast(rank).indexOf(p.axis) : p.axis;
  return { scale: p.scale, zeroPoint: p.zeroPoint, axis, dtype: withDtype ? p.dtype : undefined };
}

/** The Q nodes whose output feeds only matching DQ nodes (and is no graph output): those pairs become annotations. */
export function planQdqPairs(graph: GraphProto): Map<string, string> {
  const folded = new Map<string, string>();
  const outputs = new Set(graph.output.map((o) => o.name));
  const readers = new Map<string, typeof graph.node>();
  for (const node of graph.node) for (const i of node.input) if (i) readers.set(i, [...(readers.get(i) ?? []), node]);
  const axisOf = (node: (typeof graph.node)[number]) => node.attribute.find((a) => a.name === 'axis')?.i ?? 1n;
  for (const q of graph.node) {
    if (q.opType !== 'QuantizeLinear' || (q.domain !== '' && q.domain !== 'ai.onnx')) continue;
    const y = q.output[0];
    const rs = y ? readers.get(y) : undefined;
    if (!y || !rs || outputs.has(y)) continue;
    const same = rs.every(
      (d) => d.opType === 'DequantizeLinear' && d.input[1] === q.input[1] && (d.input[2] ?? '') === (q.input[2] ?? '') && axisOf(d) === axisOf(q) && d.attribute.every((a) => a.name === 'axis'),
    );
    if (same && q.attribute.every((a) => a.name === 'axis') && q.input[0]) folded.set(y, q.input[0]);
  }
  return folded;
}

export const quantizeLinear: ImportFn = (ctx, n) => {
  const p = params(ctx, n);
  const x = n.inputs[0]!;
  const y = n.outputs[0]!;
  if (ctx.infoOf(x, n).dtype !== 'float32') ctx.bad(n, `QuantizeLinear of ${ctx.infoOf(x, n).dtype} input is not supported (float32 only)`);
  if (ctx.qdqPairs.has(y)) {
    // The pair Q -> DQ: x keeps its float value and gains the annotation; each DQ aliases x.
    ctx.setQuant(x, activationAnnotation(p));
    return;
  }
  const layout = ctx.clOnly(x) ? 'cl' : 'cf';
  const rank = ctx.shapeOf(x, n).length;
  ctx.emitValue(n, 'quantize', [layout === 'cl' ? ctx.cl(x, n) : ctx.cf(x, n)], irAttrs(p, layout, rank, true), layout);
};

export const dequantizeLinear: ImportFn = (ctx, n) => {
  const x = n.inputs[0]!;
  const y = n.outputs[0]!;
  const qIn = ctx.qdqPairs.get(x);
  if (qIn !== undefined) {
    // The quantize node was folded: its float input stands for this output (carrying the annotation).
    ctx.checkAttrs(n, QDQ_ATTRS);
    ctx.alias(y, qIn, n);
    return;
  }
  const p = params(ctx, n);
  const xDtype = ctx.infoOf(x, n).dtype;
  if (!isInteger(xDtype)) ctx.bad(n, `DequantizeLinear of ${xDtype} input is not supported`);
  const rank = ctx.shapeOf(x, n).length;
  const c = ctx.consts.get(x);
  if (c) {
    // A quantized constant: integer data + quant, dequantized by a node so the float graph stays runnable.
    const irX = ctx.cf(x, n);
    ctx.irInfo(irX).quant = annotation(p);
    ctx.emitValue(n, 'dequantize', [irX], irAttrs(p, 'cf', rank, false), 'cf');
    if (rank >= 3) {
      // Channels-last readers (conv weights) get the constant re-laid, not a transpose at run time.
      ctx.lazyCl.set(y, () => {
        const relaid = ctx.relaidConst(x, c, rank);
        ctx.irInfo(relaid).quant = p.scale.length > 1 ? { ...annotation(p), axis: toChannelsLast(rank).indexOf(p.axis) } : annotation(p);
        const out = ctx.freshTensor(`${y}_nhwc`);
        return ctx.emit('dequantize', [relaid], irAttrs(p, 'cl', rank, false), [out], `${n.name}_nhwc`)[0]!;
      });
    }
    return;
  }
  const layout = ctx.clOnly(x) ? 'cl' : 'cf';
  ctx.emitValue(n, 'dequantize', [layout === 'cl' ? ctx.cl(x, n) : ctx.cf(x, n)], irAttrs(p, layout, rank, false), layout);
};
