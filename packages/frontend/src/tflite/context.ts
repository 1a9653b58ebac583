import { fail, freshName, type Attrs, type DType, type DiagnosticCode, type Graph, type Node, type QuantParams, type Tensor, type TensorInfo } from '@qtool/ir';
import type { FbTable } from './fb.js';
import { activationNames } from './schema.js';

/** What an operator's import function sees: its IR-named inputs and outputs, options, and the graph so far. */
export class OpContext {
  constructor(
    readonly g: Graph,
    /** Position of the operator in the subgraph. */
    readonly index: number,
    /** Builtin operator name, e.g. CONV_2D. */
    readonly opName: string,
    /** IR names of the operator's inputs ('' for an absent optional input, TFLite index -1). */
    readonly inputs: string[],
    readonly outputs: string[],
    readonly options: FbTable | undefined,
    /** How many operators read each tensor (by IR name), to know when a constant may be re-laid in place. */
    readonly uses: ReadonlyMap<string, number>,
  ) {}

  /** The node name: the operator's first output tensor (unique), else its position. */
  get nodeName(): string {
    return this.outputs[0] || `op${this.index}`;
  }

  /** Throws a coded diagnostic naming this operator; the reader collects it and carries on with the next one. */
  fail(code: DiagnosticCode, message: string): never {
    fail(code, `${this.opName} (operator ${this.index}): ${message}`, { node: this.nodeName });
  }

  input(i: number): string {
    const name = this.inputs[i];
    if (!name) this.fail('QT123', `input ${i} is required`);
    return name;
  }

  optInput(i: number): string {
    return this.inputs[i] ?? '';
  }

  output(i = 0): string {
    const name = this.outputs[i];
    if (!name) this.fail('QT123', `output ${i} is required`);
    return name;
  }

  /** The declared TensorInfo of input i. */
  info(i: number): TensorInfo {
    return this.g.tensors.get(this.input(i))!;
  }

  outInfo(i = 0): TensorInfo {
    return this.g.tensors.get(this.output(i))!;
  }

  /** Input i's shape, checking its rank. */
  shape(i: number, rank?: number): number[] {
    const s = this.info(i).shape;
    if (rank !== undefined && s.length !== rank) this.fail('QT123', `input ${i} has rank ${s.length}, expected ${rank}`);
    return s;
  }

  constant(i: number): Tensor | undefined {
    const name = this.inputs[i];
    return name ? this.g.initializers.get(name) : undefined;
  }

  /** A constant integer input as numbers (shape operands: new_shape, axes, paddings). */
  constInts(i: number, what: string): number[] {
    const t = this.constant(i);
    if (!t) this.fail('QT122', `${what} (input ${i}) must be a constant tensor`);
    if (t.dtype !== 'int32' && t.dtype !== 'int64') this.fail('QT123', `${what} (input ${i}) must be int32 or int64, got ${t.dtype}`);
    return Array.from(t.data as ArrayLike<number | bigint>, Number);
  }

  /** The real value of a constant scalar input (dequantized when it carries quantization parameters). */
  constScalar(i: number, what: string): number {
    const t = this.constant(i);
    if (!t || t.data.length !== 1) this.fail('QT122', `${what} (input ${i}) must be a constant scalar`);
    const v = Number(t.data[0]);
    const q = this.info(i).quant;
    return q ? q.scale[0]! * (v - q.zeroPoint[0]!) : v;
  }

  /** Adds a node. The node writing the operator's first output takes the operator's name; helpers get derived names. */
  emit(op: string, inputs: string[], outputs: string[], attrs: Attrs = {}): Node {
    const main = this.outputs[0] !== undefined && outputs.includes(this.outputs[0]);
    const name = main ? this.nodeName : freshName(this.g, `${this.nodeName}/${op}`);
    const node: Node = { name, op, inputs, outputs, attrs };
    this.g.nodes.push(node);
    return node;
  }

  /** A new intermediate value (not in the file). */
  temp(base: string, dtype: DType, shape: number[], quant?: QuantParams): string {
    const name = freshName(this.g, `${this.nodeName}/${base}`);
    this.g.tensors.set(name, { name, dtype, shape: [...shape], quant: quant && { ...quant } });
    return name;
  }

  /** A new constant. */
  constantTensor(base: string, t: Tensor, quant?: QuantParams): string {
    const name = freshName(this.g, base);
    this.g.tensors.set(name, { name, dtype: t.dtype, shape: [...t.shape], quant });
    this.g.initializers.set(name, t);
    return name;
  }

  /** Fused activation as clamp attributes (docs/ir.md): TANH and SIGN_BIT have no clamp form. */
  activation(code: number): Attrs {
    switch (code) {
      case 0: return {};
      case 1: return { actMin: 0 };
      case 2: return { actMin: -1, actMax: 1 };
      case 3: return { actMin: 0, actMax: 6 };
      default: this.fail('QT122', `fused activation ${activationNames[code] ?? code} is not supported`);
    }
  }

  /**
   * Emits `op` writing the operator's output; for an IR op without actMin/actMax, a fused activation becomes a
   * following `clip` node.
   */
  emitWithActivation(op: string, inputs: string[], attrs: Attrs, activation: number, irFuses: boolean): void {
    const act = this.activation(activation);
    if (irFuses || Object.keys(act).length === 0) {
      this.emit(op, inputs, [this.output()], { ...attrs, ...act });
      return;
    }
    const out = this.outInfo();
    const t = this.temp(`pre_${activationNames[activation]!.toLowerCase()}`, out.dtype, out.shape, out.quant);
    this.emit(op, inputs, [t], attrs);
    const clip: Attrs = { min: act.actMin as number };
    if (act.actMax !== undefined) clip.max = act.actMax;
    this.emit('clip', [t], [this.output()], clip);
  }
}
