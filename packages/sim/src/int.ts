import { fail, sameShape, type Graph, type Tensor } from '@qtool/ir';
import { opOf } from '@qtool/ops';

export interface IntRunOptions {
  /** Also return every intermediate value (the flasher compares layer by layer). */
  keepIntermediates?: boolean;
}

/**
 * The integer simulator: the specification of a quantized graph (docs/arithmetic.md). Runs each node's
 * evalInt on integer tensors, reading the parameters the quantizer stored on node.params.
 */
export function runInt(g: Graph, feeds: ReadonlyMap<string, Tensor> | Record<string, Tensor>, options: IntRunOptions = {}): Map<string, Tensor> {
  const values = new Map<string, Tensor>(g.initializers);
  const given = feeds instanceof Map ? feeds : new Map(Object.entries(feeds));
  for (const name of g.inputs) {
    const t = given.get(name);
    const want = g.tensors.get(name)!;
    if (!t) fail('QT302', `no value for model input '${name}' (${want.dtype}[${want.shape}])`);
    if (t.dtype !== want.dtype || !sameShape(t.shape, want.shape))
      fail('QT302', `input '${name}' is ${t.dtype}[${t.shape}], the integer model wants ${want.dtype}[${want.shape}]`);
    values.set(name, t);
  }
  for (const node of g.nodes) {
    const def = opOf(node);
    if (!def.evalInt) fail('QT400', `${node.op} has no integer kernel`, { node: node.name });
    const ins = node.inputs.map((i) => {
      if (!i) return undefined;
      const v = values.get(i);
      if (!v) fail('QT200', `value '${i}' is not available`, { node: node.name });
      return v;
    });
    const outs = def.evalInt(node, ins);
    node.outputs.forEach((o, k) => {
      if (o) values.set(o, outs[k]!);
    });
  }
  if (options.keepIntermediates) return values;
  return new Map(g.outputs.map((o) => [o, values.get(o)!]));
}
