import type { FullyConnectedParams } from '@qtool/ops';
import type { Graph, Node } from '@qtool/ir';
import type { KernelEmitter } from '../kernel.js';
import type { Target } from '../target.js';
import { codegenError, cStruct, dims, emitBias, emitRequant, emitWeights, outputFields, paramsOf, product, shapeOf } from './mac_common.js';
import { emitFastGemm, fastFamily, fastSource, fcScratch, specialised } from './mac_fast.js';

// fully_connected -> qt_fc_s8 (runtime/qt_mac.c): Y[..., n] = sum_k X[..., k] W[n, k] + B[n]; every leading axis
// of X is a batch axis.

export const fullyConnectedEmitter: KernelEmitter = {
  op: 'fully_connected',
  sources: (_node: Node, target: Target) => {
    const f = fastFamily(target);
    return f ? ['qt_mac.c', fastSource(f)] : ['qt_mac.c'];
  },

  // the widened row where the DSP gemm keeps packed sub-byte weights (mac_fast.ts, fcScratch)
  scratch(node: Node, _graph: Graph, target: Target) {
    const p = node.params as FullyConnectedParams | undefined;
    return p?.weights?.shape.length === 2 ? fcScratch(fastFamily(target), p.weights, p.weights.shape[1]!) : 0;
  },

  emit(ctx) {
    const { node, prefix } = ctx;
    const p = paramsOf<FullyConnectedParams>(node);
    const x = shapeOf(ctx, node.inputs[0]);
    const y = shapeOf(ctx, node.outputs[0]);
    if (p.weights.shape.length !== 2) codegenError(node, `weights must be [N, K], got [${p.weights.shape}]`);
    const [n, k] = p.weights.shape as [number, number];
    if (x.length < 1 || x[x.length - 1] !== k) codegenError(node, `X [${x}] has not K = ${k} as the weights [${p.weights.shape}]`);
    const batches = product(x.slice(0, -1));
    if (y.length < 1 || y[y.length - 1] !== n || product(y.slice(0, -1)) !== batches) codegenError(node, `Y [${y}] must be [${x.slice(0, -1)}, ${n}]`);

    // the fast kernels (qt_mac_dsp.c, qt_mac_mve.c): one gemm row per batch
    const family = fastFamily(ctx.target);
    const gemm = family ? emitFastGemm(ctx, family, p.weights, p.bias, n, p) : undefined;
    if (family && gemm) {
      ctx.declare(`static const qt_gemm_s8_t ${prefix}_fp = ${gemm};`);
      const scratch = fcScratch(family, p.weights, k) ? 'qt_scratch' : 'NULL';
      const run = specialised(ctx, `qt_fc_spec_${family}(&${prefix}_fp, ${batches}, in, out, scratch)`, 'const int8_t *in, int8_t *out, int8_t *scratch');
      return `${run}(${ctx.ptr(node.inputs[0]!)}, ${ctx.ptr(node.outputs[0]!)}, ${scratch}); /* fully_connected ${dims(x)} -> ${dims(y)} */`;
    }

    const weights = emitWeights(ctx, p.weights, n);
    const bias = emitBias(ctx, p.bias, n);
    const requant = emitRequant(ctx, p.multipliers, n);
    ctx.declare(
      cStruct('qt_fc_params_t', `${prefix}_p`, [
        ['batches', batches],
        ['in_features', k],
        ['out_features', n],
        ['input_offset', p.inputOffset],
        ['output_offset', p.outputOffset],
        ['weights', `&${weights}`],
        ['bias', bias],
        ['requant', requant],
        ['per_channel_requant', p.multipliers.length > 1 ? 1 : 0],
        ...outputFields(p),
      ]),
    );
    return `qt_fc_s8(&${prefix}_p, ${ctx.ptr(node.inputs[0]!)}, ${ctx.ptr(node.outputs[0]!)}); /* fully_connected ${dims(x)} -> ${dims(y)} */`;
  },
};
