import type { DType, Node, Tensor, TensorInfo } from '@qtool/ir';
import type { QuantizeContext } from './quant.js';

/** The static result of a shape rule: one entry per node output. */
export interface OutType {
  dtype: DType;
  shape: number[];
}

/**
 * One operator of the IR (see docs/ir.md for each op's inputs, attributes and semantics).
 * A shape rule and the float reference live together; the integer reference joins them in the quantizer issue.
 */
export interface OpDef {
  /** IR name, lower_snake; C kernels are named after it (qt_<name>_s8). */
  name: string;
  summary: string;
  /** Input names as in the ONNX spec; a trailing '?' marks optional, a leading '...' variadic. */
  inputs: readonly string[];
  /** Static output types from input types; throws QtError QT201 on an invalid combination. */
  inferShape(node: Node, inputs: (TensorInfo | undefined)[]): OutType[];
  /** Float reference: the definition of the op on concrete tensors. */
  evalFloat(node: Node, inputs: (Tensor | undefined)[]): Tensor[];
  /** Multiply-accumulates for one run, for `inspect` and reports (0 when not a MAC op). */
  macs?(node: Node, inputs: (TensorInfo | undefined)[], outputs: TensorInfo[]): number;
  /**
   * Prepare (compile time, the only float math of the integer path): the node's integer parameters from the
   * quantization of its tensors. The result is stored on `node.params`, read by evalInt and the C emitter.
   */
  quantize?(node: Node, ctx: QuantizeContext): unknown;
  /** Integer reference (the specification every C kernel must match bit for bit): integer tensors in and out. */
  evalInt?(node: Node, inputs: (Tensor | undefined)[]): Tensor[];
}

export function defineOp<T extends OpDef>(def: T): T {
  return def;
}
