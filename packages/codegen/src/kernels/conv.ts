import type { ConvParams } from '@qtool/ops';
import type { Graph, Node } from '@qtool/ir';
import type { KernelEmitter } from '../kernel.js';
import type { Target } from '../target.js';
import { codegenError, cStruct, dims, emitBias, emitRequant, emitWeights, outputFields, paramsOf, shapeOf } from './mac_common.js';
import { emitFastConv, fastConvKind, fastFamily, fastSource, type ConvGeometry } from './mac_fast.js';

// conv -> qt_conv_s8 (runtime/qt_mac.c): 2-D, and 1-D as a 2-D conv with H = 1; grouped and depthwise (with
// channel multiplier) in the same kernel. X [N, S1..Sr, Cin], W [Cout, K1..Kr, Cin/groups], Y [N, O1..Or, Cout].

export const convEmitter: KernelEmitter = {
  op: 'conv',
  sources: (_node: Node, target: Target) => {
    const f = fastFamily(target);
    return f ? ['qt_mac.c', fastSource(f)] : ['qt_mac.c'];
  },

  // the fast conv's scratch (qt_mac.h): its im2col column, or the Winograd tile
  scratch(node: Node, graph: Graph, target: Target) {
    const x = graph.tensors.get(node.inputs[0]!)?.shape;
    const y = graph.tensors.get(node.outputs[0]!)?.shape;
    if (!x || !y || node.params === undefined) return 0;
    const p = paramsOf<ConvParams>(node);
    return fastConvKind(fastFamily(target), geometryOf(p, x, y), p.weights, p.inputOffset)?.scratch ?? 0;
  },

  emit(ctx) {
    const { node, prefix } = ctx;
    const p = paramsOf<ConvParams>(node);
    const x = shapeOf(ctx, node.inputs[0]);
    const y = shapeOf(ctx, node.outputs[0]);
    const r = p.kernel.length;
    if (r !== 1 && r !== 2) codegenError(node, `${r}-D convolution has no kernel (1-D and 2-D only)`);
    if (x.length !== r + 2 || y.length !== r + 2) codegenError(node, `X [${x}] and Y [${y}] must be [N, S1..S${r}, C]`);
    const geo = geometryOf(p, x, y);
    const { inH, inW, outH, outW, kH, kW, strideH, strideW, dilH, dilW, padTop, padLeft, padBottom, padRight } = geo;
    const inC = x[r + 1]!;
    const outC = y[r + 1]!;
    const g = p.groups;
    const batches = x[0]!;
    if (y[0] !== batches) codegenError(node, `X [${x}] and Y [${y}] differ in batch`);
    if (!Number.isInteger(g) || g < 1 || inC % g !== 0 || outC % g !== 0) codegenError(node, `groups ${g} must divide Cin ${inC} and Cout ${outC}`);
    const wShape = [outC, ...p.kernel, inC / g];
    if (p.weights.shape.join() !== wShape.join()) codegenError(node, `weights [${p.weights.shape}] must be [${wShape}] for X [${x}], Y [${y}]`);
    const outOf = (n: number, k: number, s: number, d: number, pb: number, pe: number) => Math.floor((n + pb + pe - ((k - 1) * d + 1)) / s) + 1;
    if (outOf(inH, kH, strideH, dilH, padTop, padBottom) !== outH || outOf(inW, kW, strideW, dilW, padLeft, padRight) !== outW)
      codegenError(node, `Y [${y}] does not match X [${x}] with kernel [${p.kernel}], strides [${p.strides}], dilations [${p.dilations}], pads [${p.pads}]`);

    const kind = g === 1 ? '' : g === inC ? `, depthwise x${outC / inC}` : `, ${g} groups`;
    const geom = `k${dims(p.kernel)} s${dims(p.strides)} d${dims(p.dilations)} p${p.pads.join(',')}`;
    const fast = emitFastConv(ctx, geo, p.weights, p.bias, p, `conv ${dims(x)} -> ${dims(y)}, ${geom}${kind}`);
    if (fast) return fast;

    const weights = emitWeights(ctx, p.weights, outC);
    const bias = emitBias(ctx, p.bias, outC);
    const requant = emitRequant(ctx, p.multipliers, outC);
    ctx.declare(
      cStruct('qt_conv_params_t', `${prefix}_p`, [
        ['batches', batches],
        ['in_h', inH],
        ['in_w', inW],
        ['in_c', inC],
        ['out_h', outH],
        ['out_w', outW],
        ['out_c', outC],
        ['k_h', kH],
        ['k_w', kW],
        ['stride_h', strideH],
        ['stride_w', strideW],
        ['dil_h', dilH],
        ['dil_w', dilW],
        ['pad_top', padTop],
        ['pad_left', padLeft],
        ['pad_bottom', padBottom],
        ['pad_right', padRight],
        ['groups', g],
        ['input_offset', p.inputOffset],
        ['output_offset', p.outputOffset],
        ['weights', `&${weights}`],
        ['bias', bias],
        ['requant', requant],
        ['per_channel_requant', p.multipliers.length > 1 ? 1 : 0],
        ...outputFields(p),
      ]),
    );
    return `qt_conv_s8(&${prefix}_p, ${ctx.ptr(node.inputs[0]!)}, ${ctx.ptr(node.outputs[0]!)}); /* conv ${dims(x)} -> ${dims(y)}, ${geom}${kind} */`;
  },
};

/** The conv as a 2-D one (a 1-D conv is the 2-D one with a height of 1: no pads, stride and dilation 1 along it). */
function geometryOf(p: ConvParams, x: readonly number[], y: readonly number[]): ConvGeometry {
  const r = p.kernel.length;
  const as2d = (v: readonly number[], one: number): [number, number] => (r === 1 ? [one, v[0]!] : [v[0]!, v[1]!]);
  const [inH, inW] = as2d(x.slice(1, r + 1), 1);
  const [outH, outW] = as2d(y.slice(1, r + 1), 1);
  const [kH, kW] = as2d(p.kernel, 1);
  const [strideH, strideW] = as2d(p.strides, 1);
  const [dilH, dilW] = as2d(p.dilations, 1);
  // ONNX pads: begins then ends, [x1_begin, x2_begin, x1_end, x2_end]
  const [padTop, padLeft, padBottom, padRight] = r === 1 ? [0, p.pads[0]!, 0, p.pads[1]!] : (p.pads as [number, number, number, number]);
  return { batches: x[0]!, inH, inW, inC: x[r + 1]!, outH, outW, outC: y[r + 1]!, kH, kW, strideH, strideW, dilH, dilW, padTop, padLeft, padBottom, padRight, groups: p.groups };
}
