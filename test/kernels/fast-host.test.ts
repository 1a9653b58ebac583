import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTensor } from '@qtool/ir';
import { cName, emitModel, targets, type TargetName } from '@qtool/codegen';
import { calibrate, loadArtifact, quantizeGraph } from '@qtool/quantizer';
import { compileQuietly, corpusCases, int8Samples, optionsOf } from '../codegen/corpus-cases.js';
import { corpus, requireCorpus } from '../support/corpus.js';
import { compareHostWithSim, HostBuilder } from '../diff/c-build.js';
import { floatSamples, int8Inputs, randomModel } from '../diff/random-models.js';

// The fast kernels' layouts and algebra on the host: random models (test/diff/random-models.ts) emitted for the
// Cortex-M4 (DSP kernels) and the Cortex-M55 (Helium kernels), built with the host cc, where qt_mac_dsp.c and
// qt_mac_mve.c compute each DSP / MVE instruction by a portable C twin. Every output byte must equal the integer
// simulator's, no tolerance. The same kernels on the emulated boards, with the real instructions:
// board.test.ts. QT_FAST_MODELS (default 200) sets how many models per target.

const MODELS = Number(process.env.QT_FAST_MODELS ?? 200);
const INPUTS = 3;

describe('fast kernels (host twins of the instructions) equal the integer simulator on random models', () => {
  for (const t of ['cortex-m4', 'cortex-m55'] as TargetName[])
    it(`${t}: ${MODELS} random models x ${INPUTS} inputs, 0 mismatches`, { timeout: 20 * 60_000 }, () => {
      const builder = new HostBuilder();
      const mismatches: string[] = [];
      let compared = 0;
      let fastLayers = 0;
      for (let seed = 1; seed <= MODELS; seed++) {
        const m = randomModel(seed);
        const q = quantizeGraph(m.graph, calibrate(m.graph, floatSamples(m.graph, seed, 4)), m.options);
        const name = cName(`rand${seed}`);
        const emitted = emitModel({ graph: q, name, target: targets[t], tool: 'qtool-test', sourceFile: `rand${seed}`, sourceSha256: '0'.repeat(64), options: JSON.stringify(m.options) });
        fastLayers += (emitted.files.get(`${name}.c`)!.match(/qt_(conv|fc|dwconv|wino)_spec_(dsp|mve)\(/g) ?? []).length;
        let exe: string;
        try {
          exe = builder.build(`m${seed}`, emitted.files, name);
        } catch (e) {
          mismatches.push(`${m.description}: C build failed: ${String((e as { stderr?: Buffer }).stderr ?? e).slice(0, 600)}`);
          continue;
        }
        const inputs = int8Inputs(q, seed * 7919, INPUTS);
        const r = compareHostWithSim(m.description, q, exe, inputs);
        mismatches.push(...r.mismatches);
        compared += r.compared;
      }
      console.log(`${t}: ${MODELS} random models, ${fastLayers} layers on the fast kernels, ${compared} outputs compared, ${mismatches.length} mismatches`);
      expect(fastLayers).toBeGreaterThan(MODELS / 2);
      expect(mismatches).toEqual([]);
    });
});

// TFLite's rounding through the DSP and Helium kernels on the host (random models use qtool's): the corpus int8
// models kept with --keep-quant, compiled for each fast target, host twins against the simulator.
describe('fast kernels (host twins) on the corpus int8 models, TFLite rounding', () => {
  const present = requireCorpus('fast kernels host twins: corpus int8 models');
  for (const t of ['cortex-m4', 'cortex-m55'] as TargetName[])
    for (const label of ['micro_speech', 'person_detect', 'MLPerf IC', 'MLPerf VWW'])
      (present ? it : it.skip)(`${t}: ${label} (keep-quant) x ${INPUTS} inputs, 0 mismatches`, { timeout: 10 * 60_000 }, async () => {
        const c = corpusCases.find((x) => x.label === label && x.mode !== 'ours' && !x.options?.keepQuant)!;
        const dir = mkdtempSync(join(tmpdir(), 'qtool-fast-corpus-'));
        try {
          await compileQuietly(corpus(c.file), { ...optionsOf(c), output: dir, target: t });
          const g = loadArtifact(dir).graph;
          const name = cName(`corpus_${label}`);
          const emitted = emitModel({ graph: g, name, target: targets[t], tool: 'qtool-test', sourceFile: c.file, sourceSha256: '0'.repeat(64), options: '--keep-quant' });
          expect((emitted.files.get(`${name}.c`)!.match(/qt_(conv|fc|dwconv|wino)_spec_(dsp|mve)\(/g) ?? []).length).toBeGreaterThan(0);
          const exe = new HostBuilder().build(name, emitted.files, name);
          const inputs = int8Samples(c, g, INPUTS, 0xfa57).map((ins) => ins.map((x, k) => makeTensor('int8', g.tensors.get(g.inputs[k]!)!.shape, x)));
          const r = compareHostWithSim(label, g, exe, inputs);
          expect(r.mismatches).toEqual([]);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
});
