import type { Graph, Node } from '@qtool/ir';
import type { Target } from './target.js';

/** What a kernel emitter may ask of the C emitter while emitting one layer. */
export interface EmitContext {
  graph: Graph;
  node: Node;
  target: Target;
  /** C identifier prefix for this layer's declarations, e.g. 'l3' */
  prefix: string;
  /** C expression (int8_t *) for a value's buffer: the arena at an offset, or a caller buffer */
  ptr(value: string): string;
  /** Declares `static const QT_ALIGN(16) <ctype> <prefix>_<suffix>[n] = {...};` and returns the name. */
  constArray(suffix: string, ctype: CType, values: ArrayLike<number>): string;
  /**
   * Declares `static const <ctype> <prefix>_<suffix>[n] = { records };`, an array of C structs of `recordBytes`
   * each (the C side asserts the size), counted in the layer's constant bytes like constArray; returns the name.
   */
  constRecords(suffix: string, ctype: string, recordBytes: number, records: string[]): string;
  /** Adds a declaration (a params struct, a table) to the model source, before invoke(). */
  declare(text: string): void;
}

export type CType = 'int8_t' | 'uint8_t' | 'int16_t' | 'uint16_t' | 'int32_t' | 'uint32_t';

/**
 * The C side of one IR op: which runtime sources hold its kernels, and the code of one layer.
 * One file per op under packages/codegen/src/kernels/, registered in kernels/index.ts.
 */
export interface KernelEmitter {
  op: string;
  /** runtime C files (packages/codegen/runtime/) this layer needs, besides qt_runtime.h and qt_math.h */
  sources(node: Node, target: Target): string[];
  /** declarations through ctx; returns the statement(s) to place in invoke() */
  emit(ctx: EmitContext): string;
  /** scratch bytes the layer's kernel needs (partial im2col, ...) for this target; 0 when none */
  scratch?(node: Node, graph: Graph, target: Target): number;
}

/** A C initializer list, `per` values a line, deterministic. */
export function cList(values: ArrayLike<number>, per = 16): string {
  const lines: string[] = [];
  for (let i = 0; i < values.length; i += per) {
    const chunk: string[] = [];
    for (let j = i; j < Math.min(values.length, i + per); j++) chunk.push(cInt(Number(values[j])));
    lines.push('  ' + chunk.join(', '));
  }
  return lines.join(',\n');
}

/** An integer literal valid C99 for the whole int32 range (INT32_MIN has no literal of its own). */
export function cInt(v: number): string {
  if (!Number.isInteger(v)) throw new Error(`not an integer: ${v}`);
  if (v === -2147483648) return '(-2147483647 - 1)';
  if (v > 2147483647) return `${v}u`;
  return String(v);
}
