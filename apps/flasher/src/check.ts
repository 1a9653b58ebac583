import { type Graph, type Tensor } from '@qtool/ir';
import { runInt } from '@qtool/sim';
import type { Flasher } from './client.js';
import { concatBytes, packOutputs, tensorBytes } from './tensors.js';

// Device vs simulator, bit for bit: every vector's outputs are compared with runInt; on a mismatch each layer's
// output is READ from the device in order and the first one that differs is named.

export interface LayerDiff {
  layer: number;
  name: string;
  op: string;
  /** first differing byte within that layer's output tensor */
  byte: number;
  device: number;
  simulator: number;
}

export interface VectorResult {
  index: number;
  match: boolean;
  cycles: number;
  /** outputs: first differing byte, when they differ */
  outputByte?: number;
  /** the first layer whose output differs (mismatches only) */
  firstDiff?: LayerDiff;
}

export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** Sends one vector (tensors in the graph's input order), compares, and localizes a mismatch. */
export async function checkVector(f: Flasher, g: Graph, inputs: Tensor[], index: number): Promise<VectorResult> {
  const feeds = new Map(g.inputs.map((name, k) => [name, inputs[k]!]));
  const { output, cycles } = await f.run(concatBytes(inputs.map(tensorBytes)));
  const expected = runInt(g, feeds, { keepIntermediates: true });
  const at = firstDifference(output, packOutputs(g, expected));
  if (at < 0) return { index, match: true, cycles };
  const result: VectorResult = { index, match: false, cycles, outputByte: at };
  for (let layer = 0; layer < g.nodes.length; layer++) {
    const node = g.nodes[layer]!;
    const want = tensorBytes(expected.get(node.outputs[0]!)!);
    const got = await f.read(layer);
    const byte = firstDifference(got, want);
    if (byte >= 0) {
      result.firstDiff = { layer, name: node.name, op: node.op, byte, device: got[byte] ?? -1, simulator: want[byte] ?? -1 };
      break;
    }
  }
  return result;
}
