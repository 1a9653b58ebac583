import { dtypeSize, numel, type Graph } from '@qtool/ir';

// The static memory plan: every intermediate tensor gets an offset in one arena, chosen from tensor lifetimes
// over the straight-line schedule. Graph inputs and outputs live in the caller's buffers, not in the arena.

/** Ops whose output may overwrite their first input (element i is read before element i is written). */
const inPlaceOps = new Set(['relu', 'clip', 'sigmoid', 'tanh', 'hard_sigmoid', 'hard_swish', 'leaky_relu', 'add', 'sub', 'mul', 'quantize']);
/** Ops whose output is the input's bytes reinterpreted: no kernel, no copy. */
const aliasOps = new Set(['reshape']);

export const ARENA_ALIGN = 16;

export interface Buffer {
  id: number;
  values: string[];
  bytes: number;
  first: number;
  last: number;
  offset: number;
}

export interface MemoryPlan {
  /** where each value lives: in the arena at an offset, or in a caller buffer (graph input/output) */
  placement: Map<string, { kind: 'arena'; offset: number } | { kind: 'input' | 'output'; index: number }>;
  buffers: Buffer[];
  /** arena bytes the plan needs */
  peak: number;
  /** the largest set of arena bytes live at one step of the schedule: no plan of this schedule can do better */
  lowerBound: number;
  /** every intermediate in its own buffer */
  naive: number;
  /** arena bytes in use at each step (for the per-layer report) */
  perStep: number[];
}

const align = (n: number) => Math.ceil(n / ARENA_ALIGN) * ARENA_ALIGN;

export function planMemory(g: Graph): MemoryPlan {
  const bytesOf = (v: string) => {
    const t = g.tensors.get(v)!;
    return numel(t.shape) * dtypeSize[t.dtype];
  };
  const external = new Map<string, { kind: 'input' | 'output'; index: number }>();
  g.inputs.forEach((v, i) => external.set(v, { kind: 'input', index: i }));
  g.outputs.forEach((v, i) => external.set(v, { kind: 'output', index: i }));
  // buffer of each value: aliases and in-place outputs join their input's buffer
  const bufOf = new Map<string, Buffer>();
  const buffers: Buffer[] = [];
  const lastUse = new Map<string, number>();
  g.nodes.forEach((n, t) => n.inputs.forEach((i) => i && lastUse.set(i, t)));
  const newBuffer = (v: string, t: number): Buffer => {
    const b: Buffer = { id: buffers.length, values: [v], bytes: bytesOf(v), first: t, last: t, offset: -1 };
    buffers.push(b);
    bufOf.set(v, b);
    return b;
  };
  g.nodes.forEach((n, t) => {
    for (const i of n.inputs) {
      const b = i ? bufOf.get(i) : undefined;
      if (b) b.last = Math.max(b.last, t);
    }
    const out = n.outputs[0]!;
    if (external.has(out) || g.initializers.has(out)) return;
    const x = n.inputs[0];
    // a reshape of a graph input reads the caller's buffer directly (it is never written: no in-place op
    // joins a buffer that is not in the arena)
    if (x && aliasOps.has(n.op) && external.get(x)?.kind === 'input') {
      external.set(out, external.get(x)!);
      return;
    }
    const xb = x ? bufOf.get(x) : undefined;
    const dying = x !== undefined && lastUse.get(x) === t && n.inputs.filter((i) => i === x).length === 1;
    if (xb && aliasOps.has(n.op) && xb.last <= t) {
      xb.values.push(out);
      bufOf.set(out, xb);
    } else if (xb && inPlaceOps.has(n.op) && dying && bytesOf(out) === xb.bytes && x === n.inputs[0] && lastUse.get(x) === t) {
      xb.values.push(out);
      bufOf.set(out, xb);
    } else newBuffer(out, t);
  });
  for (const b of buffers) for (const v of b.values) b.last = Math.max(b.last, lastUse.get(v) ?? b.first);
  // greedy by size: biggest first, lowest offset that does not collide with a placed, overlapping buffer
  const order = [...buffers].sort((a, b) => b.bytes - a.bytes || a.first - b.first || a.id - b.id);
  const placed: Buffer[] = [];
  for (const b of order) {
    const conflicts = placed.filter((p) => p.first <= b.last && b.first <= p.last).sort((p, q) => p.offset - q.offset);
    let offset = 0;
    for (const p of conflicts) {
      if (offset + b.bytes <= p.offset) break;
      offset = Math.max(offset, align(p.offset + p.bytes));
    }
    b.offset = offset;
    placed.push(b);
  }
  const peak = buffers.reduce((m, b) => Math.max(m, b.offset + b.bytes), 0);
  const perStep = g.nodes.map((_, t) => buffers.filter((b) => b.first <= t && t <= b.last).reduce((s, b) => s + b.bytes, 0));
  const placement: MemoryPlan['placement'] = new Map();
  for (const [v, e] of external) placement.set(v, e);
  for (const b of buffers) for (const v of b.values) placement.set(v, { kind: 'arena', offset: b.offset });
  return {
    placement,
    buffers,
    peak: align(peak),
    lowerBound: Math.max(0, ...perStep),
    naive: buffers.reduce((s, b) => s + align(b.bytes), 0),
    perStep,
  };
}
