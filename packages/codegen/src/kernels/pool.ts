import type { PoolParams } from '@qtool/ops';
import type { KernelEmitter } from '../kernel.js';
import { codegenError, declareRequant, declareStruct, dims, paramsOf, shapeOf } from './others_common.js';

// max_pool and avg_pool: runtime/qt_pool.c (qt_max_pool_s8, qt_avg_pool_s8), NHWC, 2-D, and 1-D as a 2-D pool
// of height 1. The output extents (ceil mode included) come from the graph's shapes; the kernel needs only the
// window geometry and the end pads (for count_include_pad's padded count).

function poolEmitter(op: 'max_pool' | 'avg_pool'): KernelEmitter {
  return {
    op,
    sources: () => ['qt_pool.c'],
    emit(ctx) {
      const p = paramsOf<PoolParams>(ctx.node);
      const x = shapeOf(ctx, ctx.node.inputs[0]);
      const y = shapeOf(ctx, ctx.node.outputs[0]);
      const r = p.kernel.length;
      if (r !== 1 && r !== 2) codegenError(ctx.node, `${r}-D pooling has no C kernel (1-D and 2-D only)`);
      if (x.length !== r + 2 || y.length !== r + 2) codegenError(ctx.node, `X [${x}] and Y [${y}] must be [N, spatial.., C] with ${r} spatial axes`);
      // 1-D: a height-1 2-D pool with a height-1 window
      const two = (v: number[], one: number) => (r === 2 ? v : [one, v[0]!]);
      const [inH, inW] = two(x.slice(1, r + 1), 1);
      const [outH, outW] = two(y.slice(1, r + 1), 1);
      const [kH, kW] = two(p.kernel, 1);
      const [sH, sW] = two(p.strides, 1);
      const [dH, dW] = two(p.dilations, 1);
      const [pt, pl] = two(p.pads.slice(0, r), 0);
      const [pb, pr] = two(p.pads.slice(r), 0);
      const requant = declareRequant(ctx, 'rq', p.requant);
      const name = declareStruct(ctx, 'qt_pool_params_t', '', [
        ['batches', x[0]!],
        ['in_h', inH!],
        ['in_w', inW!],
        ['channels', x[r + 1]!],
        ['out_h', outH!],
        ['out_w', outW!],
        ['k_h', kH!],
        ['k_w', kW!],
        ['stride_h', sH!],
        ['stride_w', sW!],
        ['dil_h', dH!],
        ['dil_w', dW!],
        ['pad_top', pt!],
        ['pad_left', pl!],
        ['pad_bottom', pb!],
        ['pad_right', pr!],
        ['count_include_pad', p.countIncludePad ? 1 : 0],
        ['pad_value', p.padValue],
        ['act_min', p.outMin],
        ['act_max', p.outMax],
        ['requant', requant],
      ]);
      const geom = `k${p.kernel.join('x')} s${p.strides.join('x')} p${p.pads.join(',')}${p.ceilMode ? ' ceil' : ''}`;
      return `qt_${op}_s8(&${name}, ${ctx.ptr(ctx.node.inputs[0]!)}, ${ctx.ptr(ctx.node.outputs[0]!)}); /* ${dims(x)} -> ${dims(y)}, ${geom} */`;
    },
  };
}

export const maxPoolEmitter = poolEmitter('max_pool');
export const avgPoolEmitter = poolEmitter('avg_pool');
