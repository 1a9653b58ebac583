import { dtypeSize, fail, makeTensor, numel, type Graph, type Tensor } from '@qtool/ir';
import { opOf } from '@qtool/ops';

// A model's tensors as the device holds them: every input, output and layer output is its raw little-endian
// bytes, inputs (and outputs) concatenated in the graph's order. Layer i is graph node i (the generated C's
// QT_LAYER_DONE(i, ...) index), its tensor is the node's first output.

export function tensorBytes(t: Tensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const byteSize = (g: Graph, v: string) => {
  const t = g.tensors.get(v)!;
  return numel(t.shape) * dtypeSize[t.dtype];
};
export const inputBytes = (g: Graph) => g.inputs.reduce((s, v) => s + byteSize(g, v), 0);
export const outputBytes = (g: Graph) => g.outputs.reduce((s, v) => s + byteSize(g, v), 0);
export const layerBytes = (g: Graph, layer: number) => byteSize(g, g.nodes[layer]!.outputs[0]!);

/** Splits the concatenated input bytes into the graph's input tensors. */
export function unpackInputs(g: Graph, bytes: Uint8Array): Map<string, Tensor> {
  const feeds = new Map<string, Tensor>();
  let at = 0;
  for (const v of g.inputs) {
    const info = g.tensors.get(v)!;
    const t = makeTensor(info.dtype, info.shape);
    const view = tensorBytes(t);
    view.set(bytes.subarray(at, at + view.length));
    at += view.length;
    feeds.set(v, t);
  }
  return feeds;
}

export const packOutputs = (g: Graph, values: ReadonlyMap<string, Tensor>) => concatBytes(g.outputs.map((o) => tensorBytes(values.get(o)!)));

/**
 * Runs the integer kernels node by node, as a device does, keeping every value. `fault` is for tests of the
 * flasher only: a deliberately wrong kernel that flips the lowest bit of every byte of that layer's output.
 */
export function runLayers(g: Graph, feeds: ReadonlyMap<string, Tensor>, fault?: { layer: number }): Map<string, Tensor> {
  const values = new Map<string, Tensor>(g.initializers);
  for (const [k, v] of feeds) values.set(k, v);
  g.nodes.forEach((node, index) => {
    const def = opOf(node);
    if (!def.evalInt) fail('QT400', `${node.op} has no integer kernel`, { node: node.name });
    const outs = def.evalInt(
      node,
      node.inputs.map((i) => (i ? values.get(i) : undefined)),
    );
    if (fault?.layer === index) {
      const t = outs[0]!;
      const copy = makeTensor(t.dtype, t.shape, t.data.slice());
      const b = tensorBytes(copy);
      for (let i = 0; i < b.length; i++) b[i]! ^= 1;
      outs[0] = copy;
    }
    node.outputs.forEach((o, k) => o && values.set(o, outs[k]!));
  });
  return values;
}
