import { cloneGraph, consumers, makeTensor, numel, producers, pruneUnused, stridesOf } from '@qtool/ir';
import { definePass } from './pass.js';
import { singleUse } from './rewrite.js';

/**
 * `fully_connected(reshape(transpose(x)))` where the reshape flattens to [1, K]: the transpose only reorders
 * what the layer reads, so permute the weight columns instead and flatten x directly. This removes the
 * NHWC -> NCHW transpose the ONNX reader puts before a flatten, and its buffer, from the device.
 */
export const foldFlattenTranspose = definePass({
  name: 'fold-flatten-transpose',
  run(input) {
    const g = cloneGraph(input);
    for (const fc of [...g.nodes]) {
      if (fc.op !== 'fully_connected') continue;
      const prod = producers(g);
      const uses = consumers(g);
      const r = prod.get(fc.inputs[0]!);
      if (!r || r.op !== 'reshape' || !singleUse(g, r.outputs[0]!, uses)) continue;
      const t = prod.get(r.inputs[0]!);
      if (!t || t.op !== 'transpose' || !singleUse(g, t.outputs[0]!, uses)) continue;
      const flat = g.tensors.get(r.outputs[0]!)!.shape;
      const w = g.initializers.get(fc.inputs[1]!);
      if (!w || w.dtype !== 'float32' || flat.length !== 2 || flat[0] !== 1) continue;
      const src = g.tensors.get(t.inputs[0]!)!.shape;
      const perm = t.attrs.perm as number[];
      const tshape = perm.map((p) => src[p]!);
      const k = flat[1]!;
      if (numel(src) !== k) continue;
      // column k of W reads transposed element k, which is source element srcIndex(k)
      const tStr = stridesOf(tshape);
      const sStr = stridesOf(src);
      const n = w.shape[0]!;
      const w2 = new Float32Array(w.data.length);
      for (let j = 0; j < k; j++) {
        let rem = j;
        let s = 0;
        for (let a = 0; a < tshape.length; a++) {
          const i = Math.floor(rem / tStr[a]!);
          rem -= i * tStr[a]!;
          s += i * sStr[perm[a]!]!;
        }
        for (let o = 0; o < n; o++) w2[o * k + s] = Number(w.data[o * k + j]);
      }
      const wName = `${fc.name}_w_perm`;
      g.initializers.set(wName, makeTensor('float32', w.shape, w2));
      g.tensors.set(wName, { name: wName, dtype: 'float32', shape: [...w.shape] });
      fc.inputs = [fc.inputs[0]!, wName, ...fc.inputs.slice(2)];
      r.inputs = [t.inputs[0]!];
      g.nodes = g.nodes.filter((m) => m !== t);
    }
    pruneUnused(g);
    return g;
  },
});
