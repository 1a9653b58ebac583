import { fail, sameShape, type Graph, type Tensor } from '@qtool/ir';
import { opOf } from '@qtool/ops';

export interface RunOptions {
  /** Also return every intermediate value (for per-layer comparisons). */
  keepIntermediates?: boolean;
}

/**
 * The float reference interpreter: runs the graph's nodes in order with each op's evalFloat.
 * `feeds` holds one tensor per graph input, exactly the declared dtype and shape (batching is the caller's job).
 * Returns the graph outputs (and, on request, every value computed).
 */
export function runFloat(g: Graph, feeds: ReadonlyMap<string, Tensor> | Record<string, Tensor>, options: RunOptions = {}): Map<string, Tensor> {
  const values = new Map<string, Tensor>(g.initializers);
  const given = feeds instanceof Map ? feeds : new Map(Object.entries(feeds));
  for (const name of g.inputs) {
    const t = given.get(name);
    const want = g.tensors.get(name)!;
    if (!t) fail('QT302', `no value for model input '${name}' (${want.dtype}[${want.shape}])`);
    if (t.dtype !== want.dtype || !sameShape(t.shape, want.shape))
      fail('QT302', `input '${name}' is ${t.dtype}[${t.shape}], the model wants ${want.dtype}[${want.shape}]`);
    values.set(name, t);
  }
  for (const node of g.nodes) {
    const ins = node.inputs.map((i) => {
      if (!i) return undefined;
      const v = values.get(i);
      if (!v) fail('QT200', `value '${i}' is not available`, { node: node.name });
      return v;
    });
    const outs = opOf(node).evalFloat(node, ins);
    node.outputs.forEach((o, k) => {
      if (o) values.set(o, outs[k]!);
    });
  }
  if (options.keepIntermediates) return values;
  return new Map(g.outputs.map((o) => [o, values.get(o)!]));
}
