import { fail, QtError, type Graph, type Node, type TensorInfo } from '@qtool/ir';
import type { OpDef, OutType } from './op.js';
import { registry } from './registry.js';

/** The definition of an IR op, or QT202 naming the node. */
export function opOf(node: Node): OpDef {
  const def = registry[node.op];
  if (!def) fail('QT202', `op '${node.op}' is not in the registry`, { node: node.name });
  return def;
}

export const knownOps: ReadonlySet<string> = new Set(Object.keys(registry));

/** Runs one node's shape rule on the graph's current tensor infos. */
export function inferNode(g: Graph, node: Node): OutType[] {
  const ins = node.inputs.map((i) => (i ? g.tensors.get(i) : undefined));
  node.inputs.forEach((i, k) => {
    if (i && !ins[k]) fail('QT201', `input '${i}' has no type`, { node: node.name });
  });
  let outs: OutType[];
  try {
    outs = opOf(node).inferShape(node, ins);
  } catch (e) {
    if (e instanceof QtError) throw e;
    fail('QT201', `${node.op}: ${(e as Error).message}`, { node: node.name });
  }
  if (outs.length < node.outputs.filter(Boolean).length)
    fail('QT201', `${node.op} yields ${outs.length} outputs, node declares ${node.outputs.length}`, { node: node.name });
  return outs;
}

/**
 * Shape inference over the whole graph in node order: sets each node output's dtype and shape, keeping any
 * quantization annotation already on the output.
 */
export function inferShapes(g: Graph): Graph {
  for (const node of g.nodes) {
    const outs = inferNode(g, node);
    node.outputs.forEach((name, k) => {
      if (!name) return;
      const prev: TensorInfo | undefined = g.tensors.get(name);
      g.tensors.set(name, { name, dtype: outs[k]!.dtype, shape: outs[k]!.shape, quant: prev?.quant });
    });
  }
  return g;
}
