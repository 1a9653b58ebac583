import { makeTensor, type Tensor } from '@qtool/ir';
import type { ImportFn } from './ops.js';

/** Constant nodes become ONNX constants (initializers once an IR node reads them). */
export const constant: ImportFn = (ctx, n) => {
  ctx.checkAttrs(n, ['value', 'value_float', 'value_floats', 'value_int', 'value_ints', 'sparse_value', 'value_string', 'value_strings']);
  if (n.attrs.size !== 1) ctx.bad(n, 'Constant needs exactly one value attribute');
  const key = [...n.attrs.keys()][0]!;
  let t: Tensor;
  switch (key) {
    case 'value': t = ctx.tensorAttr(n, 'value')!; break;
    case 'value_float': t = makeTensor('float32', [], [ctx.float(n, key)!]); break;
    case 'value_floats': { const v = ctx.floats(n, key)!; t = makeTensor('float32', [v.length], v); break; }
    case 'value_int': t = makeTensor('int64', [], [ctx.int(n, key)!]); break;
    case 'value_ints': { const v = ctx.ints(n, key)!; t = makeTensor('int64', [v.length], v); break; }
    default: return ctx.bad(n, `Constant with ${key} is not supported`);
  }
  const out = n.outputs[0]!;
  if (ctx.has(out)) ctx.bad(n, `value '${out}' is defined twice`);
  ctx.consts.set(out, t);
};
