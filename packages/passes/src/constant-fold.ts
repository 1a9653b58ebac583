import { cloneGraph, pruneUnused } from '@qtool/ir';
import { opOf } from '@qtool/ops';
import { definePass } from './pass.js';

/** Quantization boundaries stay as nodes: the quantizer reads them, folding would lose the integer values. */
const keep = new Set(['quantize', 'dequantize']);

/**
 * Evaluates every node whose inputs are all initializers (a subgraph computing a constant, such as a
 * transposed or reshaped weight) with the op's reference and stores the result as an initializer.
 */
export const constantFold = definePass({
  name: 'constant-fold',
  run(input) {
    const g = cloneGraph(input);
    for (const n of [...g.nodes]) {
      if (keep.has(n.op)) continue;
      const ins = n.inputs.filter(Boolean);
      if (ins.length === 0 || !ins.every((i) => g.initializers.has(i))) continue;
      if (n.outputs.some((o) => g.outputs.includes(o))) continue; // a graph output stays computed
      const outs = opOf(n).evalFloat(n, n.inputs.map((i) => (i ? g.initializers.get(i) : undefined)));
      n.outputs.forEach((o, k) => {
        if (!o) return;
        g.initializers.set(o, outs[k]!);
        const ti = g.tensors.get(o)!;
        g.tensors.set(o, { ...ti, dtype: outs[k]!.dtype, shape: [...outs[k]!.shape] });
      });
      g.nodes = g.nodes.filter((m) => m !== n);
    }
    pruneUnused(g);
    return g;
  },
});
