import type { AttrValue, Graph, QuantParams, TensorInfo } from './graph.js';

// A stable, line-oriented text form of a graph, for pass tests (before/after) and `qtool inspect`.
// Attributes print in key order; numbers print with up to 6 significant digits so float noise does not churn diffs.

export function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : v < 0 ? '-inf' : 'nan';
  return String(Number(v.toPrecision(6)));
}

export function formatAttr(v: AttrValue): string {
  if (Array.isArray(v)) return `[${(v as (number | string)[]).map((x) => (typeof x === 'number' ? formatNumber(x) : JSON.stringify(x))).join(',')}]`;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

export function formatQuant(q: QuantParams): string {
  const list = (a: number[]) => (a.length > 4 ? `[${a.slice(0, 3).map(formatNumber).join(',')},...x${a.length}]` : `[${a.map(formatNumber).join(',')}]`);
  const axis = q.axis !== undefined && q.scale.length > 1 ? ` axis=${q.axis}` : '';
  return `q(${q.dtype ? `${q.dtype} ` : ''}s=${list(q.scale)} zp=${list(q.zeroPoint)}${axis})`;
}

export function formatType(t: TensorInfo): string {
  return `${t.dtype}[${t.shape.join(',')}]${t.quant ? ' ' + formatQuant(t.quant) : ''}`;
}

export function printGraph(g: Graph): string {
  const out: string[] = [];
  const src = g.source ? ` (${g.source.format}${g.source.opset !== undefined ? ` opset ${g.source.opset}` : ''})` : '';
  out.push(`graph ${g.name}${src}`);
  for (const i of g.inputs) out.push(`  input  ${i}: ${describe(g, i)}`);
  for (const [name] of g.initializers) out.push(`  const  ${name}: ${describe(g, name)}`);
  for (const n of g.nodes) {
    const attrs = Object.keys(n.attrs)
      .sort()
      .map((k) => `${k}=${formatAttr(n.attrs[k]!)}`)
      .join(' ');
    const outs = n.outputs.map((o) => `${o}: ${describe(g, o)}`).join(', ');
    out.push(`  ${n.name} = ${n.op}(${n.inputs.join(', ')})${attrs ? ' {' + attrs + '}' : ''} -> ${outs}`);
  }
  for (const o of g.outputs) out.push(`  output ${o}: ${describe(g, o)}`);
  return out.join('\n') + '\n';
}

function describe(g: Graph, name: string): string {
  const t = g.tensors.get(name);
  return t ? formatType(t) : '?';
}
