import { cloneGraph, consumers, makeTensor, numel, producers, pruneUnused } from '@qtool/ir';
import { definePass } from './pass.js';
import { removeAlias, singleUse } from './rewrite.js';

/**
 * Folds `add(conv_or_fc(x), c)` with a constant c that is one value per output channel (shape [..1.., C] or
 * [C]) into the layer's bias: the integer kernel then adds it in the accumulator, exactly, instead of a
 * separate requantizing add (ONNX exporters such as CNTK write biases this way).
 */
export const foldBiasAdd = definePass({
  name: 'fold-bias-add',
  run(input) {
    const g = cloneGraph(input);
    for (const add of [...g.nodes]) {
      if (add.op !== 'add' || add.attrs.actMin !== undefined || add.attrs.actMax !== undefined) continue;
      const prod = producers(g);
      const k = add.inputs.findIndex((i) => g.initializers.has(i));
      if (k < 0) continue;
      const x = add.inputs[1 - k]!;
      const c = g.initializers.get(add.inputs[k]!)!;
      const p = prod.get(x);
      if (!p || (p.op !== 'conv' && p.op !== 'fully_connected') || !singleUse(g, x, consumers(g))) continue;
      if (p.attrs.actMin !== undefined || p.attrs.actMax !== undefined) continue;
      const w = g.initializers.get(p.inputs[1]!);
      const cout = w?.shape[0];
      const outShape = g.tensors.get(x)!.shape;
      if (!w || c.dtype !== 'float32' || numel(c.shape) !== cout || c.shape[c.shape.length - 1] !== cout) continue;
      if (c.shape.length > outShape.length) continue; // the add would broadcast to a larger rank
      const old = p.inputs[2] ? g.initializers.get(p.inputs[2]) : undefined;
      if (p.inputs[2] && !old) continue;
      const bias = new Float32Array(cout);
      for (let o = 0; o < cout; o++) bias[o] = (old ? Number(old.data[o]) : 0) + Number(c.data[o]);
      const name = `${p.name}_bias`;
      g.initializers.set(name, makeTensor('float32', [cout], bias));
      g.tensors.set(name, { name, dtype: 'float32', shape: [cout] });
      p.inputs = [p.inputs[0]!, p.inputs[1]!, name];
      // the add is now the identity on the layer's output
      add.inputs = [x];
      removeAlias(g, add);
    }
    pruneUnused(g);
    return g;
  },
});
