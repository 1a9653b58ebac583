import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOB_KERNELS, cName, emitModelImage, targets, type ModelImageBody } from '@qtool/codegen';
import { loadArtifact } from '@qtool/quantizer';
import { corpus, requireCorpus } from '../support/corpus.js';
import { qtool, removeTemps, requireTools, tempDir } from './support.js';

// The model image body (format 2) holds what the C holds: every record and array of the data area is compared
// with the object file arm-none-eabi-gcc makes of the generated C (same section bytes; each pointer word a
// relocation to the same symbol), and the body is the same for every board (portable kernels only, also where
// the board's C uses the fast DSP/MVE kernels), deterministic, and hashed as the portable C is.

requireTools('arm-none-eabi-gcc', 'arm-none-eabi-objcopy', 'arm-none-eabi-readelf');
const withCorpus = requireCorpus('model image vs the C of MNIST-8 and MLPerf IC');
const MODELS: [string, string[]][] = [
  ['example (digits)', []],
  ...(withCorpus
    ? ([
        ['MNIST-8', [corpus('onnx-mnist8/model.onnx')]],
        ['MLPerf IC int8', [corpus('mlperf-tiny/ic/pretrainedResnet_quant.tflite'), '--keep-quant']],
      ] as [string, string[]][])
    : []),
];

const dirs = new Map<string, string>();
beforeAll(async () => {
  for (const [label, args] of MODELS) {
    const dir = join(tempDir('image'), 'model');
    const r = await qtool('compile', ...args, '-o', dir);
    if (r.code !== 0) throw new Error(`${label}: ${r.err}`);
    dirs.set(label, dir);
  }
}, 180_000);
afterAll(() => removeTemps());

function image(dir: string, target: keyof typeof targets): ModelImageBody {
  const a = loadArtifact(dir);
  const m = a.meta;
  return emitModelImage({ graph: a.graph, name: cName(m.source.file), target: targets[target], tool: m.tool, sourceFile: m.source.file, sourceSha256: m.source.sha256, options: 'test' });
}

describe.each(MODELS.map(([l]) => l))('model image of %s', (label) => {
  it('is the same bytes for every board and run, and its hash is the portable C model hash', () => {
    const dir = dirs.get(label)!;
    const host = image(dir, 'host');
    for (const t of ['cortex-m3', 'cortex-m4', 'cortex-m55'] as const) expect(Buffer.from(image(dir, t).body).equals(Buffer.from(host.body)), t).toBe(true);
    expect(host.modelHash).toBe((JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { modelHash: string }).modelHash);
    // every call is one of the portable kernels
    const body = new DataView(host.body.buffer);
    const ids = new Set(BLOB_KERNELS.map((k) => k.id));
    for (let i = 0, at = body.getUint32(44, true); i < host.calls; i++, at += 52) expect(ids.has(body.getUint8(at))).toBe(true);
  });

  it('holds every record and array exactly as arm-none-eabi-gcc compiles the generated C', () => {
    const dir = join(tempDir('image-obj'), 'c');
    const img = image(dirs.get(label)!, 'cortex-m3');
    execFileSync('mkdir', ['-p', dir]);
    for (const [f, text] of img.emitted.files) writeFileSync(join(dir, f), text);
    const name = [...img.emitted.files.keys()].find((f) => f.endsWith('.c') && f !== 'host_main.c' && !f.startsWith('qt_'))!;
    const obj = join(dir, 'model.o');
    execFileSync('arm-none-eabi-gcc', ['-mcpu=cortex-m3', '-mthumb', '-std=c99', '-O0', '-fdata-sections', '-c', join(dir, name), `-I${dir}`, '-o', obj]);
    const relocs = execFileSync('arm-none-eabi-readelf', ['-r', '-W', obj], { encoding: 'utf8' });
    const body = img.body;
    const dv = new DataView(body.buffer);
    let pointers = 0;
    for (const s of img.symbols) {
      const bin = join(dir, `${s.name}.bin`);
      execFileSync('arm-none-eabi-objcopy', ['-O', 'binary', `--only-section=.rodata.${s.name}`, obj, bin]);
      const c = readFileSync(bin);
      expect(c.length, s.name).toBe(Math.max(s.bytes, 1)); // an empty array is declared with one element
      // the section's relocations: offset -> symbol (gas names a static symbol by its section)
      const section = new RegExp(`Relocation section '\\.rel\\.rodata\\.${s.name}'[^\\n]*\\n[^\\n]*\\n((?:[0-9a-f]{8}\\s[^\\n]*\\n?)*)`).exec(relocs)?.[1] ?? '';
      const cRelocs = new Map(
        section
          .split('\n')
          .filter(Boolean)
          .map((l) => {
            const f = l.trim().split(/\s+/);
            return [parseInt(f[0]!, 16), f[f.length - 1]!.replace(/^\.rodata\./, '')] as const;
          }),
      );
      expect([...cRelocs.keys()].sort((a, b) => a - b), s.name).toEqual(s.pointers.map((p) => p.at).sort((a, b) => a - b));
      for (const p of s.pointers) {
        expect(cRelocs.get(p.at), `${s.name}+${p.at}`).toBe(p.target);
        expect(c.readUInt32LE(p.at), 'REL addend').toBe(0);
        expect(dv.getUint32(s.offset + p.at, true)).toBe(img.symbols.find((t) => t.name === p.target)!.offset);
        pointers++;
      }
      const isPointer = new Set(s.pointers.map((p) => p.at));
      for (let i = 0; i < s.bytes; i++) if (!isPointer.has(i & ~3)) expect(body[s.offset + i], `${s.name} byte ${i}`).toBe(c[i]);
    }
    expect(pointers).toBeGreaterThan(0);
    // and the relocation table lists exactly those words
    const table = Array.from({ length: dv.getUint32(32, true) }, (_, i) => dv.getUint32(dv.getUint32(48, true) + 4 * i, true));
    expect(table.sort((a, b) => a - b)).toEqual(img.symbols.flatMap((s) => s.pointers.map((p) => s.offset + p.at)).sort((a, b) => a - b));
  }, 120_000);
});

describe('model image of a model compiled with --chain auto', () => {
  it('is refused with QT500 naming the chained layers (the resident runtime has the portable kernels only)', async () => {
    if (!withCorpus) throw new Error('MNIST-8 missing from the corpus');
    const dir = join(tempDir('image-chain'), 'm');
    const r = await qtool('compile', corpus('onnx-mnist8/model.onnx'), '--chain', 'auto', '-o', dir);
    expect(r.code, r.err).toBe(0);
    expect(loadArtifact(dir).graph.nodes.some((n) => n.op === 'mac_chain')).toBe(true);
    expect(() => image(dir, 'cortex-m4')).toThrow(/QT500 model image: layer \d+ '[^']+' is a mac_chain.*portable kernels only/);
  }, 120_000);
});
