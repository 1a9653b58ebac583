import { AttributeProto_AttributeType, type AttributeProto, type NodeProto } from 'onnx-buf';
import { fail, type AttrValue, type Graph, type Location, type Node, type QuantParams, type Tensor, type TensorInfo } from '@qtool/ir';
import { inferNode } from '@qtool/ops';
import { oversizedShape } from '../limits.js';
import { tensorFromProto } from './proto.js';
import { permuteShape, toChannelsFirst, toChannelsLast, transposeTensor } from './tensor-util.js';

/** One ONNX node as the op mappings see it: attributes by name, optional inputs/outputs as ''. */
export interface OnnxNode {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  attrs: Map<string, AttributeProto>;
  /** The version of the default-domain opset the model imports. */
  opset: number;
}

export function wrapNode(p: NodeProto, name: string, opset: number): OnnxNode {
  return { name, opType: p.opType, inputs: [...p.input], outputs: [...p.output], attrs: new Map(p.attribute.map((a) => [a.name, a])), opset };
}

/** The IR names of one ONNX value: its channels-first form (the ONNX layout) and/or its channels-last twin. */
interface Forms {
  cf?: string;
  cl?: string;
}

/**
 * State of one import: the IR graph being built, which IR tensors stand for each ONNX value (in which layout),
 * the ONNX constants (added to the graph only when an IR node reads them), and small attribute readers.
 * Layout rule (docs/ir.md): values of rank >= 3 may exist channels-first (CF, ONNX order) and/or channels-last (CL);
 * `cf(v)` and `cl(v)` return the wanted form and insert a `transpose` the first time a missing form is asked for.
 */
export class ImportContext {
  private readonly forms = new Map<string, Forms>();
  /** ONNX values with known contents: initializers and Constant outputs. */
  readonly consts = new Map<string, Tensor>();
  /** Quantization annotations per ONNX value (axis in ONNX layout). */
  private readonly quants = new Map<string, QuantParams>();
  private readonly nodeNames = new Set<string>();
  private readonly tensorNames = new Set<string>();
  private readonly relaid = new Map<string, string>();
  /** Every name the ONNX file uses: generated tensors avoid them. */
  readonly onnxNames = new Set<string>();
  /** Builders of a channels-last form cheaper than a transpose (a dequantized constant re-laid as a constant). */
  readonly lazyCl = new Map<string, () => string>();
  /** Q -> DQ pairs removed at import: Q output name -> the Q node's float input (see ops-quant.ts). */
  qdqPairs = new Map<string, string>();

  constructor(
    readonly g: Graph,
    readonly file: string,
  ) {}

  // ---- names ----

  /** A tensor name not used yet (reserved on return); `own`: `base` is the ONNX name being defined, use it if free. */
  freshTensor(base: string, own = false): string {
    const taken = (x: string) => this.tensorNames.has(x) || this.g.tensors.has(x) || (this.onnxNames.has(x) && !(own && x === base));
    let name = base;
    for (let i = 1; taken(name); i++) name = `${base}_${i}`;
    this.tensorNames.add(name);
    return name;
  }

  /** A node name not used yet (reserved on return). */
  freshNode(base: string): string {
    let name = base;
    for (let i = 1; this.nodeNames.has(name); i++) name = `${base}_${i}`;
    this.nodeNames.add(name);
    return name;
  }

  where(n: OnnxNode): Location {
    return { file: this.file, node: n.name };
  }

  // ---- attributes ----

  /** QT103 for any attribute the mapping does not understand (so nothing is silently ignored). */
  checkAttrs(n: OnnxNode, known: readonly string[]): void {
    for (const a of n.attrs.keys()) if (!known.includes(a)) this.bad(n, `attribute '${a}' is not supported on ${n.opType} (opset ${n.opset})`);
  }

  bad(n: OnnxNode, message: string): never {
    fail('QT103', message, this.where(n));
  }

  int(n: OnnxNode, key: string, fallback: number): number;
  int(n: OnnxNode, key: string): number | undefined;
  int(n: OnnxNode, key: string, fallback?: number): number | undefined {
    const a = n.attrs.get(key);
    if (!a) return fallback;
    if (a.type !== AttributeProto_AttributeType.INT && a.type !== AttributeProto_AttributeType.UNDEFINED) this.bad(n, `attribute '${key}' must be an int`);
    return Number(a.i);
  }

  ints(n: OnnxNode, key: string): number[] | undefined {
    const a = n.attrs.get(key);
    if (!a) return undefined;
    if (a.type !== AttributeProto_AttributeType.INTS && a.type !== AttributeProto_AttributeType.UNDEFINED) this.bad(n, `attribute '${key}' must be a list of ints`);
    return a.ints.map(Number);
  }

  float(n: OnnxNode, key: string, fallback: number): number;
  float(n: OnnxNode, key: string): number | undefined;
  float(n: OnnxNode, key: string, fallback?: number): number | undefined {
    const a = n.attrs.get(key);
    if (!a) return fallback;
    if (a.type !== AttributeProto_AttributeType.FLOAT && a.type !== AttributeProto_AttributeType.UNDEFINED) this.bad(n, `attribute '${key}' must be a float`);
    return a.f;
  }

  floats(n: OnnxNode, key: string): number[] | undefined {
    const a = n.attrs.get(key);
    if (!a) return undefined;
    if (a.type !== AttributeProto_AttributeType.FLOATS && a.type !== AttributeProto_AttributeType.UNDEFINED) this.bad(n, `attribute '${key}' must be a list of floats`);
    return [...a.floats];
  }

  string(n: OnnxNode, key: string, fallback: string): string {
    const a = n.attrs.get(key);
    if (!a) return fallback;
    if (a.type !== AttributeProto_AttributeType.STRING && a.type !== AttributeProto_AttributeType.UNDEFINED) this.bad(n, `attribute '${key}' must be a string`);
    return new TextDecoder().decode(a.s);
  }

  tensorAttr(n: OnnxNode, key: string): Tensor | undefined {
    const a = n.attrs.get(key);
    if (!a) return undefined;
    if (!a.t) this.bad(n, `attribute '${key}' must be a tensor`);
    return tensorFromProto(a.t, this.where(n), `attribute '${key}'`);
  }

  // ---- values ----

  isConst(v: string): boolean {
    return this.consts.has(v);
  }

  /** The contents of a constant input, or QT103 when it is computed at run time. */
  constant(n: OnnxNode, v: string, what: string): Tensor {
    const t = this.consts.get(v);
    if (!t) this.bad(n, `${what} ('${v}') must be a constant (an initializer or Constant node), not a value computed at run time`);
    return t;
  }

  /** Records a computed ONNX value. */
  define(v: string, ir: string, layout: 'cf' | 'cl', n?: OnnxNode): void {
    if (this.forms.has(v) || this.consts.has(v)) fail('QT104', `value '${v}' is defined twice`, n ? this.where(n) : { file: this.file });
    this.forms.set(v, layout === 'cf' ? { cf: ir } : { cl: ir });
  }

  /** `dst` is the same value as `src` (Identity, a removed Q/DQ pair). */
  alias(dst: string, src: string, n: OnnxNode): void {
    const c = this.consts.get(src);
    if (c) {
      this.consts.set(dst, c);
      return;
    }
    const f = this.forms.get(src);
    if (!f) this.undefinedValue(n, src);
    if (this.forms.has(dst)) fail('QT104', `value '${dst}' is defined twice`, this.where(n));
    this.forms.set(dst, { ...f });
    const q = this.quants.get(src);
    if (q) this.quants.set(dst, q);
  }

  /** True when the value is defined (computed, graph input or constant). */
  has(v: string): boolean {
    return this.forms.has(v) || this.consts.has(v);
  }

  /** True when a channels-last form of the value exists already (constants can always be re-laid). */
  hasCl(v: string): boolean {
    return this.forms.get(v)?.cl !== undefined;
  }

  /** True when the value exists only channels-last. */
  clOnly(v: string): boolean {
    const f = this.forms.get(v);
    return f !== undefined && f.cl !== undefined && f.cf === undefined;
  }

  /** Type of the ONNX value in ONNX (channels-first) layout. */
  infoOf(v: string, n: OnnxNode): { dtype: TensorInfo['dtype']; shape: number[] } {
    const c = this.consts.get(v);
    if (c) return { dtype: c.dtype, shape: c.shape };
    const f = this.forms.get(v);
    if (!f) this.undefinedValue(n, v);
    if (f.cf) return this.irInfo(f.cf);
    const t = this.irInfo(f.cl!);
    return { dtype: t.dtype, shape: permuteShape(t.shape, toChannelsFirst(t.shape.length)) };
  }

  shapeOf(v: string, n: OnnxNode): number[] {
    return this.infoOf(v, n).shape;
  }

  irInfo(ir: string): TensorInfo {
    const t = this.g.tensors.get(ir);
    if (!t) fail('QT003', `no type for '${ir}' during import`, { file: this.file });
    return t;
  }

  /** The IR tensor holding `v` in ONNX layout, inserting a transpose from its channels-last twin if needed. */
  cf(v: string, n: OnnxNode): string {
    const c = this.consts.get(v);
    if (c) return this.constTensor(v, c);
    const f = this.forms.get(v);
    if (!f) this.undefinedValue(n, v);
    if (f.cf) return f.cf;
    const rank = this.irInfo(f.cl!).shape.length;
    f.cf = this.emit('transpose', [f.cl!], { perm: toChannelsFirst(rank) }, [this.freshTensor(v, true)], `${v}_to_nchw`)[0]!;
    this.annotate(v);
    return f.cf;
  }

  /** The IR tensor holding `v` channels-last (rank < 3 values have one layout: the same tensor). */
  cl(v: string, n: OnnxNode): string {
    const c = this.consts.get(v);
    if (c) return c.shape.length < 3 ? this.constTensor(v, c) : this.relaidConst(v, c, c.shape.length);
    const f = this.forms.get(v);
    if (!f) this.undefinedValue(n, v);
    if (f.cl) return f.cl;
    const rank = this.irInfo(f.cf!).shape.length;
    if (rank < 3) return f.cf!;
    const lazy = this.lazyCl.get(v);
    f.cl = lazy ? lazy() : this.emit('transpose', [f.cf!], { perm: toChannelsLast(rank) }, [this.freshTensor(`${v}_nhwc`)], `${v}_to_nhwc`)[0]!;
    this.annotate(v);
    return f.cl;
  }

  /**
   * A constant broadcast-compatible with a channels-last tensor of `rank`: leading 1s added, then transposed to
   * channels-last (so an Add with a [C,1,1] bias reads a [1,1,1,C] constant).
   */
  relaidConst(v: string, c: Tensor, rank: number): string {
    const key = `${v}@${rank}`;
    const got = this.relaid.get(key);
    if (got) return got;
    const full = { ...c, shape: [...new Array<number>(rank - c.shape.length).fill(1), ...c.shape] };
    const name = this.addInitializer(this.freshTensor(`${v}_nhwc`), transposeTensor(full, toChannelsLast(rank)));
    this.relaid.set(key, name);
    return name;
  }

  /** Adds an ONNX constant to the graph under its own name (once). */
  private constTensor(v: string, c: Tensor): string {
    const key = `${v}@`;
    const got = this.relaid.get(key);
    if (got) return got;
    const name = this.addInitializer(this.freshTensor(v || 'const', true), c);
    this.relaid.set(key, name);
    return name;
  }

  addInitializer(name: string, t: Tensor, quant?: QuantParams): string {
    this.tensorNames.add(name);
    this.g.initializers.set(name, t);
    this.g.tensors.set(name, { name, dtype: t.dtype, shape: [...t.shape], quant });
    return name;
  }

  /** A new constant (folded Gemm weights, scalars for alpha/beta). */
  newConst(base: string, t: Tensor): string {
    return this.addInitializer(this.freshTensor(base), t);
  }

  /**
   * Appends an IR node and types its outputs at once with the op's shape rule (later mappings need the shapes).
   * `outputs` are IR names (reserve them with `freshTensor` / `outName`). Returns the outputs.
   */
  emit(op: string, inputs: string[], attrs: Record<string, AttrValue | undefined>, outputs: string[], nodeName: string): string[] {
    const clean: Record<string, AttrValue> = {};
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) clean[k] = v;
    const node: Node = { name: this.freshNode(nodeName), op, inputs, outputs, attrs: clean };
    const outs = inferNode(this.g, node);
    // Stop a runaway shape (huge pads, a damaged input) here, before the next node's shape rule works through it.
    outputs.forEach((o, k) => {
      const tooLarge = o ? oversizedShape(outs[k]!.shape) : undefined;
      if (tooLarge) fail('QT201', `${op} output '${o}': ${tooLarge}`, { file: this.file, node: node.name });
    });
    this.g.nodes.push(node);
    outputs.forEach((o, k) => {
      if (o) this.g.tensors.set(o, { name: o, dtype: outs[k]!.dtype, shape: outs[k]!.shape });
    });
    return outputs;
  }

  /** The IR name for a new form of ONNX value `v`. */
  outName(v: string, layout: 'cf' | 'cl'): string {
    return layout === 'cf' ? this.freshTensor(v, true) : this.freshTensor(`${v}_nhwc`);
  }

  /** Emits one IR node computing ONNX output `v` in `layout` and records it. */
  emitValue(n: OnnxNode, op: string, inputs: string[], attrs: Record<string, AttrValue | undefined>, layout: 'cf' | 'cl', v = n.outputs[0]!): string {
    const out = this.outName(v, layout);
    this.emit(op, inputs, attrs, [out], n.name);
    this.define(v, out, layout, n);
    this.annotate(v);
    return out;
  }

  // ---- quantization annotations ----

  /** Attaches `q` (axis in ONNX layout) to every form of `v`, now and when a form is materialised later. */
  setQuant(v: string, q: QuantParams): void {
    this.quants.set(v, q);
    this.annotate(v);
  }

  private annotate(v: string): void {
    const q = this.quants.get(v);
    const f = this.forms.get(v);
    if (!q || !f) return;
    if (f.cf) this.irInfo(f.cf).quant = { ...q };
    if (f.cl) {
      const t = this.irInfo(f.cl);
      const perm = toChannelsLast(t.shape.length);
      this.irInfo(f.cl).quant = q.axis === undefined || t.shape.length < 3 ? { ...q } : { ...q, axis: perm.indexOf(q.axis) };
    }
  }

  // ---- errors ----

  undefinedValue(n: OnnxNode, v: string): never {
    fail('QT104', `reads '${v}', which no earlier node, graph input or initializer defines (nodes must be in topological order)`, this.where(n));
  }
}
