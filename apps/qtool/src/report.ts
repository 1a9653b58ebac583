import { formatNumber, numel, type Graph } from '@qtool/ir';
import { opOf } from '@qtool/ops';
import type { Artifact, Ranges } from '@qtool/quantizer';

// report.json: what compile decided, layer by layer, in a form a person (or a test) can read.

function summarizeValue(v: unknown): unknown {
  if (ArrayBuffer.isView(v)) {
    const arr = Array.from(v as unknown as ArrayLike<number>, Number);
    return arr.length <= 16 ? arr : { length: arr.length, min: Math.min(...arr), max: Math.max(...arr) };
  }
  if (Array.isArray(v)) return v.length <= 16 ? v.map(summarizeValue) : { length: v.length, first: v.slice(0, 4).map(summarizeValue) };
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, summarizeValue(x)]));
  return v;
}

export function buildReport(a: Artifact, floatGraph: Graph, ranges?: Ranges) {
  const g = a.graph;
  const q = (name: string) => {
    const t = g.tensors.get(name)!;
    return { name, dtype: t.dtype, shape: t.shape, scale: t.quant?.scale[0], zeroPoint: t.quant?.zeroPoint[0] };
  };
  const layers = g.nodes.map((n) => {
    const fnode = floatGraph.nodes.find((f) => f.name === n.name);
    const fIns = fnode ? fnode.inputs.map((i) => (i ? floatGraph.tensors.get(i) : undefined)) : [];
    const fOuts = fnode ? fnode.outputs.map((o) => floatGraph.tensors.get(o)!) : [];
    const def = opOf(n);
    const macs = fnode && def.macs ? def.macs(fnode, fIns, fOuts) : 0;
    return {
      name: n.name,
      op: n.op,
      inputs: n.inputs.filter(Boolean).map((i) => g.tensors.get(i)!.shape),
      output: q(n.outputs[0]!),
      macs,
      range: ranges?.get(n.outputs[0]!),
      params: summarizeValue(n.params),
    };
  });
  return {
    tool: a.meta.tool,
    source: a.meta.source,
    options: a.meta.options,
    inputs: g.inputs.map(q),
    outputs: g.outputs.map(q),
    layers,
    totals: {
      layers: layers.length,
      macs: layers.reduce((s, l) => s + l.macs, 0),
      largestActivationBytes: Math.max(...[...g.tensors.values()].filter((t) => !g.initializers.has(t.name)).map((t) => numel(t.shape))),
    },
  };
}

export function formatScale(v: number | undefined): string {
  return v === undefined ? '-' : formatNumber(v);
}
