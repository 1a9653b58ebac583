import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { boards, RAM_RESERVE } from '@qtool/codegen';
import { makeTensor, numel } from '@qtool/ir';
import { loadArtifact } from '@qtool/quantizer';
import { runInt } from '@qtool/sim';
import { corpus, repoRoot, requireCorpus } from '../support/corpus.js';
import { rng } from '../tflite/helpers.js';

// `qtool compile` as a user runs it, through the real bin in child processes: the README's first command,
// deterministic output (byte-identical folders from two runs), and refusal of a model that does not fit, with
// the numbers and without leaving an output folder behind.

const bin = join(repoRoot, 'apps/qtool/bin/qtool.mjs');
const qtool = (cwd: string, ...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const tmp = () => mkdtempSync(join(tmpdir(), 'qtool-cli-compile-'));
const fmt = (n: number) => n.toLocaleString('en-US');

/** Every file of a folder, name -> bytes. */
const filesOf = (dir: string) => new Map(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f))]));

/** Builds the folder's host runner and checks it against the simulator on the artifact, on n seeded inputs. */
function hostEqualsSim(dir: string, n: number): void {
  execFileSync('make', ['-C', dir], { stdio: 'pipe' });
  const g = loadArtifact(dir).graph;
  const r = rng(7);
  const xs = Array.from({ length: n }, () => g.inputs.map((i) => Int8Array.from({ length: numel(g.tensors.get(i)!.shape) }, () => Math.floor(r() * 256) - 128)));
  const got = new Int8Array(execFileSync(join(dir, 'host_main'), [], { input: Buffer.concat(xs.flat().map((x) => Buffer.from(x.buffer))) }));
  const want = xs.flatMap((ins) => {
    const out = runInt(g, new Map(g.inputs.map((name, k) => [name, makeTensor('int8', g.tensors.get(name)!.shape, ins[k]!)])));
    return g.outputs.flatMap((o) => Array.from(out.get(o)!.data as Int8Array));
  });
  expect(Array.from(got)).toEqual(want);
}

describe('qtool compile through the CLI', () => {
  it('`npx qtool compile` with no model compiles the bundled example into out/digits_cnn, which builds and runs', { timeout: 10 * 60_000 }, () => {
    // a scratch folder inside the checkout (.tmp/ is ignored): npx finds the workspace's qtool bin from there,
    // and the default output folder lands in it
    const root = join(repoRoot, '.tmp');
    mkdirSync(root, { recursive: true });
    const cwd = mkdtempSync(join(root, 'npx-compile-'));
    try {
      const r = spawnSync('npx', ['qtool', 'compile'], { cwd, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain('no model given: compiling the bundled example');
      const out = join(cwd, 'out/digits_cnn');
      expect(r.stdout).toContain(`into ${out}`);
      for (const f of ['digits_cnn.c', 'digits_cnn.h', 'host_main.c', 'Makefile', 'qtool.cmake', 'qmodel.json', 'report.json']) expect(existsSync(join(out, f)), f).toBe(true);
      hostEqualsSim(out, 5);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('compiling twice gives byte-identical folders (bundled example for Cortex-M4, a corpus int8 model for the host)', { timeout: 10 * 60_000 }, () => {
    const runs: [string, string[]][] = [[tmp(), ['--target', 'cortex-m4']], [tmp(), ['--target', 'cortex-m4']]];
    for (const [d, args] of runs) expect(qtool(repoRoot, 'compile', '-o', join(d, 'm'), ...args).code).toBe(0);
    const a = filesOf(join(runs[0]![0], 'm'));
    const b = filesOf(join(runs[1]![0], 'm'));
    expect([...a.keys()]).toEqual([...b.keys()]);
    expect(a.size).toBeGreaterThan(10);
    for (const [f, bytes] of a) expect(bytes.equals(b.get(f)!), `${f} differs between two compiles`).toBe(true);

    if (!requireCorpus('compile twice, corpus model')) return;
    const model = corpus('tflite-micro/examples/micro_speech/models/micro_speech_quantized.tflite');
    const [x, y] = [tmp(), tmp()];
    for (const d of [x, y]) expect(qtool(repoRoot, 'compile', model, '--keep-quant', '-o', join(d, 'm')).code).toBe(0);
    const p = filesOf(join(x, 'm'));
    const q = filesOf(join(y, 'm'));
    expect([...p.keys()]).toEqual([...q.keys()]);
    for (const [f, bytes] of p) expect(bytes.equals(q.get(f)!), `${f} differs between two compiles`).toBe(true);
  });

  it('--ram 1K refuses with QT501, prints the numbers, writes nothing', { timeout: 10 * 60_000 }, () => {
    // the same compile without a limit gives the numbers the refusal must print
    const ok = tmp();
    expect(qtool(repoRoot, 'compile', '-o', join(ok, 'm'), '--target', 'cortex-m3').code).toBe(0);
    const mem = JSON.parse(readFileSync(join(ok, 'm/report.json'), 'utf8')).memory;
    const d = tmp();
    const out = join(d, 'refused/m');
    const r = qtool(repoRoot, 'compile', '-o', out, '--target', 'cortex-m3', '--ram', '1K');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error QT501 model does not fit the given limits: RAM: /m);
    expect(r.err).toContain(`arena ${fmt(mem.arenaBytes)} + scratch ${fmt(mem.scratchBytes)} + runtime reserve `);
    expect(r.err).toMatch(new RegExp(`= ([\\d,]+) bytes > ${fmt(1024)} available`));
    const total = Number(/= ([\d,]+) bytes > 1,024 available/.exec(r.err)![1]!.replace(/,/g, ''));
    expect(total).toBe(mem.ramBytes + RAM_RESERVE);
    expect(r.err).not.toContain('    at ');
    expect(existsSync(join(d, 'refused')), 'no output folder after a refusal').toBe(false);
    expect(readdirSync(d)).toEqual([]);
  });

  it('--board lm3s6965evb decides from the measured figures: VWW and person_detect fit (printed), --ram 16K refuses', { timeout: 10 * 60_000 }, () => {
    if (!requireCorpus('board limits on corpus models')) return;
    const board = boards.lm3s6965evb!;
    for (const file of ['mlperf-tiny/vww/vww_96_int8.tflite', 'tflite-micro/models/person_detect.tflite']) {
      // the unlimited compile for the board's CPU gives the figures the board check must use
      const ok = tmp();
      expect(qtool(repoRoot, 'compile', corpus(file), '--keep-quant', '-o', join(ok, 'm'), '--target', board.target).code).toBe(0);
      const mem = JSON.parse(readFileSync(join(ok, 'm/report.json'), 'utf8')).memory;
      const fits = mem.flashBytes <= board.flash && mem.ramBytes + RAM_RESERVE <= board.ram;
      console.log(`${file} on ${board.name}: flash ${fmt(mem.flashBytes)} of ${fmt(board.flash)}, RAM ${fmt(mem.ramBytes + RAM_RESERVE)} of ${fmt(board.ram)}: ${fits ? 'fits' : 'refused'}`);
      const d = tmp();
      const r = qtool(repoRoot, 'compile', corpus(file), '--keep-quant', '-o', join(d, 'm'), '--board', board.name);
      expect(r.code, r.err).toBe(fits ? 0 : 1);
      if (!fits) expect(readdirSync(d)).toEqual([]);
      // with the board's RAM cut to 16K the same model is refused, with the RAM numbers, and nothing is written
      const e = tmp();
      const s = qtool(repoRoot, 'compile', corpus(file), '--keep-quant', '-o', join(e, 'm'), '--board', board.name, '--ram', '16K');
      expect(s.code).toBe(1);
      expect(s.err).toMatch(new RegExp(`^error QT501 model does not fit board ${board.name}: RAM: arena ${fmt(mem.arenaBytes)} \\+ scratch ${fmt(mem.scratchBytes)} \\+ runtime reserve ${fmt(RAM_RESERVE)} = ${fmt(mem.ramBytes + RAM_RESERVE)} bytes > ${fmt(16 * 1024)} available`, 'm'));
      expect(readdirSync(e)).toEqual([]);
    }
  });

  it('cortex-m4 under a --flash the fast kernels exceed: the portable kernels where they fit, else QT501 with both figures', { timeout: 10 * 60_000 }, () => {
    if (!requireCorpus('fast-kernel flash fallback on a corpus model')) return;
    const model = corpus('mlperf-tiny/ic/pretrainedResnet_quant.tflite');
    const fast = tmp();
    expect(qtool(repoRoot, 'compile', model, '--keep-quant', '-o', join(fast, 'm'), '--target', 'cortex-m4').code).toBe(0);
    const full = JSON.parse(readFileSync(join(fast, 'm/report.json'), 'utf8'));
    expect(full.kernels).toBe('dsp');
    const limit = full.memory.flashBytes - 1;
    const ok = tmp();
    const s = qtool(repoRoot, 'compile', model, '--keep-quant', '-o', join(ok, 'm'), '--target', 'cortex-m4', '--flash', String(limit));
    expect(s.code).toBe(0);
    expect(s.err).toContain(`the dsp kernels need flash ${fmt(full.memory.flashBytes)}`);
    const small = JSON.parse(readFileSync(join(ok, 'm/report.json'), 'utf8'));
    expect(small.kernels).toBe('portable');
    expect(small.memory.flashBytes).toBeLessThanOrEqual(limit);
    expect(readFileSync(join(ok, 'm', 'pretrainedresnet_quant.c'), 'utf8')).not.toContain('_spec_dsp(');
    const e = tmp();
    const r = qtool(repoRoot, 'compile', model, '--keep-quant', '-o', join(e, 'm'), '--target', 'cortex-m4', '--flash', String(small.memory.flashBytes - 1));
    expect(r.code).toBe(1);
    expect(r.err).toContain(`= ${fmt(full.memory.flashBytes)} bytes > ${fmt(small.memory.flashBytes - 1)} available (with the portable kernels instead of the dsp ones: flash ${fmt(small.memory.flashBytes)}`);
    expect(readdirSync(e)).toEqual([]);
  });

  it('--flash one byte below the measured figure refuses with the numbers; exactly the figure compiles', { timeout: 10 * 60_000 }, () => {
    if (!requireCorpus('flash limit on a corpus model')) return;
    const model = corpus('mlperf-tiny/vww/vww_96_int8.tflite');
    const ok = tmp();
    expect(qtool(repoRoot, 'compile', model, '--keep-quant', '-o', join(ok, 'm'), '--target', 'cortex-m3').code).toBe(0);
    const mem = JSON.parse(readFileSync(join(ok, 'm/report.json'), 'utf8')).memory;
    const e = tmp();
    const s = qtool(repoRoot, 'compile', model, '--keep-quant', '-o', join(e, 'm'), '--target', 'cortex-m3', '--flash', String(mem.flashBytes - 1));
    expect(s.code).toBe(1);
    expect(s.err).toContain(`flash: code ${fmt(mem.code.text)} (linked; ${fmt(mem.code.compiledText)} compiled) + constant data ${fmt(mem.code.rodata + mem.code.data)} (weights and tables ${fmt(mem.weightBytes)}`);
    expect(s.err).toContain(`= ${fmt(mem.flashBytes)} bytes > ${fmt(mem.flashBytes - 1)} available`);
    expect(readdirSync(e)).toEqual([]);
    expect(qtool(repoRoot, 'compile', model, '--keep-quant', '-o', join(e, 'm'), '--target', 'cortex-m3', '--flash', String(mem.flashBytes)).code).toBe(0);
  });
});
