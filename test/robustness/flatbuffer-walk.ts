// Finds, in a valid TFLite file, the byte positions of the 32-bit values that declare sizes and offsets: the root
// offset, table offsets, vector lengths, tensor dimensions, buffer and opcode indices. A damaged-model test writes
// huge values there. Field slots follow tflite-schema/schema.fbs (Model: 1 operator_codes, 2 subgraphs,
// 4 buffers; SubGraph: 0 tensors, 1 inputs, 3 operators; Tensor: 0 shape, 2 buffer; Operator: 0 opcode_index,
// 1 inputs; Buffer: 0 data).

export interface SizeSite {
  /** Byte position of the little-endian u32 / i32. */
  pos: number;
  what: string;
  /** The value there now. */
  value: number;
}

class Walk {
  readonly dv: DataView;
  constructor(readonly b: Uint8Array) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  u32(p: number): number {
    return this.dv.getUint32(p, true);
  }

  /** Absolute position of field `slot` of the table at `t`, or 0 when absent. */
  field(t: number, slot: number): number {
    const vt = t - this.dv.getInt32(t, true);
    const vo = 4 + 2 * slot;
    if (vo >= this.dv.getUint16(vt, true)) return 0;
    const off = this.dv.getUint16(vt + vo, true);
    return off ? t + off : 0;
  }

  /** Where a uoffset field points. */
  target(p: number): number {
    return p + this.u32(p);
  }
}

/** The size-declaring sites of a TFLite model, in a stable order. */
export function tfliteSizeSites(b: Uint8Array): SizeSite[] {
  const w = new Walk(b);
  const sites: SizeSite[] = [];
  const add = (pos: number, what: string) => {
    if (pos > 0 && pos + 4 <= b.length) sites.push({ pos, what, value: w.u32(pos) });
  };
  add(0, 'root table offset');
  const model = w.u32(0);
  const vector = (table: number, slot: number, what: string): number => {
    const f = w.field(table, slot);
    if (!f) return 0;
    add(f, `${what} offset`);
    const v = w.target(f);
    add(v, `${what} length`);
    return v;
  };
  const opcodes = vector(model, 1, 'model.operator_codes');
  const subgraphs = vector(model, 2, 'model.subgraphs');
  const buffers = vector(model, 4, 'model.buffers');
  void opcodes;
  if (subgraphs) {
    const sg = w.target(subgraphs + 4);
    const tensors = vector(sg, 0, 'subgraphs[0].tensors');
    const inputs = vector(sg, 1, 'subgraphs[0].inputs');
    // Every dimension of the model input: they flow through shape inference of the whole graph.
    if (inputs && w.u32(inputs) > 0) {
      const k = w.u32(inputs + 4);
      const t = w.target(tensors + 4 + 4 * k);
      const shape = w.field(t, 0) ? w.target(w.field(t, 0)) : 0;
      for (let d = 0; shape && d < w.u32(shape); d++) add(shape + 4 + 4 * d, `input tensors[${k}].shape[${d}]`);
    }
    const ops = vector(sg, 3, 'subgraphs[0].operators');
    const nTensors = tensors ? w.u32(tensors) : 0;
    // A few tensors spread over the list: their shape vector, first and last dimension, buffer index.
    for (const k of spread(nTensors, 4)) {
      const t = w.target(tensors + 4 + 4 * k);
      const shape = vector(t, 0, `tensors[${k}].shape`);
      const rank = shape ? w.u32(shape) : 0;
      if (rank > 0) add(shape + 4, `tensors[${k}].shape[0]`);
      if (rank > 1) add(shape + 4 * rank, `tensors[${k}].shape[${rank - 1}]`);
      add(w.field(t, 2), `tensors[${k}].buffer`);
    }
    const nOps = ops ? w.u32(ops) : 0;
    for (const k of spread(nOps, 2)) {
      const op = w.target(ops + 4 + 4 * k);
      add(w.field(op, 0), `operators[${k}].opcode_index`);
      vector(op, 1, `operators[${k}].inputs`);
    }
  }
  if (buffers) {
    // The largest buffer holds the most weights: its data length is the most tempting to trust.
    const n = w.u32(buffers);
    let best = -1;
    let bestLen = -1;
    for (let k = 0; k < n; k++) {
      const d = w.field(w.target(buffers + 4 + 4 * k), 0);
      const len = d ? w.u32(w.target(d)) : -1;
      if (len > bestLen) [best, bestLen] = [k, len];
    }
    if (best >= 0 && bestLen > 0) vector(w.target(buffers + 4 + 4 * best), 0, `buffers[${best}].data`);
  }
  return sites;
}

/** Up to `k` indices spread evenly over [0, n). */
function spread(n: number, k: number): number[] {
  if (n <= 0) return [];
  const out = new Set<number>();
  for (let i = 0; i < k; i++) out.add(Math.floor((i * n) / k));
  return [...out];
}
