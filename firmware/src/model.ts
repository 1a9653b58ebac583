import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '@qtool/ir';

// What the firmware needs to know about a folder written by `qtool compile`: read from the generated C itself
// (the header's macros and the invoke prototype, the QT_LAYER_DONE calls), so the firmware links exactly what
// the folder holds.

export interface ModelTensorC {
  /** parameter type in <name>_invoke, e.g. 'int8_t' */
  ctype: string;
  elements: number;
  bytes: number;
}

export interface CompiledModel {
  dir: string;
  /** C name: <name>.h, <name>_invoke, <name>_model_hash */
  name: string;
  header: string;
  /** .c files to link (everything but host_main.c) */
  sources: string[];
  inputs: ModelTensorC[];
  outputs: ModelTensorC[];
  inputBytes: number;
  outputBytes: number;
  /** QT_LAYER_DONE calls: index 0 .. layers-1 */
  layers: number;
  arenaBytes: number;
  /** 16 hex digits (INFO's model hash) */
  hash: string;
  /** the target the folder was compiled for (header comment), e.g. 'cortex-m4' or 'host' */
  target?: string;
}

const elementBytes: Record<string, number> = { int8_t: 1, uint8_t: 1, int16_t: 2, uint16_t: 2, int32_t: 4 };

export function readCompiledModel(dir: string): CompiledModel {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) fail('QT001', `${dir}: no such folder (a folder written by qtool compile)`);
  const files = readdirSync(dir);
  const headers = files.filter((f) => f.endsWith('.h') && /_invoke\s*\(/.test(readFileSync(join(dir, f), 'utf8')));
  if (headers.length !== 1)
    fail('QT002', `${dir}: ${headers.length === 0 ? 'no generated model header (<name>.h declaring <name>_invoke)' : `several model headers (${headers.join(', ')})`}; run qtool compile into an empty folder`);
  const header = headers[0]!;
  const h = readFileSync(join(dir, header), 'utf8');
  const proto = /void\s+(\w+)_invoke\s*\(([^)]*)\)\s*;/.exec(h);
  if (!proto) fail('QT002', `${join(dir, header)}: no <name>_invoke prototype`);
  const name = proto[1]!;
  const NAME = name.toUpperCase();
  const define = (macro: string): string | undefined => new RegExp(`#define\\s+${NAME}_${macro}\\s+(.+)`).exec(h)?.[1]?.trim();
  const num = (macro: string): number => {
    const v = define(macro);
    if (v === undefined || !/^\d+$/.test(v)) fail('QT002', `${join(dir, header)}: missing #define ${NAME}_${macro}`);
    return Number(v);
  };
  const params = proto[2]!.split(',').map((p) => p.trim()).filter((p) => p && p !== 'void');
  const inputs: ModelTensorC[] = [];
  const outputs: ModelTensorC[] = [];
  for (const p of params) {
    const m = /^(const\s+)?(\w+)\s*\*\s*(input|output)(\d+)$/.exec(p);
    if (!m) fail('QT002', `${join(dir, header)}: unexpected parameter '${p}' of ${name}_invoke`);
    const [, , ctype, kind, index] = m;
    const bytesPer = elementBytes[ctype!];
    if (!bytesPer) fail('QT002', `${join(dir, header)}: parameter type ${ctype} is not supported by the firmware`);
    const elements = num(`${kind!.toUpperCase()}${index}_SIZE`);
    (kind === 'input' ? inputs : outputs).push({ ctype: ctype!, elements, bytes: elements * bytesPer });
  }
  const hash = /"([0-9a-f]{16})/.exec(define('MODEL_HASH') ?? '')?.[1];
  if (!hash) fail('QT002', `${join(dir, header)}: missing #define ${NAME}_MODEL_HASH "<16 hex digits>"`);
  const sources = files.filter((f) => f.endsWith('.c') && f !== 'host_main.c').sort();
  const modelC = `${name}.c`;
  if (!sources.includes(modelC)) fail('QT002', `${dir}: ${modelC} is missing`);
  let layers = 0;
  for (const m of readFileSync(join(dir, modelC), 'utf8').matchAll(/^\s*QT_LAYER_DONE\((\d+),/gm)) layers = Math.max(layers, Number(m[1]) + 1);
  return {
    dir,
    name,
    header,
    sources,
    inputs,
    outputs,
    inputBytes: inputs.reduce((a, t) => a + t.bytes, 0),
    outputBytes: outputs.reduce((a, t) => a + t.bytes, 0),
    layers,
    arenaBytes: num('ARENA_SIZE') + num('SCRATCH_SIZE'),
    hash,
    target: /target ([\w-]+)\./.exec(h)?.[1],
  };
}

/** qt_fw_model.h: binds the firmware (fw_aot.c) to this model. */
export function modelGlueHeader(m: CompiledModel): string {
  let off = 0;
  const args: string[] = [];
  for (const t of m.inputs) {
    args.push(`(const ${t.ctype} *)(const void *)((in) + ${off})`);
    off += t.bytes;
  }
  off = 0;
  for (const t of m.outputs) {
    args.push(`(${t.ctype} *)(void *)((out) + ${off})`);
    off += t.bytes;
  }
  return [
    `/* qt_fw_model.h: written by firmware/src/build.ts for model ${m.name}; do not edit. */`,
    '#ifndef QT_FW_MODEL_H',
    '#define QT_FW_MODEL_H',
    '#include <stdint.h>',
    `#include "${m.header}"`,
    `#define QT_FW_INPUT_BYTES ${m.inputBytes}u`,
    `#define QT_FW_OUTPUT_BYTES ${m.outputBytes}u`,
    `#define QT_FW_LAYER_COUNT ${m.layers}u`,
    `#define QT_FW_ARENA_BYTES ${m.arenaBytes}u`,
    `#define QT_FW_MODEL_HASH ${m.name}_model_hash`,
    `/* inputs and outputs concatenated in the order of ${m.name}_invoke's parameters */`,
    `#define QT_FW_INVOKE(in, out) ${m.name}_invoke(${args.join(', ')})`,
    '#endif',
    '',
  ].join('\n');
}
