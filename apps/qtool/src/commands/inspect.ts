import { dtypeSize, formatAttr, formatQuant, numel, printGraph, type Graph, type TensorInfo } from '@qtool/ir';
import { opOf } from '@qtool/ops';
import { loadPrepared } from '../model.js';
import { table } from '../table.js';

export interface LayerSummary {
  name: string;
  op: string;
  inputs: number[][];
  outputs: number[][];
  params: number;
  macs: number;
  attrs: Record<string, unknown>;
}

export interface ModelSummary {
  model: string;
  format: string;
  opset?: number;
  producer?: string;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  layers: LayerSummary[];
  totals: { params: number; paramBytes: number; macs: number; largestTensor: { name: string; shape: number[]; dtype: string; bytes: number } };
}

/** Per-layer shapes, parameter counts and MACs, plus totals, of a prepared graph. */
export function summarize(g: Graph): ModelSummary {
  const layers: LayerSummary[] = g.nodes.map((n) => {
    const ins = n.inputs.map((i) => (i ? g.tensors.get(i) : undefined));
    const outs = n.outputs.map((o) => g.tensors.get(o)!);
    const params = n.inputs.filter((i) => i && g.initializers.has(i)).reduce((s, i) => s + numel(g.initializers.get(i)!.shape), 0);
    const def = opOf(n);
    return {
      name: n.name,
      op: n.op,
      inputs: n.inputs.filter((i) => i && !g.initializers.has(i)).map((i) => [...g.tensors.get(i)!.shape]),
      outputs: outs.map((o) => [...o.shape]),
      params,
      macs: def.macs ? def.macs(n, ins, outs) : 0,
      attrs: n.attrs,
    };
  });
  let largest = { name: '', shape: [] as number[], dtype: '', bytes: 0 };
  for (const t of g.tensors.values()) {
    if (g.initializers.has(t.name)) continue;
    const bytes = numel(t.shape) * dtypeSize[t.dtype];
    if (bytes > largest.bytes) largest = { name: t.name, shape: [...t.shape], dtype: t.dtype, bytes };
  }
  const initBytes = [...g.initializers.values()].reduce((s, t) => s + numel(t.shape) * dtypeSize[t.dtype], 0);
  return {
    model: g.source?.file ?? g.name,
    format: g.source?.format ?? 'unknown',
    opset: g.source?.opset,
    producer: g.source?.producer,
    inputs: g.inputs.map((i) => g.tensors.get(i)!),
    outputs: g.outputs.map((o) => g.tensors.get(o)!),
    layers,
    totals: {
      params: layers.reduce((s, l) => s + l.params, 0),
      paramBytes: initBytes,
      macs: layers.reduce((s, l) => s + l.macs, 0),
      largestTensor: largest,
    },
  };
}

const shape = (s: number[]) => `[${s.join(',')}]`;

function io(t: TensorInfo): string[] {
  return [t.name, t.dtype, shape(t.shape), t.quant ? formatQuant(t.quant) : ''];
}

function attrText(a: Record<string, unknown>): string {
  return Object.keys(a)
    .sort()
    .map((k) => `${k}=${formatAttr(a[k] as never)}`)
    .join(' ');
}

export async function inspect(model: string, opts: { json?: boolean; ir?: boolean; raw?: boolean }): Promise<void> {
  const { raw, graph } = loadPrepared(model);
  const g = opts.raw ? raw : graph;
  if (opts.ir) {
    process.stdout.write(printGraph(g));
    return;
  }
  const s = summarize(g);
  if (opts.json) {
    process.stdout.write(JSON.stringify(s, null, 2) + '\n');
    return;
  }
  const out: string[] = [];
  out.push(`model ${s.model} (${s.format}${s.opset !== undefined ? ` opset ${s.opset}` : ''}${s.producer ? `, ${s.producer}` : ''})\n`);
  out.push('\ninputs\n' + table(['name', 'dtype', 'shape', 'quantization'], s.inputs.map(io)));
  out.push('\noutputs\n' + table(['name', 'dtype', 'shape', 'quantization'], s.outputs.map(io)));
  out.push(
    '\nlayers\n' +
      table(
        ['#', 'name', 'op', 'input', 'output', 'params', 'MACs', 'attributes'],
        s.layers.map((l, i) => [String(i), l.name, l.op, l.inputs.map(shape).join(' '), l.outputs.map(shape).join(' '), l.params, l.macs, attrText(l.attrs)]),
      ),
  );
  const t = s.totals;
  out.push(
    `\ntotals: ${s.layers.length} layers, ${t.params.toLocaleString('en-US')} parameters (${t.paramBytes.toLocaleString('en-US')} bytes as stored), ` +
      `${t.macs.toLocaleString('en-US')} MACs, largest tensor '${t.largestTensor.name}' ${t.largestTensor.dtype}${shape(t.largestTensor.shape)} ` +
      `= ${t.largestTensor.bytes.toLocaleString('en-US')} bytes\n`,
  );
  process.stdout.write(out.join(''));
}
