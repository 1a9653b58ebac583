import { cloneGraph, consumers, producers, type Node } from '@qtool/ir';
import { definePass } from './pass.js';
import { removeAlias, singleUse } from './rewrite.js';

/** Ops that can carry a fused clamp (actMin/actMax) on their output. */
const fusable = new Set(['conv', 'fully_connected', 'add', 'sub', 'mul']);

/** The clamp an activation node applies, or undefined when it is not a clamp. */
function clampOf(n: Node): { lo?: number; hi?: number } | undefined {
  if (n.op === 'relu') return { lo: 0 };
  if (n.op === 'clip') {
    const lo = n.attrs.min as number | undefined;
    const hi = n.attrs.max as number | undefined;
    if (lo !== undefined && hi !== undefined && lo > hi) return undefined; // degenerate ONNX case: not a clamp
    return { lo, hi };
  }
  return undefined;
}

/**
 * Fuses relu / clip into the conv, fully_connected, add, sub or mul that feeds it (as actMin/actMax), so the
 * quantizer sees one op whose output range already includes the clamp. The clamp's output keeps its name and
 * its quantization annotation.
 */
export const fuseActivations = definePass({
  name: 'fuse-activations',
  run(input) {
    const g = cloneGraph(input);
    for (const act of [...g.nodes]) {
      const c = clampOf(act);
      if (!c) continue;
      const x = act.inputs[0]!;
      const p = producers(g).get(x);
      if (!p || !fusable.has(p.op) || !singleUse(g, x, consumers(g))) continue;
      const xi = g.tensors.get(x)!;
      if (xi.dtype !== 'float32') continue;
      const lo = maxDef(p.attrs.actMin as number | undefined, c.lo);
      const hi = minDef(p.attrs.actMax as number | undefined, c.hi);
      // the clamp's output carries the annotation that matters downstream
      const yq = g.tensors.get(act.outputs[0]!)!.quant;
      // x has a producer and one reader, so removing the alias cannot fail
      if (!removeAlias(g, act)) continue;
      if (lo !== undefined) p.attrs.actMin = lo;
      if (hi !== undefined) p.attrs.actMax = hi;
      const out = p.outputs[0]!;
      if (yq) g.tensors.set(out, { ...g.tensors.get(out)!, quant: yq });
    }
    return g;
  },
});

function maxDef(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}
function minDef(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}
