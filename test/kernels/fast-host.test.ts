import { describe, expect, it } from 'vitest';
import { cName, emitModel, targets, type TargetName } from '@qtool/codegen';
import { calibrate, quantizeGraph } from '@qtool/quantizer';
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
