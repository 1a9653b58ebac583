import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { numel, type Graph, type Node } from '@qtool/ir';
import type { ChainMacStage, ChainPoolStage, ConvParams, MacChainParams } from '@qtool/ops';
import type { EmitContext, KernelEmitter } from '../kernel.js';
import { codegenError, cStruct, dims, emitBias, emitRequant, emitWeights, outputFields, paramsOf, product, type CField } from './mac_common.js';

// mac_chain -> qt_chain_conv / qt_chain_fc / qt_chain_max_pool (runtime/qt_chain.c), one call per stage in a
// straight line. Intermediate values are int32 accumulators in the kernel scratch, alternating between two
// buffers (A at 0, B after A); a reshape stage moves nothing. The prototypes (runtime/qt_chain.h) are declared in
// the model source once, so a compiled folder needs no extra header.

const ALIGN = 16;
const alignUp = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

/**
 * A conv stage whose next stage is a max_pool with windows that neither overlap nor pad (stride = kernel, no pads,
 * no dilation, no ceil mode) runs as one call, qt_chain_conv_pool: the conv's own output is never stored.
 */
function fusedWithNext(p: MacChainParams, i: number): boolean {
  const s = p.stages[i]!;
  const n = p.stages[i + 1];
  return s.kind === 'conv' && n?.kind === 'max_pool' && !n.ceilMode && n.pads.every((v) => v === 0) && n.dilations.every((v) => v === 1) && n.strides.every((v, a) => v === n.kernel[a]);
}

/** Which int32 buffer (0 = A, 1 = B) each stage writes (-1: the int8 output or no data), and the sizes of A and B. */
function layout(p: MacChainParams): { target: number[]; bytes: [number, number] } {
  const bytes: [number, number] = [0, 0];
  let cur = -1; // the buffer holding the current values (-1: the int8 input)
  const target = p.stages.map((s, i) => {
    if (s.kind === 'reshape' || fusedWithNext(p, i)) return cur;
    if (i === p.stages.length - 1) return -1;
    const t = cur === 0 ? 1 : 0;
    bytes[t] = Math.max(bytes[t], numel(s.outShape) * 4);
    cur = t;
    return t;
  });
  return { target, bytes };
}

function scratchBytes(node: Node): number {
  const { bytes } = layout(paramsOf<MacChainParams>(node));
  return bytes[1] ? alignUp(bytes[0]) + bytes[1] : bytes[0];
}

/** A sub-context whose declarations are named <prefix>_s<i>_* (emitWeights and friends name theirs by prefix). */
function stageCtx(ctx: EmitContext, i: number): EmitContext {
  return { ...ctx, prefix: `${ctx.prefix}_s${i}`, constArray: (suffix, ctype, values) => ctx.constArray(`s${i}_${suffix}`, ctype, values), constRecords: (suffix, ctype, bytes, records) => ctx.constRecords(`s${i}_${suffix}`, ctype, bytes, records) };
}

function convFields(s: ChainMacStage, node: Node): CField[] {
  const p = s.mac as ConvParams;
  const [, inH, inW, inC] = s.inShape as [number, number, number, number];
  const [, outH, outW, outC] = s.outShape as [number, number, number, number];
  if (p.kernel.length !== 2 || s.inShape.length !== 4) codegenError(node, 'chain conv stages are 2-D');
  const [padTop, padLeft, padBottom, padRight] = p.pads as [number, number, number, number];
  return [
    ['batches', s.inShape[0]!],
    ['in_h', inH],
    ['in_w', inW],
    ['in_c', inC],
    ['out_h', outH],
    ['out_w', outW],
    ['out_c', outC],
    ['k_h', p.kernel[0]!],
    ['k_w', p.kernel[1]!],
    ['stride_h', p.strides[0]!],
    ['stride_w', p.strides[1]!],
    ['dil_h', p.dilations[0]!],
    ['dil_w', p.dilations[1]!],
    ['pad_top', padTop],
    ['pad_left', padLeft],
    ['pad_bottom', padBottom],
    ['pad_right', padRight],
    ['groups', p.groups],
  ];
}

function poolFields(s: ChainPoolStage): CField[] {
  const [, inH, inW, ch] = s.inShape as [number, number, number, number];
  const [, outH, outW] = s.outShape as [number, number, number, number];
  const [padTop, padLeft, padBottom, padRight] = s.pads as [number, number, number, number];
  return [
    ['batches', s.inShape[0]!],
    ['in_h', inH],
    ['in_w', inW],
    ['channels', ch],
    ['out_h', outH],
    ['out_w', outW],
    ['k_h', s.kernel[0]!],
    ['k_w', s.kernel[1]!],
    ['stride_h', s.strides[0]!],
    ['stride_w', s.strides[1]!],
    ['dil_h', s.dilations[0]!],
    ['dil_w', s.dilations[1]!],
    ['pad_top', padTop],
    ['pad_left', padLeft],
    ['pad_bottom', padBottom],
    ['pad_right', padRight],
    ['count_include_pad', 0],
    ['pad_value', 0],
    ['act_min', -128, 'not used on int32'],
    ['act_max', 127, 'not used on int32'],
    ['requant', 'NULL'],
  ];
}

const runtimeDir = join(dirname(fileURLToPath(import.meta.url)), '../../runtime');
let headerText: string | undefined;

export const macChainEmitter: KernelEmitter = {
  op: 'mac_chain',
  sources: () => ['qt_chain.c'],
  scratch: (node: Node, _g: Graph) => scratchBytes(node),

  emit(ctx) {
    const { node, prefix } = ctx;
    const p = paramsOf<MacChainParams>(node);
    const { target, bytes } = layout(p);
    const buf = (t: number) => (t === 0 ? '(int32_t *)(void *)qt_scratch' : `(int32_t *)(void *)(qt_scratch + ${alignUp(bytes[0])})`);
    headerText ??= readFileSync(join(runtimeDir, 'qt_chain.h'), 'utf8');
    ctx.declare(`/* ${prefix}: a chain of ${p.layers.length} layers (${p.layers.join(', ')}); proven |accumulator| <= ${p.bound} (limit ${p.limit}) */\n${headerText.trim()}`);
    const calls: string[] = [];
    let cur = -1;
    p.stages.forEach((s, i) => {
      if (s.kind === 'reshape') {
        calls.push(`/* ${prefix} stage ${i}: reshape ${dims(s.inShape)} -> ${dims(s.outShape)} (no data moves) */`);
        return;
      }
      const sc = stageCtx(ctx, i);
      const name = `${prefix}_s${i}_p`;
      const input = cur < 0 ? ctx.ptr(node.inputs[0]!) : buf(cur);
      if (s.kind === 'max_pool') {
        ctx.declare(cStruct('qt_pool_params_t', name, poolFields(s)));
        if (fusedWithNext(p, i - 1)) {
          cur = target[i]!; // qt_chain_conv_pool of the conv stage before computed it
          return;
        }
        calls.push(`qt_chain_max_pool(&${name}, ${input}, ${buf(target[i]!)}); /* ${prefix} stage ${i}: max_pool ${dims(s.inShape)} -> ${dims(s.outShape)} on int32 */`);
        cur = target[i]!;
        return;
      }
      const last = i === p.stages.length - 1;
      const m = s.mac;
      const cout = m.weights.shape[0]!;
      const weights = emitWeights(sc, m.weights, cout);
      const bias = emitBias(sc, m.bias, cout);
      const requant = last ? emitRequant(sc, m.multipliers, cout) : 'NULL';
      const tail: CField[] = [
        ['input_offset', m.inputOffset, cur < 0 ? 'added to every int8 input' : '0: the input is accumulators'],
        ['output_offset', last ? m.outputOffset : 0],
        ['weights', `&${weights}`],
        ['bias', bias],
        ['requant', requant],
        ['per_channel_requant', last && m.multipliers.length > 1 ? 1 : 0],
        ...outputFields(m),
      ];
      const lo = !last && s.actLo ? sc.constArray('lo', 'int32_t', s.actLo) : 'NULL';
      const hi = !last && s.actHi ? sc.constArray('hi', 'int32_t', s.actHi) : 'NULL';
      const in8 = cur < 0 ? input : 'NULL';
      const in32 = cur < 0 ? 'NULL' : input;
      const out32 = last ? 'NULL' : buf(target[i]!);
      const out8 = last ? ctx.ptr(node.outputs[0]!) : 'NULL';
      if (s.kind === 'conv' && fusedWithNext(p, i)) {
        const pool = p.stages[i + 1]!;
        ctx.declare(cStruct('qt_conv_params_t', name, [...convFields(s, node), ...tail]));
        calls.push(`qt_chain_conv_pool(&${name}, &${prefix}_s${i + 1}_p, ${lo}, ${hi}, ${in8}, ${in32}, ${buf(target[i + 1]!)}); /* ${prefix} stages ${i}-${i + 1}: conv ${dims(s.inShape)} -> ${dims(s.outShape)}, max_pool -> ${dims(pool.outShape)}, int32 */`);
      } else if (s.kind === 'conv') {
        ctx.declare(cStruct('qt_conv_params_t', name, [...convFields(s, node), ...tail]));
        calls.push(`qt_chain_conv(&${name}, ${lo}, ${hi}, ${in8}, ${in32}, ${out32}, ${out8}); /* ${prefix} stage ${i}: conv ${dims(s.inShape)} -> ${dims(s.outShape)}${last ? ', requantized' : ', int32'} */`);
      } else {
        const k = s.inShape[s.inShape.length - 1]!;
        ctx.declare(cStruct('qt_fc_params_t', name, [['batches', product(s.inShape.slice(0, -1))], ['in_features', k], ['out_features', cout], ...tail]));
        calls.push(`qt_chain_fc(&${name}, ${lo}, ${hi}, ${in8}, ${in32}, ${out32}, ${out8}); /* ${prefix} stage ${i}: fully_connected ${dims(s.inShape)} -> ${dims(s.outShape)}${last ? ', requantized' : ', int32'} */`);
      }
      cur = target[i]!;
    });
    return calls.join('\n  ');
  },
};
