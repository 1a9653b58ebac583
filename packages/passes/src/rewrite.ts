import { consumers, producers, type Graph, type Node } from '@qtool/ir';

// Small graph-surgery helpers the passes share.

/**
 * Removes `node`, whose single output is an alias of its first input (same values, same shape), by rewiring
 * readers of the output to the input. When the output is a graph output the names are swapped the other way
 * (the producer of the input is renamed), so graph output names never change. Returns false when neither is
 * possible (the input is itself a graph input or output and the output is a graph output).
 */
export function removeAlias(g: Graph, node: Node): boolean {
  const x = node.inputs[0]!;
  const y = node.outputs[0]!;
  const isOutput = g.outputs.includes(y);
  if (!isOutput) {
    g.nodes = g.nodes.filter((n) => n !== node);
    for (const n of g.nodes) n.inputs = n.inputs.map((i) => (i === y ? x : i));
    g.tensors.delete(y);
    return true;
  }
  const p = producers(g).get(x);
  if (!p || g.outputs.includes(x) || g.inputs.includes(x)) return false;
  // x is only an intermediate value: let its producer write y directly.
  g.nodes = g.nodes.filter((n) => n !== node);
  p.outputs = p.outputs.map((o) => (o === x ? y : o));
  for (const n of g.nodes) n.inputs = n.inputs.map((i) => (i === x ? y : i));
  const xi = g.tensors.get(x)!;
  const yi = g.tensors.get(y)!;
  g.tensors.set(y, { ...xi, name: y, quant: yi.quant ?? xi.quant });
  g.tensors.delete(x);
  return true;
}

/** True when `name` is read by exactly one node and is not a graph output. */
export function singleUse(g: Graph, name: string, uses = consumers(g)): boolean {
  return (uses.get(name)?.length ?? 0) === 1 && !g.outputs.includes(name);
}
