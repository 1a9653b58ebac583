import type { DType } from './dtype.js';
import type { Tensor } from './tensor.js';

/**
 * Quantization parameters of a tensor: real = scale * (q - zeroPoint).
 * One entry per tensor, or one per slice along `axis` (per-channel).
 */
export interface QuantParams {
  scale: number[];
  zeroPoint: number[];
  axis?: number;
  /** the integer type of the quantized side, where it is not the tensor's own dtype (an ONNX Q -> DQ pair on a
   *  float activation: uint8 or int8) */
  dtype?: DType;
}

/** Static type of a value in the graph. Shapes are fully known (unknown batch dimensions import as 1). */
export interface TensorInfo {
  name: string;
  dtype: DType;
  shape: number[];
  quant?: QuantParams;
}

export type AttrValue = number | boolean | string | number[] | string[];
export type Attrs = Record<string, AttrValue>;

/** One operation. `inputs` may contain '' for an absent optional input. */
export interface Node {
  name: string;
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Attrs;
  /**
   * Integer parameters the quantizer computed for this node (weights, offsets, multipliers, clamp bounds,
   * tables). The integer simulator and the C emitter both read this one object; neither recomputes it.
   */
  params?: unknown;
}

export interface ModelSource {
  format: 'onnx' | 'tflite';
  producer?: string;
  opset?: number;
  file?: string;
}

/**
 * A whole model. Nodes are in a valid execution order. Every value (graph input, initializer, node output)
 * has a TensorInfo in `tensors`. Layout: see docs/ir.md (activations are channels-last).
 */
export interface Graph {
  name: string;
  inputs: string[];
  outputs: string[];
  tensors: Map<string, TensorInfo>;
  initializers: Map<string, Tensor>;
  nodes: Node[];
  source?: ModelSource;
}

export function emptyGraph(name: string, source?: ModelSource): Graph {
  return { name, inputs: [], outputs: [], tensors: new Map(), initializers: new Map(), nodes: [], source };
}

/** A deep-enough copy for passes: node and info objects are new, initializer data is shared (treat it as immutable). */
export function cloneGraph(g: Graph): Graph {
  return {
    name: g.name,
    inputs: [...g.inputs],
    outputs: [...g.outputs],
    tensors: new Map([...g.tensors].map(([k, v]) => [k, cloneInfo(v)])),
    initializers: new Map(g.initializers),
    nodes: g.nodes.map((n) => ({ ...n, inputs: [...n.inputs], outputs: [...n.outputs], attrs: { ...n.attrs } })), // params are shared (immutable)
    source: g.source ? { ...g.source } : undefined,
  };
}

export function cloneInfo(t: TensorInfo): TensorInfo {
  return {
    ...t,
    shape: [...t.shape],
    quant: t.quant ? { ...t.quant, scale: [...t.quant.scale], zeroPoint: [...t.quant.zeroPoint] } : undefined,
  };
}

/** Map from value name to the node that produces it. */
export function producers(g: Graph): Map<string, Node> {
  const m = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) if (o) m.set(o, n);
  return m;
}

/** Map from value name to the nodes that read it (in node order). */
export function consumers(g: Graph): Map<string, Node[]> {
  const m = new Map<string, Node[]>();
  for (const n of g.nodes)
    for (const i of n.inputs) {
      if (!i) continue;
      const list = m.get(i);
      if (list) {
        if (!list.includes(n)) list.push(n);
      } else m.set(i, [n]);
    }
  return m;
}

/** The TensorInfo of a value; throws a plain Error when missing (verify() reports it properly). */
export function info(g: Graph, name: string): TensorInfo {
  const t = g.tensors.get(name);
  if (!t) throw new Error(`no tensor '${name}' in graph '${g.name}'`);
  return t;
}

/** Replace every read of `from` by `to` (node inputs and graph outputs). */
export function replaceUses(g: Graph, from: string, to: string): void {
  for (const n of g.nodes) n.inputs = n.inputs.map((i) => (i === from ? to : i));
  g.outputs = g.outputs.map((o) => (o === from ? to : o));
}

/** Drop tensors and initializers nothing refers to any more. */
export function pruneUnused(g: Graph): void {
  const used = new Set<string>([...g.inputs, ...g.outputs]);
  for (const n of g.nodes) {
    for (const i of n.inputs) if (i) used.add(i);
    for (const o of n.outputs) if (o) used.add(o);
  }
  for (const k of [...g.tensors.keys()]) if (!used.has(k)) g.tensors.delete(k);
  for (const k of [...g.initializers.keys()]) if (!used.has(k)) g.initializers.delete(k);
}

/** A value name not yet used in the graph, derived from `base`. */
export function freshName(g: Graph, base: string): string {
  if (!g.tensors.has(base) && !g.nodes.some((n) => n.name === base)) return base;
  for (let i = 1; ; i++) {
    const c = `${base}_${i}`;
    if (!g.tensors.has(c) && !g.nodes.some((n) => n.name === c)) return c;
  }
}
