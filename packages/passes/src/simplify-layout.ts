import { cloneGraph, numel, producers, sameShape, type Graph, type Node } from '@qtool/ir';
import { definePass } from './pass.js';
import { removeAlias, singleUse } from './rewrite.js';

/**
 * Drops data movement that moves nothing:
 * - a reshape to the shape it already has, or a transpose with the identity permutation: removed;
 * - a transpose that only moves size-1 axes: becomes a reshape (no data movement);
 * - reshape after reshape: one reshape; transpose after transpose: one transpose (removed when the
 *   composition is the identity).
 */
export const dropIdentityReshapes = definePass({
  name: 'drop-identity-reshapes',
  run(input) {
    const g = cloneGraph(input);
    let changed = true;
    while (changed) {
      changed = false;
      for (const n of [...g.nodes]) {
        if (!g.nodes.includes(n)) continue;
        if (n.op === 'transpose' && onlyMovesUnitAxes(g, n)) {
          n.op = 'reshape';
          n.attrs = { shape: [...g.tensors.get(n.outputs[0]!)!.shape] };
          changed = true;
        }
        if ((n.op === 'reshape' || n.op === 'transpose') && isIdentity(g, n)) {
          if (removeAlias(g, n)) changed = true;
          continue;
        }
        if (mergeWithProducer(g, n)) changed = true;
      }
    }
    return g;
  },
});

function isIdentity(g: Graph, n: Node): boolean {
  if (n.op === 'reshape') return sameShape(g.tensors.get(n.inputs[0]!)!.shape, g.tensors.get(n.outputs[0]!)!.shape);
  const perm = n.attrs.perm as number[];
  return perm.every((p, i) => p === i);
}

function onlyMovesUnitAxes(g: Graph, n: Node): boolean {
  const shape = g.tensors.get(n.inputs[0]!)!.shape;
  const perm = n.attrs.perm as number[];
  const moved = perm.filter((p) => shape[p] !== 1);
  // the non-unit axes keep their relative order
  return moved.every((p, i) => i === 0 || p > moved[i - 1]!) && numel(shape) === numel(g.tensors.get(n.outputs[0]!)!.shape);
}

/** reshape(reshape(x)) -> reshape(x); transpose(transpose(x)) -> transpose(x) with the composed permutation. */
function mergeWithProducer(g: Graph, n: Node): boolean {
  if (n.op !== 'reshape' && n.op !== 'transpose') return false;
  const x = n.inputs[0]!;
  const p = producers(g).get(x);
  if (!p || p.op !== n.op || !singleUse(g, x)) return false;
  const xi = g.tensors.get(x)!;
  if (xi.quant) return false; // keep a value that carries a quantization annotation
  if (n.op === 'transpose') {
    const inner = p.attrs.perm as number[];
    const outer = n.attrs.perm as number[];
    n.attrs = { perm: outer.map((o) => inner[o]!) };
  }
  n.inputs = [p.inputs[0]!];
  g.nodes = g.nodes.filter((m) => m !== p);
  g.tensors.delete(x);
  return true;
}
