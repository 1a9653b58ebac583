import { cloneGraph, makeTensor, pruneUnused } from '@qtool/ir';
import { definePass } from './pass.js';
import { removeAlias, singleUse } from './rewrite.js';

/**
 * Folds an inference-mode batch_norm into the conv / fully_connected that feeds it:
 * W'[o,...] = W[o,...] * k[o], B'[o] = (B[o] - mean[o]) * k[o] + beta[o], with k = gamma / sqrt(var + eps).
 * Applies when the producer has constant weights, no fused clamp, and the batch_norm is its only reader.
 */
export const foldBatchNorm = definePass({
  name: 'fold-batchnorm',
  run(input) {
    const g = cloneGraph(input);
    for (const bn of [...g.nodes]) {
      if (bn.op !== 'batch_norm') continue;
      const x = bn.inputs[0]!;
      const p = g.nodes.find((n) => n.outputs.includes(x));
      if (!p || (p.op !== 'conv' && p.op !== 'fully_connected')) continue;
      if (p.attrs.actMin !== undefined || p.attrs.actMax !== undefined || !singleUse(g, x)) continue;
      const [gamma, beta, mean, variance] = bn.inputs.slice(1, 5).map((n) => g.initializers.get(n));
      const w = g.initializers.get(p.inputs[1]!);
      const b = p.inputs[2] ? g.initializers.get(p.inputs[2]) : undefined;
      if (!gamma || !beta || !mean || !variance || !w || w.dtype !== 'float32' || (p.inputs[2] && !b)) continue;
      const eps = Number(bn.attrs.epsilon ?? 1e-5);
      const cout = w.shape[0]!;
      const per = w.data.length / cout;
      const k = Array.from({ length: cout }, (_, o) => Number(gamma.data[o]) / Math.sqrt(Number(variance.data[o]) + eps));
      const w2 = new Float32Array(w.data.length);
      for (let o = 0; o < cout; o++) for (let i = 0; i < per; i++) w2[o * per + i] = Number(w.data[o * per + i]) * k[o]!;
      const b2 = new Float32Array(cout);
      for (let o = 0; o < cout; o++) b2[o] = ((b ? Number(b.data[o]) : 0) - Number(mean.data[o])) * k[o]! + Number(beta.data[o]);
      const wName = `${p.name}_w_bn`;
      const bName = `${p.name}_b_bn`;
      g.initializers.set(wName, makeTensor('float32', w.shape, w2));
      g.tensors.set(wName, { name: wName, dtype: 'float32', shape: [...w.shape] });
      g.initializers.set(bName, makeTensor('float32', [cout], b2));
      g.tensors.set(bName, { name: bName, dtype: 'float32', shape: [cout] });
      p.inputs = [p.inputs[0]!, wName, bName];
      // the batch_norm is now the identity on the producer's output
      removeAlias(g, bn);
    }
    pruneUnused(g);
    return g;
  },
});
