import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Target } from '@qtool/codegen';

// Measures what the generated C costs on its target: compiles every source to an object with the target's
// compiler (-O2, one section a function and a datum) and, for the Arm targets, links them with a main that runs
// the model once (newlib's nosys.specs, --gc-sections, as firmware links) and reads from the link map what each
// object puts in the image. Compiled sizes count every runtime function of the files the model needs; the link
// keeps only those invoke() reaches, which is what flash holds. Only when the compiler is installed; otherwise
// the report says so.

export interface Sections {
  text: number;
  rodata: number;
  data: number;
  bss: number;
}

/** Section bytes over every firmware object (model + runtime), and the model's own object apart. */
export interface CodeSize extends Sections {
  model: Sections;
  /** .text of every function compiled, before the linker drops what invoke() never calls */
  compiledText: number;
  /** bytes of the model source's constant arrays that its object keeps (the compiler folds some of a layer's
   * specialised function into its code: a per-tensor multiplier, say) */
  modelArrays: number;
  /** whether the figures come from a --gc-sections link (Arm targets) or from the objects alone (host) */
  linked: boolean;
  compiler: string;
}

const KINDS = ['text', 'rodata', 'data', 'bss'] as const;
const none = (): Sections => ({ text: 0, rodata: 0, data: 0, bss: 0 });
const kindOf = (section: string) => KINDS.find((k) => section === `.${k}` || section.startsWith(`.${k}.`));

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** Per object file (base name), the bytes of the input sections a GNU ld map places in the image. */
export function mapContributions(map: string): Map<string, Sections> {
  const out = new Map<string, Sections>();
  let pending: string | undefined;
  // input sections: ' .name  0xaddr  0xsize  file', the name on a line of its own when it is long
  for (const line of map.slice(map.indexOf('Linker script and memory map')).split('\n')) {
    const alone = /^ (\.\S+)$/.exec(line);
    if (alone) {
      pending = alone[1];
      continue;
    }
    const m = /^ (\.\S+)?\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S+)$/.exec(line);
    const kind = m ? kindOf(m[1] ?? pending ?? '') : undefined;
    pending = undefined;
    if (!m || !kind) continue;
    const file = m[3]!.split('/').pop()!;
    const s = out.get(file) ?? none();
    s[kind] += parseInt(m[2]!, 16);
    out.set(file, s);
  }
  return out;
}

/** A main that runs the model once on static buffers and reads its hash (so the link keeps what firmware keeps). */
function linkMain(header: string, model: string): string {
  const NAME = model.toUpperCase();
  const count = (kind: string) => Number(new RegExp(`#define ${NAME}_${kind}_COUNT (\\d+)`).exec(header)?.[1] ?? 0);
  const ins = Array.from({ length: count('INPUT') }, (_, i) => `in${i}`);
  const outs = Array.from({ length: count('OUTPUT') }, (_, i) => `out${i}`);
  return [
    `#include "${model}.h"`,
    ...ins.map((v, i) => `static int8_t ${v}[${NAME}_INPUT${i}_SIZE];`),
    ...outs.map((v, i) => `static int8_t ${v}[${NAME}_OUTPUT${i}_SIZE];`),
    `int main(void) { ${model}_invoke(${[...ins, ...outs].join(', ')}); return out0[0] + ${model}_model_hash[0]; }`,
    '',
  ].join('\n');
}

/** The `static const T name[n] = {` arrays of a model source, as the emitter declares them. */
export const declaredArrays = (source: string): string[] => [...source.matchAll(/^static const (?:QT_ALIGN\(\d+\) )?\w+ (\w+)\[\d+\] = \{/gm)].map((m) => m[1]!);

/** Bytes of the source's declared arrays that the object keeps as read-only data (nm -S). */
function keptArrayBytes(source: string, object: string, nm: string): number {
  const sizes = new Map<string, number>();
  for (const line of execFileSync(nm, ['-S', object], { encoding: 'utf8' }).split('\n')) {
    const m = /^[0-9a-f]+ ([0-9a-f]+) [rR] (\S+)$/.exec(line.trim());
    if (m) sizes.set(m[2]!, parseInt(m[1]!, 16));
  }
  return declaredArrays(source).reduce((t, a) => t + (sizes.get(a) ?? 0), 0);
}

export function measureCode(files: Map<string, string>, target: Target, model: string): CodeSize | undefined {
  const sizeTool = target.cc === 'cc' ? 'size' : 'arm-none-eabi-size';
  if (!has(target.cc) || !has(sizeTool)) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'qtool-size-'));
  try {
    for (const [name, text] of files) writeFileSync(join(dir, name), text);
    const sources = [...files.keys()].filter((f) => f.endsWith('.c') && f !== 'host_main.c').sort();
    const flags = ['-std=c99', '-O2', '-ffunction-sections', '-fdata-sections', ...target.cpuFlags];
    execFileSync(target.cc, [...flags, '-c', ...sources], { cwd: dir, stdio: 'pipe' });
    const objects = sources.map((s) => s.replace(/\.c$/, '.o'));
    // compiled: section sizes per object (-A lists every section)
    const compiled = new Map<string, Sections>();
    for (const o of objects) {
      const s = none();
      for (const line of execFileSync(sizeTool, ['-A', join(dir, o)], { encoding: 'utf8' }).split('\n')) {
        const m = /^(\S+)\s+(\d+)\s+\d+/.exec(line);
        const kind = m ? kindOf(m[1]!) : undefined;
        if (kind) s[kind] += Number(m![2]);
      }
      compiled.set(o, s);
    }
    const compiledText = [...compiled.values()].reduce((t, s) => t + s.text, 0);
    const modelArrays = keptArrayBytes(files.get(`${model}.c`) ?? '', join(dir, `${model}.o`), target.cc === 'cc' ? 'nm' : 'arm-none-eabi-nm');
    let perObject = compiled;
    let linked = false;
    if (target.name !== 'host') {
      writeFileSync(join(dir, 'qt_size_main.c'), linkMain(files.get(`${model}.h`) ?? '', model));
      const link = spawnSync(target.cc, [...flags, '--specs=nosys.specs', '-Wl,--gc-sections', '-Wl,-Map=size.map', '-o', 'size.elf', 'qt_size_main.c', ...objects], { cwd: dir, encoding: 'utf8' });
      if (link.status === 0) {
        const map = mapContributions(readFileSync(join(dir, 'size.map'), 'utf8'));
        perObject = new Map(objects.map((o) => [o, map.get(o) ?? none()]));
        linked = true;
      }
    }
    const total = none();
    for (const s of perObject.values()) for (const k of KINDS) total[k] += s[k];
    return { ...total, model: perObject.get(`${model}.o`) ?? none(), compiledText, modelArrays, linked, compiler: `${target.cc} ${target.cpuFlags.join(' ')}`.trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
