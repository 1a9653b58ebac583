import { cloneGraph, isFloat, isInteger, numel, stridesOf, type QuantParams, type Tensor } from '@qtool/ir';
import { definePass } from './pass.js';
import { removeAlias } from './rewrite.js';

/**
 * The float graph of a quantized one (docs/ir.md, "Quantized values"), for the float simulator:
 * - every integer initializer with `quant` becomes float32, real = scale * (q - zeroPoint) (per axis);
 * - every integer value with `quant` (activations, graph inputs and outputs) becomes float32, keeping `quant`
 *   as an annotation;
 * - `quantize` / `dequantize` nodes that now map float to float are identities and are removed (a TFLite
 *   requantize, imported as dequantize + quantize, goes with them). When a node cannot be removed because it
 *   connects a graph input straight to a graph output, it becomes an identity reshape.
 * Integer values without `quant` (indices, shapes) are left alone. Attribute values (actMin/actMax, clip bounds,
 * pad value) are real numbers already and need no change.
 */
export const dequantizeGraph = definePass({
  name: 'dequantize',
  run(input) {
    const g = cloneGraph(input);
    for (const [name, t] of g.initializers) {
      const info = g.tensors.get(name);
      if (!info?.quant || !isInteger(t.dtype)) continue;
      g.initializers.set(name, dequantizeTensor(t, info.quant));
      info.dtype = 'float32';
    }
    for (const info of g.tensors.values()) if (info.quant && isInteger(info.dtype)) info.dtype = 'float32';
    for (const n of [...g.nodes]) {
      if (n.op !== 'quantize' && n.op !== 'dequantize') continue;
      const x = g.tensors.get(n.inputs[0] ?? '');
      const y = g.tensors.get(n.outputs[0] ?? '');
      if (!x || !y || !isFloat(x.dtype) || !isFloat(y.dtype)) continue;
      if (!removeAlias(g, n)) {
        n.op = 'reshape';
        n.attrs = { shape: [...y.shape] };
      }
    }
    return g;
  },
});

/** real = scale * (q - zeroPoint) as float32; per-channel along `quant.axis` when there are several scales. */
export function dequantizeTensor(t: Tensor, quant: QuantParams): Tensor {
  const n = numel(t.shape);
  const out = new Float32Array(n);
  const perAxis = quant.scale.length > 1;
  const axis = quant.axis ?? 0;
  const stride = perAxis ? stridesOf(t.shape)[axis]! : 1;
  const dim = perAxis ? t.shape[axis]! : 1;
  if (perAxis && dim !== quant.scale.length)
    throw new RangeError(`${quant.scale.length} scales for axis ${axis} of shape [${t.shape}]`);
  for (let i = 0; i < n; i++) {
    const c = perAxis ? Math.floor(i / stride) % dim : 0;
    out[i] = quant.scale[c]! * (Number(t.data[i]) - quant.zeroPoint[c]!);
  }
  return { dtype: 'float32', shape: [...t.shape], data: out };
}
