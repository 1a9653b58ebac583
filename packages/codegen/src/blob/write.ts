import { dtypeSize, fail, numel } from '@qtool/ir';
import type { CType } from '../kernel.js';
import { emitModel, runtimeDir, type EmitInput, type EmitObserver, type EmitResult } from '../emit.js';
import { macEmitters } from '../kernels/mac.js';
import { otherEmitters } from '../kernels/others.js';
import { parseCalls, parseDeclarations, parseExpr, readRuntimeC, type CExpr, type RuntimeC, type StructLayout } from './ctext.js';
import {
  BLOB_KERNELS,
  BODY_HEADER_BYTES,
  CALL_ENTRY_BYTES,
  DATA_ALIGN,
  LAYER_ENTRY_BYTES,
  LAYER_TABLE_MAGIC,
  LAYER_TABLE_VERSION,
  MAX_ARGS,
  REF_BYTES,
  RefKind,
} from './format.js';

// The layer-table body of a model image (body format 2, docs/protocol.md) for a resident runtime: emitModel
// runs with the portable kernels and an observer that records every array, params struct and call exactly as
// the C gets them; the records become 32-bit little-endian words with body offsets where the C has pointers
// (listed in a relocation table the device adds its load address to), and the calls become a table of kernel
// ids and argument references (arena offsets, model inputs/outputs, records).

export interface ModelImageBody {
  /** body format 2 bytes (without the 48-byte image header) */
  body: Uint8Array;
  /** the generated C's model hash for the portable kernels (what INFO reports once the image is active) */
  modelHash: string;
  layers: number;
  calls: number;
  inputBytes: number;
  outputBytes: number;
  arenaBytes: number;
  scratchBytes: number;
  /** bytes of records and constant data */
  dataBytes: number;
  /** the C emission the body was recorded from (same files as `qtool compile` writes for a portable target) */
  emitted: EmitResult;
  /** every record and array of the data area by its C name: body offset, size, and its pointer words */
  symbols: { name: string; type: string; offset: number; bytes: number; pointers: { at: number; target: string }[] }[];
}

interface Sym {
  name: string;
  /** struct type name, or the C element type of an array */
  type: string;
  bytes: Uint8Array;
  /** pointer words inside: byte offset in this symbol -> symbol pointed to */
  relocs: { at: number; target: string }[];
  offset: number;
}

interface Ref {
  kind: number;
  value: number;
  /** the extent from there a kernel may read or write (a tensor's, a record's or an array's bytes; 0 for INT, NULL) */
  bytes?: number;
  /** a BODY reference: the record or array, placed when the data area is laid out */
  sym?: string;
}

interface Call {
  kernel: number;
  layer: number;
  args: Ref[];
  /** the symbol the params argument points to (checked against the kernel's struct) */
  params?: string;
}

let runtimeC: RuntimeC | undefined;
const runtime = (): RuntimeC => (runtimeC ??= readRuntimeC(runtimeDir));

const kernelByFn = new Map(BLOB_KERNELS.map((k) => [k.fn, k]));

function arrayBytes(ctype: CType | 'int8', values: ArrayLike<number>): Uint8Array {
  const size = { int8: 1, int8_t: 1, uint8_t: 1, int16_t: 2, uint16_t: 2, int32_t: 4, uint32_t: 4 }[ctype];
  const out = new Uint8Array(values.length * size);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (size === 1) dv.setUint8(i, v & 0xff);
    else if (size === 2) dv.setUint16(2 * i, v & 0xffff, true);
    else dv.setUint32(4 * i, v >>> 0, true);
  }
  return out;
}

/** The model image body of a quantized graph: the same emission as `qtool compile`, portable kernels. */
export function emitModelImage(inp: Omit<EmitInput, 'observer'>): ModelImageBody {
  const rt = runtime();
  const syms = new Map<string, Sym>();
  const order: Sym[] = [];
  const calls: Call[] = [];
  const layerCalls: { first: number; count: number; output: Ref; bytes: number }[] = [];
  const addSym = (s: Omit<Sym, 'offset'>) => {
    if (syms.has(s.name)) fail('QT500', `model image: '${s.name}' declared twice`);
    const sym = { ...s, offset: -1 };
    syms.set(s.name, sym);
    order.push(sym);
  };
  const refOf = (e: CExpr, what: string): Ref => {
    if (e.kind === 'int') return { kind: RefKind.INT, value: e.value };
    const name = e.kind === 'name' || e.kind === 'sum' ? e.name : '';
    const plus = e.kind === 'sum' ? e.plus : 0;
    if (e.kind === 'name' && name === 'NULL') return { kind: RefKind.NULL, value: 0 };
    if (name === 'qt_arena') return { kind: RefKind.ARENA, value: plus };
    if (name === 'qt_scratch') return { kind: RefKind.SCRATCH, value: plus };
    const io = /^(input|output)(\d+)$/.exec(name);
    if (io && plus === 0) return { kind: io[1] === 'input' ? RefKind.INPUT : RefKind.OUTPUT, value: Number(io[2]) };
    if (e.kind === 'name' && syms.has(name)) return { kind: RefKind.BODY, value: -1, sym: name };
    return fail('QT500', `model image: ${what} '${JSON.stringify(e)}' is not an arena offset, a model input/output or a declared constant`);
  };
  const observer: EmitObserver = {
    constant(_layer, id, data) {
      addSym({ name: id, type: 'int8_t', bytes: arrayBytes('int8', data), relocs: [] });
    },
    constArray(_layer, id, ctype, values) {
      addSym({ name: id, type: ctype, bytes: arrayBytes(ctype, values), relocs: [] });
    },
    constRecords(_layer, id, ctype, recordBytes, records) {
      const layout = rt.structs.get(ctype);
      if (!layout || layout.bytes !== recordBytes) fail('QT500', `model image: records of ${ctype} (${recordBytes} bytes) have no matching runtime struct`);
      const out = new Uint8Array(records.length * recordBytes);
      const relocs: Sym['relocs'] = [];
      records.forEach((r, i) => {
        const one = serialize(layout, parseExpr(r), rt, syms, id);
        out.set(one.bytes, i * recordBytes);
        for (const x of one.relocs) relocs.push({ at: x.at + i * recordBytes, target: x.target });
      });
      addSym({ name: id, type: ctype, bytes: out, relocs });
    },
    declare(_layer, text) {
      for (const d of parseDeclarations(text)) {
        const layout = rt.structs.get(d.type);
        if (!layout) fail('QT500', `model image: ${d.name} has type ${d.type}, which is not a struct of the portable runtime headers`);
        addSym({ name: d.name, type: d.type, ...serialize(layout, d.init, rt, syms, d.name) });
      }
    },
    call(layer, text, output, bytes) {
      const first = calls.length;
      for (const c of parseCalls(text)) {
        const k = kernelByFn.get(c.fn);
        if (!k) fail('QT500', `model image: layer ${layer} calls ${c.fn}, which is not a portable kernel of the resident runtime`);
        if (c.args.length !== k.args) fail('QT500', `model image: ${c.fn} with ${c.args.length} arguments (takes ${k.args})`);
        const args = c.args.map((a, i) => refOf(a, `argument ${i} of ${c.fn}`));
        const call: Call = { kernel: k.id, layer, args };
        if (k.params) {
          const sym = args[0]!.sym;
          if (!sym || syms.get(sym)!.type !== k.params) fail('QT500', `model image: ${c.fn}'s first argument must be a ${k.params} record`);
          call.params = sym;
        }
        calls.push(call);
      }
      const out = refOf(parseExpr(output), `layer ${layer}'s output`);
      if (out.kind !== RefKind.ARENA && out.kind !== RefKind.INPUT && out.kind !== RefKind.OUTPUT) fail('QT500', `model image: layer ${layer}'s output is not an activation buffer`);
      layerCalls.push({ first, count: calls.length - first, output: out, bytes });
    },
  };
  // ops outside the portable kernel families (e.g. mac_chain from --chain) have no kernel in the resident runtime
  const portableOps = new Set([...macEmitters, ...otherEmitters].map((e) => e.op));
  const foreign = inp.graph.nodes.map((n, i) => ({ n, i })).filter(({ n }) => !portableOps.has(n.op));
  if (foreign.length)
    fail('QT500', `model image: ${foreign.map(({ n, i }) => `layer ${i} '${n.name}' is a ${n.op}`).join('; ')}: the resident runtime runs the portable kernels only (compile without --chain for blob mode)`);
  const emitted = emitModel({ ...inp, target: { ...inp.target, kernels: 'portable' }, observer });
  const g = inp.graph;
  // the extent of each activation argument: the bytes of the layer's operand at that place in the plan
  const tensorBytesOf = (v: string) => numel(g.tensors.get(v)!.shape) * dtypeSize[g.tensors.get(v)!.dtype];
  for (const c of calls) {
    const node = g.nodes[c.layer]!;
    for (const r of c.args) {
      if (r.kind !== RefKind.ARENA && r.kind !== RefKind.INPUT && r.kind !== RefKind.OUTPUT) continue;
      const extents = [...node.inputs, ...node.outputs]
        .filter((v): v is string => !!v && emitted.plan.placement.has(v))
        .filter((v) => {
          const p = emitted.plan.placement.get(v)!;
          return p.kind === 'arena' ? r.kind === RefKind.ARENA && p.offset === r.value : (p.kind === 'input' ? RefKind.INPUT : RefKind.OUTPUT) === r.kind && p.index === r.value;
        })
        .map(tensorBytesOf);
      if (!extents.length) fail('QT500', `model image: layer ${c.layer} (${node.op}) passes a buffer that is none of its operands`);
      r.bytes = Math.max(...extents);
    }
  }
  if (layerCalls.length !== g.nodes.length) fail('QT500', `model image: ${layerCalls.length} layers recorded for ${g.nodes.length} nodes`);
  if (g.nodes.length > 0xffff || calls.length > 0xffff) fail('QT500', `model image: ${g.nodes.length} layers / ${calls.length} calls (the table holds 65535)`);

  // layout: header, io table, layer table, call table, relocation table, then the data area (16-aligned)
  const align = (n: number) => Math.ceil(n / DATA_ALIGN) * DATA_ALIGN;
  const ioAt = BODY_HEADER_BYTES;
  const layerAt = ioAt + 4 * (g.inputs.length + g.outputs.length);
  const callAt = layerAt + LAYER_ENTRY_BYTES * layerCalls.length;
  const relocCount = order.reduce((n, s) => n + s.relocs.length, 0);
  const relocAt = callAt + CALL_ENTRY_BYTES * calls.length;
  const dataAt = align(relocAt + 4 * relocCount);
  let at = dataAt;
  for (const s of order) {
    s.offset = at;
    at = align(at + Math.max(s.bytes.length, 1));
  }
  const body = new Uint8Array(at);
  const dv = new DataView(body.buffer);
  const u32 = (o: number, v: number) => dv.setUint32(o, v >>> 0, true);
  const ref = (o: number, r: Ref) => {
    dv.setUint8(o, r.kind);
    u32(o + 4, r.sym ? syms.get(r.sym)!.offset : r.value);
    u32(o + 8, r.sym ? syms.get(r.sym)!.bytes.length : (r.bytes ?? 0));
  };
  const tensorBytes = tensorBytesOf;
  const inputBytes = g.inputs.reduce((s, v) => s + tensorBytes(v), 0);
  const outputBytes = g.outputs.reduce((s, v) => s + tensorBytes(v), 0);
  const header = [LAYER_TABLE_MAGIC, LAYER_TABLE_VERSION, layerCalls.length, calls.length, g.inputs.length, g.outputs.length, emitted.arenaBytes, emitted.scratchBytes, relocCount, ioAt, layerAt, callAt, relocAt, dataAt, at - dataAt, 0];
  header.forEach((v, i) => u32(4 * i, v));
  [...g.inputs, ...g.outputs].forEach((v, i) => u32(ioAt + 4 * i, tensorBytes(v)));
  layerCalls.forEach((l, i) => {
    const o = layerAt + LAYER_ENTRY_BYTES * i;
    dv.setUint16(o, l.first, true);
    dv.setUint16(o + 2, l.count, true);
    ref(o + 4, { ...l.output, bytes: l.bytes });
  });
  calls.forEach((c, i) => {
    const o = callAt + CALL_ENTRY_BYTES * i;
    dv.setUint8(o, c.kernel);
    dv.setUint8(o + 1, c.args.length);
    dv.setUint16(o + 2, c.layer, true);
    for (let a = 0; a < MAX_ARGS; a++) ref(o + 4 + REF_BYTES * a, c.args[a] ?? { kind: RefKind.NULL, value: 0 });
  });
  let r = relocAt;
  for (const s of order) {
    body.set(s.bytes, s.offset);
    for (const x of s.relocs) {
      const target = syms.get(x.target);
      if (!target) fail('QT500', `model image: ${s.name} points to '${x.target}', which is not declared`);
      u32(s.offset + x.at, target.offset);
      u32(r, s.offset + x.at);
      r += 4;
    }
  }
  return {
    body,
    modelHash: emitted.modelHash,
    layers: layerCalls.length,
    calls: calls.length,
    inputBytes,
    outputBytes,
    arenaBytes: emitted.arenaBytes,
    scratchBytes: emitted.scratchBytes,
    dataBytes: at - dataAt,
    emitted,
    symbols: order.map((s) => ({ name: s.name, type: s.type, offset: s.offset, bytes: s.bytes.length, pointers: s.relocs })),
  };
}

/** A struct's bytes from its C initializer: 32-bit little-endian words, zero where the initializer is silent. */
function serialize(layout: StructLayout, init: CExpr, rt: RuntimeC, syms: Map<string, Sym>, what: string): { bytes: Uint8Array; relocs: Sym['relocs'] } {
  const bytes = new Uint8Array(layout.bytes);
  const dv = new DataView(bytes.buffer);
  const relocs: Sym['relocs'] = [];
  const bad = (msg: string): never => fail('QT500', `model image: ${what}: ${msg}`);
  const intOf = (e: CExpr): number => {
    if (e.kind === 'int') return e.value;
    if (e.kind === 'name' && !e.address && rt.macros.has(e.name)) return rt.macros.get(e.name)!;
    return bad(`expected an integer, found ${JSON.stringify(e)}`);
  };
  const put = (at: number, v: number) => {
    if (!Number.isInteger(v) || v < -2147483648 || v > 4294967295) bad(`${v} does not fit 32 bits`);
    dv.setUint32(at, v >>> 0, true);
  };
  const fill = (l: StructLayout, e: CExpr, base: number) => {
    const pairs: [string, CExpr][] =
      e.kind === 'designated' ? e.fields : e.kind === 'list' ? e.items.map((x, i) => [l.fields[i]?.name ?? bad(`too many values for ${l.name}`), x]) : bad(`${l.name} needs a { } initializer`);
    for (const [name, v] of pairs) {
      const f = l.fields.find((x) => x.name === name) ?? bad(`${l.name} has no field ${name}`);
      const at = base + f.offset;
      if (f.count > 1) {
        if (v.kind !== 'list' || v.items.length > f.count) return bad(`${l.name}.${name} takes up to ${f.count} values`);
        if (f.type.kind !== 'int') bad(`${l.name}.${name}: arrays of ${f.type.kind} are not supported`);
        v.items.forEach((x, i) => put(at + 4 * i, intOf(x)));
      } else if (f.type.kind === 'int') put(at, intOf(v));
      else if (f.type.kind === 'struct') fill(rt.structs.get(f.type.name)!, v, at);
      else if (v.kind === 'name' && v.name === 'NULL') put(at, 0);
      else if (v.kind === 'name' && syms.has(v.name)) relocs.push({ at, target: v.name });
      else bad(`${l.name}.${name} points to ${JSON.stringify(v)}, which is not a declared constant`);
    }
  };
  fill(layout, init, 0);
  return { bytes, relocs };
}
