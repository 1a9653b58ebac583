import { fail, makeTensor, numel, stridesOf, type AttrValue, type DType, type Node, type Tensor, type TensorInfo } from '@qtool/ir';

// Small helpers every op file shares: typed attribute access, shape errors, NumPy broadcasting, fused clamps.

export function attrNumber(node: Node, key: string, fallback?: number): number {
  const v = node.attrs[key];
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    fail('QT201', `missing attribute '${key}'`, { node: node.name });
  }
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v !== 'number') fail('QT201', `attribute '${key}' must be a number, got ${JSON.stringify(v)}`, { node: node.name });
  return v;
}

export function attrOptNumber(node: Node, key: string): number | undefined {
  const v = node.attrs[key];
  return v === undefined ? undefined : attrNumber(node, key);
}

export function attrInts(node: Node, key: string, fallback?: number[]): number[] {
  const v: AttrValue | undefined = node.attrs[key];
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    fail('QT201', `missing attribute '${key}'`, { node: node.name });
  }
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number'))
    fail('QT201', `attribute '${key}' must be a list of numbers`, { node: node.name });
  return v as number[];
}

export function attrBool(node: Node, key: string, fallback = false): boolean {
  const v = node.attrs[key];
  if (v === undefined) return fallback;
  return v === true || v === 1;
}

export function attrString(node: Node, key: string, fallback?: string): string {
  const v = node.attrs[key];
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    fail('QT201', `missing attribute '${key}'`, { node: node.name });
  }
  if (typeof v !== 'string') fail('QT201', `attribute '${key}' must be a string`, { node: node.name });
  return v;
}

/** A shape-rule failure naming the node. */
export function shapeError(node: Node, message: string): never {
  fail('QT201', `${node.op}: ${message}`, { node: node.name });
}

/** The input at position i, or a QT201 naming the node when it is missing. */
export function need<T extends TensorInfo | Tensor>(node: Node, inputs: (T | undefined)[], i: number): T {
  const t = inputs[i];
  if (!t) shapeError(node, `input ${i} is required`);
  return t;
}

/** NumPy broadcast of two shapes. */
export function broadcastShapes(node: Node, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) shapeError(node, `cannot broadcast [${a}] with [${b}]`);
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * For each element of `outShape`, the flat index into a tensor of `inShape` broadcast to it.
 * Precomputed once per call so elementwise loops stay simple.
 */
export function broadcastIndex(inShape: readonly number[], outShape: readonly number[]): Int32Array {
  const n = numel(outShape);
  const idx = new Int32Array(n);
  const r = outShape.length;
  const inStr = stridesOf(inShape);
  // stride per output axis into the input (0 where broadcast)
  const s = new Array<number>(r).fill(0);
  for (let i = 0; i < r; i++) {
    const j = inShape.length - r + i;
    if (j >= 0 && inShape[j] !== 1) s[i] = inStr[j]!;
  }
  const pos = new Array<number>(r).fill(0);
  let off = 0;
  for (let k = 0; k < n; k++) {
    idx[k] = off;
    for (let ax = r - 1; ax >= 0; ax--) {
      pos[ax]!++;
      off += s[ax]!;
      if (pos[ax]! < outShape[ax]!) break;
      off -= s[ax]! * outShape[ax]!;
      pos[ax] = 0;
    }
  }
  return idx;
}

/** Applies the fused clamp `actMin`/`actMax` of a node in place. */
export function applyActivation(node: Node, t: Tensor): Tensor {
  const lo = attrOptNumber(node, 'actMin');
  const hi = attrOptNumber(node, 'actMax');
  if (lo === undefined && hi === undefined) return t;
  const d = t.data as Float32Array;
  for (let i = 0; i < d.length; i++) {
    let v = d[i]!;
    if (lo !== undefined && v < lo) v = lo;
    if (hi !== undefined && v > hi) v = hi;
    d[i] = v;
  }
  return t;
}

/** A float32 result tensor. */
export function floatTensor(shape: readonly number[], data?: Float32Array): Tensor {
  return makeTensor('float32', shape, data);
}

export function sameDtype(node: Node, dtypes: DType[]): DType {
  const first = dtypes[0]!;
  for (const d of dtypes) if (d !== first) shapeError(node, `inputs mix ${first} and ${d}`);
  return first;
}

/** Normalise a possibly negative axis for a tensor of `rank`. */
export function normAxis(node: Node, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) shapeError(node, `axis ${axis} out of range for rank ${rank}`);
  return a;
}
