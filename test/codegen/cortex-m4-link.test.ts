import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { targets } from '@qtool/codegen';
import { loadPrepared } from '../../apps/qtool/src/model.js';
import { corpus, requireCorpus } from '../support/corpus.js';
import { compileQuietly, corpusCases, firmwareSources, modeOf, optionsOf, STRICT, writeCalibration } from './corpus-cases.js';

// report.json's memory figures against a real Cortex-M4 link. Each corpus model is compiled for cortex-m4 by the
// CLI's compile, its firmware sources are built with arm-none-eabi-gcc (the flags compile measures with:
// -O2 -ffunction-sections -fdata-sections, plus the strict warnings) and linked with a tiny main through newlib's
// nosys.specs; then, from the link map (what each object contributes to the image) and arm-none-eabi-nm -S:
// - weightBytes       = sizes of the constant arrays (`static const T name[N]`) the model object keeps; an array the
//   compiler folded into a layer's specialised code (a per-tensor multiplier) is in neither
// - modelConstBytes   = all the .rodata the model object contributes (weights + parameter structs + hash)
// - code.text/rodata/data/bss = what the model and runtime objects contribute to the image linked with
//   --gc-sections (as firmware links: runtime functions invoke() never calls are dropped); code.compiledText =
//   their .text linked without it (every function compiled; their data at least the figures)
// - flashBytes        = text + rodata + data of those objects
// - arenaBytes, scratchBytes = the sizes of qt_arena and qt_scratch in the ELF; ramBytes = the objects' .bss
//   (the runtime has no .bss or .data of its own)

const M4 = targets['cortex-m4'];

interface Contribution {
  text: number;
  rodata: number;
  data: number;
  bss: number;
}

/** Per object file, the bytes of the input sections the link map places in the image, by section kind. */
function mapContributions(map: string): Map<string, Contribution> {
  const out = new Map<string, Contribution>();
  const body = map.slice(map.indexOf('Linker script and memory map'));
  let pending: string | undefined;
  for (const line of body.split('\n')) {
    const alone = /^ (\.\S+)$/.exec(line);
    if (alone) {
      pending = alone[1];
      continue;
    }
    const m = /^ (\.\S+)?\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S+)$/.exec(line);
    const name = m?.[1] ?? (m ? pending : undefined);
    pending = undefined;
    if (!m || !name) continue;
    const kind = (['text', 'rodata', 'data', 'bss'] as const).find((k) => name === `.${k}` || name.startsWith(`.${k}.`));
    if (!kind) continue;
    const file = m[3]!.split('/').pop()!;
    const c = out.get(file) ?? { text: 0, rodata: 0, data: 0, bss: 0 };
    c[kind] += parseInt(m[2]!, 16);
    out.set(file, c);
  }
  return out;
}

/** Symbol sizes from arm-none-eabi-nm -S: name -> { type letter, size }. */
function symbols(file: string): Map<string, { type: string; size: number }> {
  const out = new Map<string, { type: string; size: number }>();
  for (const line of execFileSync('arm-none-eabi-nm', ['-S', file], { encoding: 'utf8' }).split('\n')) {
    const m = /^[0-9a-f]+ ([0-9a-f]+) (\w) (\S+)$/.exec(line);
    if (m) out.set(m[3]!, { type: m[2]!, size: parseInt(m[1]!, 16) });
  }
  return out;
}

const sum = (cs: Contribution[], k: keyof Contribution) => cs.reduce((s, c) => s + c[k], 0);

const rows: string[][] = [];
const present = requireCorpus('Cortex-M4 link: report.json memory figures against the linked image');

(present ? describe : describe.skip)('report.json memory figures equal a real Cortex-M4 link', () => {
  afterAll(() => {
    const head = ['model', 'mode', 'arrays kept', 'weights', 'model .rodata', '.text compiled', '.text linked', 'flash', 'arena+scratch', 'linked .bss'];
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
    console.log(['', 'Cortex-M4 link: report.json figures, each equal to the link map\'s (bytes)', line(head), ...rows.map(line), ''].join('\n'));
  });

  for (const c of corpusCases)
    it(`${c.label} (${modeOf(c)})`, { timeout: 10 * 60_000 }, async () => {
      const path = corpus(c.file);
      const dir = mkdtempSync(join(tmpdir(), 'qtool-m4link-'));
      const opts = optionsOf(c);
      if (c.mode === 'ours') {
        const g = loadPrepared(path).graph;
        Object.assign(opts, { calib: writeCalibration(c, dir, g.tensors.get(g.inputs[0]!)!.shape) });
      }
      const out = join(dir, 'm4');
      await compileQuietly(path, { ...opts, output: out, target: 'cortex-m4' });
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
      const mem = report.memory;
      expect(mem.code, 'arm-none-eabi-gcc is installed: compile must have measured the code').not.toBeNull();

      // the firmware objects, built as compile measures them, and a main that runs the model once
      const sources = firmwareSources(out);
      const name = sources.find((s) => readFileSync(join(out, s), 'utf8').includes('_invoke('))!.replace(/\.c$/, '');
      const cc = (args: string[]) => execFileSync('arm-none-eabi-gcc', [...M4.cpuFlags, ...args], { cwd: out, stdio: 'pipe' });
      cc([...STRICT, '-ffunction-sections', '-fdata-sections', '-c', ...sources]);
      const header = readFileSync(join(out, `${name}.h`), 'utf8');
      const NAME = name.toUpperCase();
      const count = (kind: string) => Number(new RegExp(`#define ${NAME}_${kind}_COUNT (\\d+)`).exec(header)![1]);
      const ins = Array.from({ length: count('INPUT') }, (_, i) => `in${i}`);
      const outs = Array.from({ length: count('OUTPUT') }, (_, i) => `out${i}`);
      writeFileSync(
        join(out, 'link_main.c'),
        [
          `#include "${name}.h"`,
          ...ins.map((v, i) => `static int8_t ${v}[${NAME}_INPUT${i}_SIZE];`),
          ...outs.map((v, i) => `static int8_t ${v}[${NAME}_OUTPUT${i}_SIZE];`),
          // firmware reads the model hash (the flasher checks it): keep it in the image
          `int main(void) { ${name}_invoke(${[...ins, ...outs].join(', ')}); return out0[0] + ${name}_model_hash[0]; }`,
          '',
        ].join('\n'),
      );
      cc([...STRICT, '-c', 'link_main.c']);
      const objects = sources.map((s) => s.replace(/\.c$/, '.o'));
      const link = (extra: string[], map: string) => {
        cc(['--specs=nosys.specs', `-Wl,-Map=${map}`, ...extra, '-o', map.replace(/\.map$/, '.elf'), 'link_main.o', ...objects]);
        return mapContributions(readFileSync(join(out, map), 'utf8'));
      };
      const full = link([], 'full.map');
      const gc = link(['-Wl,--gc-sections'], 'gc.map');
      const ours = objects.map((o) => full.get(o) ?? { text: 0, rodata: 0, data: 0, bss: 0 });
      const model = full.get(`${name}.o`)!;
      expect(model, `${name}.o is in the link map`).toBeDefined();

      // constant data: the model's arrays (nm -S sizes) and everything its object puts in .rodata
      const src = readFileSync(join(out, `${name}.c`), 'utf8');
      const arrays = [...src.matchAll(/^static const (?:QT_ALIGN\(\d+\) )?\w+ (\w+)\[\d+\] = \{/gm)].map((m) => m[1]!);
      // (a model with no constants, simple_add, has none: weightBytes must then be 0)
      const objSyms = symbols(join(out, `${name}.o`));
      const rodataSyms = [...objSyms.entries()].filter(([, s]) => s.type === 'r' || s.type === 'R');
      // an array the compiler folded into a layer's specialised code (a per-tensor multiplier) is not in the object;
      // every one it keeps is read-only data, and weightBytes is their sum
      const kept = arrays.filter((a) => objSyms.has(a));
      for (const a of kept) expect(objSyms.get(a)?.type, `array ${a} is read-only data`).toMatch(/^[rR]$/);
      expect(kept.length, 'most arrays are kept (weights, biases, per-channel multipliers)').toBeGreaterThanOrEqual(arrays.length / 2);
      const arraysKept = `${kept.length}/${arrays.length}`;
      expect(kept.reduce((s, a) => s + objSyms.get(a)!.size, 0)).toBe(mem.weightBytes);
      expect(rodataSyms.reduce((s, [, x]) => s + x.size, 0)).toBe(mem.modelConstBytes);
      expect(model.rodata).toBe(mem.modelConstBytes);

      // code and the flash total: what the model and runtime objects contribute to the image linked with
      // --gc-sections; without it, every compiled function stays (compiledText) and the data is the same
      expect(mem.code.linked).toBe(true);
      const gcOurs = objects.map((o) => gc.get(o) ?? { text: 0, rodata: 0, data: 0, bss: 0 });
      expect(sum(gcOurs, 'text')).toBe(mem.code.text);
      expect(sum(ours, 'text')).toBe(mem.code.compiledText);
      for (const k of ['rodata', 'data', 'bss'] as const) {
        expect(sum(gcOurs, k), k).toBe(mem.code[k]);
        // without --gc-sections the runtime's entry points that no specialised layer calls keep their few bytes of
        // tables (a switch's jump table): at least the figure, never less
        expect(sum(ours, k), k).toBeGreaterThanOrEqual(mem.code[k]);
      }
      expect(mem.flashBytes).toBe(sum(gcOurs, 'text') + sum(gcOurs, 'rodata') + sum(gcOurs, 'data'));

      // RAM: the arena and scratch are the only .bss, exactly their reported sizes
      const elf = symbols(join(out, 'full.elf'));
      if (mem.arenaBytes) expect(elf.get('qt_arena')?.size).toBe(mem.arenaBytes);
      else expect(elf.has('qt_arena')).toBe(false);
      if (mem.scratchBytes) expect(elf.get('qt_scratch')?.size).toBe(mem.scratchBytes);
      else expect(elf.has('qt_scratch')).toBe(false);
      expect(model.bss).toBe(mem.arenaBytes + mem.scratchBytes);
      expect(sum(ours, 'bss')).toBe(mem.ramBytes);
      // the image's own sections hold them (arm-none-eabi-size -A on the ELF)
      const size = execFileSync('arm-none-eabi-size', ['-A', join(out, 'full.elf')], { encoding: 'utf8' });
      const section = (s: string) => Number(new RegExp(`^\\${s}\\s+(\\d+)`, 'm').exec(size)?.[1] ?? 0);
      expect(section('.bss')).toBeGreaterThanOrEqual(mem.ramBytes);
      expect(section('.rodata')).toBeGreaterThanOrEqual(mem.code.rodata);
      expect(section('.text')).toBeGreaterThanOrEqual(mem.code.text);

      rows.push([c.label, modeOf(c), arraysKept, mem.weightBytes, mem.modelConstBytes, mem.code.compiledText, mem.code.text, mem.flashBytes, mem.arenaBytes + mem.scratchBytes, model.bss].map(String));
    });
});
