import type { LutParams } from '@qtool/ops';
import type { KernelEmitter } from '../kernel.js';
import { codegenError, declareStruct, dims, paramsOf, product, shapeOf } from './others_common.js';

// The table activations: runtime/qt_elementwise.c qt_lut_s8, one 256-entry int8 table (T[q + 128] is the
// output for input q), or one per channel of the last axis for a per-channel prelu slope.

/** IR ops whose integer form is a table lookup (packages/ops int_lut.ts). */
export const LUT_OPS = ['relu', 'clip', 'leaky_relu', 'prelu', 'sigmoid', 'tanh', 'hard_sigmoid', 'hard_swish'] as const;

function lutEmitter(op: string): KernelEmitter {
  return {
    op,
    sources: () => ['qt_elementwise.c'],
    emit(ctx) {
      const p = paramsOf<LutParams>(ctx.node);
      const x = shapeOf(ctx, ctx.node.inputs[0]);
      const n = p.tables.length;
      // evalLut broadcasts tableShape to X as NumPy does; quantizePreluLut gives [] (one table) or [C], which
      // pairs flat element k with table k % C exactly when C is X's last axis
      if (n > 1 && (p.tableShape.length !== 1 || p.tableShape[0] !== n || x[x.length - 1] !== n))
        codegenError(ctx.node, `per-channel tables of shape [${p.tableShape}] must run along the last axis of X [${x}]`);
      const all = new Int8Array(256 * n);
      p.tables.forEach((t, i) => all.set(t, 256 * i));
      const table = ctx.constArray('table', 'int8_t', all);
      const name = declareStruct(ctx, 'qt_lut_params_t', '', [
        ['size', product(x)],
        ['tables', n],
        ['table', table],
      ]);
      return `qt_lut_s8(&${name}, ${ctx.ptr(ctx.node.inputs[0]!)}, ${ctx.ptr(ctx.node.outputs[0]!)}); /* ${op} ${dims(x)}, ${n} table${n > 1 ? 's' : ''} */`;
    },
  };
}

export const lutEmitters: KernelEmitter[] = LUT_OPS.map(lutEmitter);
