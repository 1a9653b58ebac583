import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dtypeSize, fail, formatNumber, numel, type Graph } from '@qtool/ir';
import { cList, type CType, type EmitContext } from './kernel.js';
import { emitterOf } from './kernels/index.js';
import { ARENA_ALIGN, planMemory, type MemoryPlan } from './planner.js';
import type { Target } from './target.js';

// The model-level C emitter: one header (the API), one source (weights, params, arena, invoke in a straight
// line), the runtime files the model needs, host_main.c, a Makefile and a CMake snippet. Deterministic: the
// same artifact and options give byte-identical files.

export const runtimeDir = join(dirname(fileURLToPath(import.meta.url)), '../runtime');

export interface EmitInput {
  graph: Graph;
  name: string;
  target: Target;
  /** provenance: tool version, source file and its sha256, options as text */
  tool: string;
  sourceFile: string;
  sourceSha256: string;
  options: string;
  /** sees every declaration and call as it is emitted (the model-image writer in blob/ records them) */
  observer?: EmitObserver;
}

/** What emitModel reports while it writes the C: exactly the values and text the C gets, nothing recomputed. */
export interface EmitObserver {
  /** a constant operand array `id` (int8), declared before layer `layer` */
  constant(layer: number, id: string, data: ArrayLike<number>): void;
  constArray(layer: number, id: string, ctype: CType, values: ArrayLike<number>): void;
  constRecords(layer: number, id: string, ctype: string, recordBytes: number, records: string[]): void;
  declare(layer: number, text: string): void;
  /** the statement(s) of layer `layer` in invoke(), and the pointer and bytes QT_LAYER_DONE gets */
  call(layer: number, text: string, output: string, bytes: number): void;
}

export interface LayerReport {
  index: number;
  name: string;
  op: string;
  inputs: number[][];
  output: number[];
  constBytes: number;
  arenaBytes: number;
  scratchBytes: number;
}

export interface EmitResult {
  files: Map<string, string>;
  plan: MemoryPlan;
  layers: LayerReport[];
  /** bytes of qt_arena as declared: the plan's peak, or 0 when every tensor lives in the caller's buffers */
  arenaBytes: number;
  /** the model's constant arrays (weights, offsets, biases, requantization tables, lookup tables, constants) */
  constBytes: number;
  scratchBytes: number;
  modelHash: string;
}

const ctypeSize: Record<CType, number> = { int8_t: 1, uint8_t: 1, int16_t: 2, uint16_t: 2, int32_t: 4, uint32_t: 4 };

/** A C identifier from a model file name. */
export function cName(s: string): string {
  let n = s.replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_]/g, '_').toLowerCase();
  if (!/^[a-z_]/.test(n)) n = `m_${n}`;
  return n;
}

export function emitModel(inp: EmitInput): EmitResult {
  const { graph: g, name, target } = inp;
  const NAME = name.toUpperCase();
  for (const v of [...g.inputs, ...g.outputs]) if (g.tensors.get(v)!.dtype !== 'int8') fail('QT500', `model input/output '${v}' is not int8`);
  const plan = planMemory(g);
  const decls: string[] = [];
  const calls: string[] = [];
  const layers: LayerReport[] = [];
  const sources = new Set<string>();
  let scratchMax = 0;
  // Constant operands (an initializer fed to add, mul, concat, ...) become const arrays of their own, declared once
  // before the first layer that reads them and counted in that layer's flash bytes.
  const constants = new Map<string, string>();
  let pendingConstBytes = 0;
  const constOperand = (v: string): string => {
    const known = constants.get(v);
    if (known) return known;
    const t = g.initializers.get(v)!;
    if (t.dtype !== 'int8') fail('QT500', `constant operand '${v}' is ${t.dtype}; only int8 constants can feed a layer`);
    const id = `qt_const${constants.size}`;
    constants.set(v, id);
    pendingConstBytes += t.data.length;
    inp.observer?.constant(layerIndex, id, t.data as Int8Array);
    decls.push(`/* constant operand '${v}' ${JSON.stringify(t.shape)} */`, `static const QT_ALIGN(16) int8_t ${id}[${Math.max(t.data.length, 1)}] = {\n${t.data.length ? cList(t.data as Int8Array) : '  0'}\n};`, '');
    return id;
  };
  const ptr = (v: string): string => {
    if (g.initializers.has(v) && !plan.placement.has(v)) return constOperand(v);
    const p = plan.placement.get(v);
    if (!p) fail('QT500', `value '${v}' has no place in the memory plan`);
    if (p.kind === 'arena') return p.offset === 0 ? 'qt_arena' : `qt_arena + ${p.offset}`;
    return `${p.kind}${p.index}`;
  };
  let layerIndex = 0;
  g.nodes.forEach((node, index) => {
    layerIndex = index;
    const em = emitterOf(node.op);
    const prefix = `l${index}`;
    let constBytes = 0;
    const layerDecls: string[] = [];
    const ctx: EmitContext = {
      graph: g,
      node,
      target,
      prefix,
      ptr,
      constArray(suffix, ctype, values) {
        const id = `${prefix}_${suffix}`;
        constBytes += values.length * ctypeSize[ctype];
        inp.observer?.constArray(index, id, ctype, values);
        layerDecls.push(`static const QT_ALIGN(16) ${ctype} ${id}[${Math.max(values.length, 1)}] = {\n${values.length ? cList(values) : '  0'}\n};`);
        return id;
      },
      constRecords(suffix, ctype, recordBytes, records) {
        const id = `${prefix}_${suffix}`;
        constBytes += records.length * recordBytes;
        inp.observer?.constRecords(index, id, ctype, recordBytes, records);
        const lines: string[] = [];
        for (let i = 0; i < records.length; i += 4) lines.push('  ' + records.slice(i, i + 4).join(', '));
        layerDecls.push(`static const ${ctype} ${id}[${records.length}] = {\n${lines.join(',\n')}\n};`);
        return id;
      },
      declare(text) {
        inp.observer?.declare(index, text);
        layerDecls.push(text);
      },
    };
    pendingConstBytes = 0;
    const call = em.emit(ctx);
    constBytes += pendingConstBytes;
    for (const s of em.sources(node, target)) sources.add(s);
    const scratch = em.scratch?.(node, g, target) ?? 0;
    scratchMax = Math.max(scratchMax, scratch);
    const out = g.tensors.get(node.outputs[0]!)!;
    const ins = node.inputs.filter(Boolean).map((i) => g.tensors.get(i)!.shape);
    decls.push(layerComment(index, node.op, node.name, ins, out.shape, g, node.outputs[0]!, node.params), ...layerDecls, '');
    if (call.trim()) calls.push(`  ${call.trim()}`);
    calls.push(`  QT_LAYER_DONE(${index}, ${ptr(node.outputs[0]!)}, ${numel(out.shape) * dtypeSize[out.dtype]});`);
    inp.observer?.call(index, call, ptr(node.outputs[0]!), numel(out.shape) * dtypeSize[out.dtype]);
    layers.push({ index, name: node.name, op: node.op, inputs: ins, output: out.shape, constBytes, arenaBytes: plan.perStep[index]!, scratchBytes: scratch });
  });
  const constBytes = layers.reduce((s, l) => s + l.constBytes, 0);
  // no arena when the plan places nothing in it (C99 has no zero-length arrays); else the peak, aligned
  const arenaBytes = plan.buffers.length ? Math.max(plan.peak, ARENA_ALIGN) : 0;
  const inParams = g.inputs.map((v, i) => `const int8_t *input${i}`);
  const outParams = g.outputs.map((v, i) => `int8_t *output${i}`);
  const signature = `void ${name}_invoke(${[...inParams, ...outParams].join(', ')})`;
  const modelText = decls.join('\n') + calls.join('\n');
  const modelHash = createHash('sha256').update(modelText).digest('hex').slice(0, 16);
  const provenance = `generated by ${inp.tool} from ${inp.sourceFile} (sha256 ${inp.sourceSha256.slice(0, 16)}),\n   options: ${inp.options}, target ${target.name}.\n   Do not edit. Integer-only; arithmetic as in docs/arithmetic.md.`;
  // the fast kernels' layer bodies (qt_mac_*_impl.h, qt_elementwise_*_impl.h), which the model source specialises per layer
  const impls = [...sources].filter((s) => /^qt_(mac|elementwise)_(dsp|mve)\.c$/.test(s)).sort().map((s) => s.replace(/\.c$/, '_impl.h'));
  const files = new Map<string, string>();
  files.set(`${name}.h`, header(name, NAME, g, provenance, signature, arenaBytes, scratchMax, modelHash));
  files.set(
    `${name}.c`,
    [
      `/* ${name}.c: ${provenance} */`,
      '#include "qt_runtime.h"',
      ...impls.map((h) => `#include "${h}" /* the fast kernels' layer bodies, inlined per layer below */`),
      `#include "${name}.h"`,
      '',
      '/* Per-layer hook: define QT_LAYER_DONE(index, output, bytes) to observe each layer (the flasher reads',
      '   intermediate tensors and counts per-layer instructions through it). Empty by default. */',
      '#ifndef QT_LAYER_DONE',
      '#define QT_LAYER_DONE(index, output, bytes) ((void)0)',
      '#endif',
      '',
      arenaBytes
        ? `/* the liveness plan's peak: ${plan.peak} bytes (lower bound ${plan.lowerBound}, one buffer per tensor ${plan.naive}); no other RAM is used */`
        : '/* no arena: every tensor lives in the caller\'s input and output buffers */',
      arenaBytes ? `static QT_ALIGN(16) int8_t qt_arena[${arenaBytes}];` : '',
      scratchMax ? `static QT_ALIGN(16) int8_t qt_scratch[${scratchMax}];` : '',
      '',
      `const char ${name}_model_hash[] = "${modelHash}";`,
      '',
      decls.join('\n'),
      `${signature} {`,
      ...g.inputs.map((_, i) => `  (void)input${i};`),
      ...(arenaBytes ? ['  (void)qt_arena;'] : []),
      ...(scratchMax ? ['  (void)qt_scratch;'] : []),
      calls.join('\n'),
      '}',
      '',
    ]
      .filter((l, i, a) => !(l === '' && a[i - 1] === ''))
      .join('\n'),
  );
  for (const s of ['qt_math.h', 'qt_runtime.h', 'qt_kernels.h', 'qt_mac.h', 'qt_elementwise.h', 'qt_pool.h', 'qt_softmax.h', 'qt_move.h', ...impls, ...[...sources].sort()])
    files.set(s, readFileSync(join(runtimeDir, s), 'utf8'));
  files.set('host_main.c', hostMain(name, NAME, g));
  files.set('Makefile', makefile(name, target, [...sources].sort()));
  files.set('qtool.cmake', cmake(name, [...sources].sort()));
  return { files, plan, layers, arenaBytes, constBytes, scratchBytes: scratchMax, modelHash };
}

function layerComment(index: number, op: string, name: string, ins: number[][], out: number[], g: Graph, outName: string, params: unknown): string {
  const q = g.tensors.get(outName)!.quant;
  const lines = [`/* layer ${index}: ${op} '${name}' ${ins.map((s) => s.join('x')).join(', ')} -> ${out.join('x')}`];
  if (q) lines.push(`   output scale ${formatNumber(q.scale[0]!)}, zero point ${q.zeroPoint[0]}`);
  const p = params as { weights?: { bits: number; anchor: string; signed: boolean; offset: number[]; scale: number[] }; multipliers?: { multiplier: number; shift: number }[]; mode?: string } | undefined;
  if (p?.weights) {
    const w = p.weights;
    const offs = w.offset.length > 4 ? `${w.offset.slice(0, 3).join(', ')}, ... (${w.offset.length})` : w.offset.join(', ');
    lines.push(`   weights: ${w.signed ? 'signed int8 (TFLite)' : `${w.bits}-bit, ${w.anchor}-anchored`}, offset ${offs}, ${w.scale.length > 1 ? 'per-channel' : 'per-tensor'} scale`);
  }
  if (p?.multipliers?.length) {
    const m = p.multipliers;
    lines.push(`   requant (${p.mode}): ${m.slice(0, 2).map((x) => `{ ${x.multiplier}, ${x.shift} }`).join(', ')}${m.length > 2 ? `, ... (${m.length})` : ''}`);
  }
  return lines.join('\n') + ' */';
}

function header(name: string, NAME: string, g: Graph, provenance: string, signature: string, arenaBytes: number, scratch: number, hash: string): string {
  const io = (kind: 'INPUT' | 'OUTPUT', list: string[]) =>
    list.flatMap((v, i) => {
      const t = g.tensors.get(v)!;
      const q = t.quant!;
      return [
        `/* ${kind.toLowerCase()} ${i} '${v}': int8 [${t.shape.join(', ')}], real = scale * (q - zero_point) */`,
        `#define ${NAME}_${kind}${i}_SIZE ${numel(t.shape)}`,
        `#define ${NAME}_${kind}${i}_DTYPE_INT8 1`,
        `#define ${NAME}_${kind}${i}_SCALE ${floatLiteral(q.scale[0]!)}`,
        `#define ${NAME}_${kind}${i}_ZERO_POINT ${q.zeroPoint[0]}`,
      ];
    });
  return [
    `/* ${name}.h: ${provenance} */`,
    `#ifndef ${NAME}_H`,
    `#define ${NAME}_H`,
    '',
    '#include <stdint.h>',
    '',
    `#define ${NAME}_INPUT_COUNT ${g.inputs.length}`,
    `#define ${NAME}_OUTPUT_COUNT ${g.outputs.length}`,
    ...io('INPUT', g.inputs),
    ...io('OUTPUT', g.outputs),
    `/* RAM: one static arena (tensor liveness plan) plus kernel scratch */`,
    `#define ${NAME}_ARENA_SIZE ${arenaBytes}`,
    `#define ${NAME}_SCRATCH_SIZE ${scratch}`,
    `#define ${NAME}_MODEL_HASH "${hash}"`,
    '',
    `extern const char ${name}_model_hash[];`,
    '',
    '/* Runs one inference. Inputs and outputs are the caller\'s buffers (int8, sizes above); not reentrant. */',
    `${signature};`,
    '',
    `#endif`,
    '',
  ].join('\n');
}

function floatLiteral(v: number): string {
  const s = v.toPrecision(9);
  return `${s.includes('e') || s.includes('.') ? s : s + '.0'}f`;
}

function hostMain(name: string, NAME: string, g: Graph): string {
  const ins = g.inputs.map((_, i) => `input${i}`);
  const outs = g.outputs.map((_, i) => `output${i}`);
  return [
    `/* host_main.c: runs ${name} on the host. Reads raw int8 inputs (all inputs of one sample, concatenated)`,
    '   from stdin, writes raw int8 outputs to stdout, until stdin ends; a partial sample is an error. */',
    '#include <stdio.h>',
    '#include <stdint.h>',
    `#include "${name}.h"`,
    '',
    ...ins.map((v, i) => `static int8_t ${v}[${NAME}_INPUT${i}_SIZE];`),
    ...outs.map((v, i) => `static int8_t ${v}[${NAME}_OUTPUT${i}_SIZE];`),
    '',
    'int main(void) {',
    '  for (;;) {',
    '    size_t got;',
    ...ins.flatMap((v, i) => [
      `    got = fread(${v}, 1, sizeof ${v}, stdin);`,
      i === 0 ? '    if (got == 0) return 0;' : '',
      `    if (got != sizeof ${v}) { fprintf(stderr, "host_main: partial input sample\\n"); return 2; }`,
    ]).filter(Boolean),
    `    ${name}_invoke(${[...ins, ...outs].join(', ')});`,
    ...outs.map((v) => `    if (fwrite(${v}, 1, sizeof ${v}, stdout) != sizeof ${v}) return 3;`),
    '  }',
    '}',
    '',
  ].join('\n');
}

function makefile(name: string, target: Target, sources: string[]): string {
  const objs = [`${name}.c`, ...sources].join(' ');
  const cross = target.name !== 'host';
  return [
    `# Makefile generated by qtool for ${name} (target ${target.name}).`,
    '# make: builds ' + (cross ? `lib${name}.a with ${target.cc}` : 'host_main with the system cc') + '; make host_main: the stdin/stdout runner with cc.',
    `CC ?= ${target.cc}`,
    cross ? `CC = ${target.cc}` : '',
    `CPUFLAGS = ${target.cpuFlags.join(' ')}`,
    'CFLAGS ?= -std=c99 -Wall -Wextra -Werror -pedantic -O2',
    `SRCS = ${objs}`,
    '',
    cross ? `all: lib${name}.a` : 'all: host_main',
    '',
    `lib${name}.a: $(SRCS:.c=.o)`,
    '\t$(AR) rcs $@ $^',
    cross ? 'AR = arm-none-eabi-ar' : '',
    '',
    '%.o: %.c',
    '\t$(CC) $(CFLAGS) $(CPUFLAGS) -c $< -o $@',
    '',
    `host_main: host_main.c $(SRCS)`,
    '\tcc -std=c99 -Wall -Wextra -Werror -pedantic -O2 -o $@ host_main.c $(SRCS)',
    '',
    'clean:',
    `\trm -f *.o lib${name}.a host_main`,
    '',
    '.PHONY: all clean',
    '',
  ]
    .filter((l, i, a) => !(l === '' && a[i - 1] === ''))
    .join('\n');
}

function cmake(name: string, sources: string[]): string {
  return [
    `# qtool.cmake: add the generated ${name} model to a CMake project with include(qtool.cmake).`,
    `add_library(${name} STATIC`,
    `  \${CMAKE_CURRENT_LIST_DIR}/${name}.c`,
    ...sources.map((s) => `  \${CMAKE_CURRENT_LIST_DIR}/${s}`),
    ')',
    `target_include_directories(${name} PUBLIC \${CMAKE_CURRENT_LIST_DIR})`,
    `set_property(TARGET ${name} PROPERTY C_STANDARD 99)`,
    '',
  ].join('\n');
}
