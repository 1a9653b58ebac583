import { cloneGraph, fail, isFloat, pruneUnused, replaceUses, type DType, type Graph } from '@qtool/ir';

// ONNX QDQ models under --keep-quant. The ONNX reader turns a QuantizeLinear -> DequantizeLinear pair on an
// activation into a quantization annotation on the float tensor, and keeps DequantizeLinear of an integer
// initializer (weights, int32 biases) as a `dequantize` node after a quantized constant (docs/ir.md). This makes
// the graph the shape quantizeKeep reads, the one TFLite models arrive in: every annotated activation becomes an
// integer tensor with its own parameters, and layers read the integer constants directly.
//
// uint8 activations become int8 with the same scale and the zero point moved by -128 (q - 128 represents the same
// real value), uint16 likewise to int16 by -32768: the arithmetic is unchanged, only the storage type.

const shift: Partial<Record<DType, { to: DType; by: number }>> = {
  uint8: { to: 'int8', by: -128 },
  int8: { to: 'int8', by: 0 },
  uint16: { to: 'int16', by: -32768 },
  int16: { to: 'int16', by: 0 },
};

/** True when a graph carries QDQ annotations on float activations (an ONNX QDQ model). */
export function hasQdqAnnotations(g: Graph): boolean {
  return [...g.tensors.values()].some((t) => isFloat(t.dtype) && t.quant !== undefined && !g.initializers.has(t.name));
}

/** The integer graph of an annotated QDQ float graph; every float activation must carry an annotation. */
export function qdqToQuantized(raw: Graph): Graph {
  const g = cloneGraph(raw);
  // layers read quantized constants directly: drop `dequantize` after an integer initializer
  for (const n of [...g.nodes]) {
    const src = n.inputs[0];
    if (n.op !== 'dequantize' || !src || !g.initializers.has(src)) continue;
    const c = g.initializers.get(src)!;
    if (c.dtype === 'uint8') fail('QT400', `--keep-quant: uint8 weights '${src}' are not supported (TFLite-style int8 weights only)`, { node: n.name });
    replaceUses(g, n.outputs[0]!, src);
    g.nodes = g.nodes.filter((m) => m !== n);
  }
  pruneUnused(g);
  for (const t of g.tensors.values()) {
    if (g.initializers.has(t.name) || !isFloat(t.dtype)) continue;
    if (!t.quant) fail('QT400', `--keep-quant: activation '${t.name}' has no QuantizeLinear/DequantizeLinear pair; a QDQ model needs one on every activation`);
    if (t.quant.scale.length !== 1) fail('QT400', `--keep-quant: activation '${t.name}' is quantized per axis; activations need one scale`);
    const s = shift[t.quant.dtype ?? 'int8'];
    if (!s) fail('QT400', `--keep-quant: activation '${t.name}' is quantized as ${t.quant.dtype}; int8, uint8, int16 and uint16 are supported`);
    g.tensors.set(t.name, { ...t, dtype: s.to, quant: { scale: t.quant.scale, zeroPoint: [t.quant.zeroPoint[0]! + s.by] } });
  }
  return g;
}
