import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTensor, numel } from '@qtool/ir';
import { loadArtifact } from '@qtool/quantizer';
import { runInt } from '@qtool/sim';
import { loadPrepared } from '../../apps/qtool/src/model.js';
import { corpus, requireCorpus } from '../support/corpus.js';
import { buildArmObjects, compileQuietly, corpusCases, int8Samples, modeOf, optionsOf, STRICT, writeCalibration } from './corpus-cases.js';

// Every corpus model that imports, compiled as `qtool compile` does (the CLI's own compile function, in-process),
// then:
// - built for the host with the generated Makefile (`make -C dir`, whose host rule uses the strict flags),
// - built for Cortex-M4 with arm-none-eabi-gcc -std=c99 -Wall -Wextra -Werror -pedantic -O2 -c, every source
//   but host_main.c,
// - run on 20 int8 inputs (corpus samples, then seeded random) through host_main: every output byte equals the
//   integer simulator's on the artifact the compile wrote (qmodel.json), compared exactly.
// Prints one table: layers, arena peak vs the liveness lower bound and the naive one-buffer-per-tensor plan.
// Float models go through our quantizer; int8 models keep their parameters (--keep-quant, TFLite reference
// rounding, the default flavour).

const INPUTS = 20;
const MAX_GAP_PERCENT = 5;

interface Row {
  model: string;
  mode: string;
  layers: number;
  peak: number;
  lower: number;
  naive: number;
  matched: string;
}
const rows: Row[] = [];

const gap = (r: Row) => (r.lower === 0 ? 0 : ((r.peak - r.lower) / r.lower) * 100);

function printTable() {
  const head = ['model', 'mode', 'layers', 'arena peak', 'lower bound', 'naive', 'gap %', 'exact outputs'];
  const body = rows.map((r) => [r.model, r.mode, String(r.layers), String(r.peak), String(r.lower), String(r.naive), gap(r).toFixed(2), r.matched]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  console.log(['', 'generated C on the corpus models (arena bytes; gap = peak over lower bound)', line(head), ...body.map(line), ''].join('\n'));
}

const present = requireCorpus('codegen corpus models (host + Cortex-M4 builds, C == simulator)');

(present ? describe : describe.skip)('corpus models: compile, build for host and Cortex-M4, C equals the simulator', () => {
  afterAll(printTable);

  for (const c of corpusCases)
    it(`${c.label} (${modeOf(c)})`, { timeout: 10 * 60_000 }, async () => {
      const path = corpus(c.file);
      const dir = mkdtempSync(join(tmpdir(), 'qtool-corpus-'));
      const opts = optionsOf(c);
      if (c.mode === 'ours') {
        const input = loadPrepared(path).graph;
        Object.assign(opts, { calib: writeCalibration(c, dir, input.tensors.get(input.inputs[0]!)!.shape) });
      }
      const host = join(dir, 'host');
      const m4 = join(dir, 'm4');
      await compileQuietly(path, { ...opts, output: host, target: 'host' });
      await compileQuietly(path, { ...opts, output: m4, target: 'cortex-m4' });

      // host: the generated Makefile, whose host_main rule carries the strict flags
      const makefile = readFileSync(join(host, 'Makefile'), 'utf8');
      expect(makefile).toMatch(/^host_main: /m);
      expect(makefile).toContain(`\tcc ${STRICT.join(' ')} -o $@ host_main.c $(SRCS)`);
      execFileSync('make', ['-C', host], { stdio: 'pipe' });

      // Cortex-M4: every firmware source, strict
      buildArmObjects(m4);

      // the host binary against the simulator on the artifact compile wrote
      const g = loadArtifact(host).graph;
      const samples = int8Samples(c, g, INPUTS, 0x5eed);
      expect(samples).toHaveLength(INPUTS);
      const stdin = Buffer.concat(samples.flatMap((ins) => ins.map((x) => Buffer.from(x.buffer, x.byteOffset, x.byteLength))));
      const got = new Int8Array(execFileSync(join(host, 'host_main'), [], { input: stdin, maxBuffer: 1 << 28 }));
      const outSizes = g.outputs.map((o) => numel(g.tensors.get(o)!.shape));
      const perSample = outSizes.reduce((a, b) => a + b, 0);
      expect(got.length).toBe(perSample * INPUTS);
      let exact = 0;
      const mismatches: string[] = [];
      samples.forEach((ins, s) => {
        const feeds = new Map(g.inputs.map((name, k) => [name, makeTensor('int8', g.tensors.get(name)!.shape, ins[k]!)]));
        const sim = runInt(g, feeds);
        let off = s * perSample;
        g.outputs.forEach((o, k) => {
          const want = sim.get(o)!.data as Int8Array;
          const have = got.subarray(off, off + outSizes[k]!);
          const bad = want.findIndex((v, i) => v !== have[i]);
          if (bad >= 0) mismatches.push(`input ${s}, output '${o}' element ${bad}: C ${have[bad]} vs sim ${want[bad]}`);
          else exact++;
          off += outSizes[k]!;
        });
      });

      const report = JSON.parse(readFileSync(join(host, 'report.json'), 'utf8'));
      const row: Row = {
        model: c.label,
        mode: modeOf(c),
        layers: report.codegenLayers.length,
        peak: report.memory.arenaBytes,
        lower: report.memory.arenaLowerBound,
        naive: report.memory.arenaNaive,
        matched: `${exact}/${INPUTS * g.outputs.length}`,
      };
      rows.push(row);
      expect(mismatches).toEqual([]);
      expect(exact).toBe(INPUTS * g.outputs.length);
      // the plan may not beat the lower bound; the issue allows 5% above it (alignment to 16 bytes included)
      expect(row.peak).toBeGreaterThanOrEqual(row.lower);
      expect(row.naive).toBeGreaterThanOrEqual(row.peak);
      expect(gap(row)).toBeLessThanOrEqual(MAX_GAP_PERCENT);
    });
});
