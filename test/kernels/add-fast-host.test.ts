import { describe, expect, it } from 'vitest';
import { cName, emitModel, targets, type TargetName } from '@qtool/codegen';
import { compareHostWithSim, HostBuilder } from '../diff/c-build.js';
import { int8Inputs } from '../diff/random-models.js';
import { randomAddModel } from './add-models.js';

// The fast add / sub kernels (runtime/qt_elementwise_dsp.c for the Cortex-M4, qt_elementwise_mve.c for the
// Cortex-M55) on the host: random add / sub models with random integer parameters of both rounding contracts
// (add-models.ts) emitted for each target and built with the host cc, where the MVE file computes each vector
// instruction by a C twin, lane by lane. Every output byte must equal the integer simulator's, no tolerance.
// The real instructions: add-board.test.ts. QT_ADD_MODELS (default 300) sets how many models per target.

const MODELS = Number(process.env.QT_ADD_MODELS ?? 300);
const INPUTS = 3;

describe('fast add / sub (host twins) equal the integer simulator on random shapes and parameters', () => {
  for (const [t, fam] of [['cortex-m4', 'dsp'], ['cortex-m55', 'mve']] as [TargetName, string][])
    it(`${t}: ${MODELS} random add / sub models x ${INPUTS} inputs, both modes, 0 mismatches`, { timeout: 20 * 60_000 }, () => {
      const builder = new HostBuilder();
      const mismatches: string[] = [];
      let fast = 0;
      const modes = new Set<string>();
      for (let seed = 1; seed <= MODELS; seed++) {
        const m = randomAddModel(seed);
        const q = m.graph;
        const name = cName(`add${seed}`);
        const emitted = emitModel({ graph: q, name, target: targets[t], tool: 'qtool-test', sourceFile: `add${seed}`, sourceSha256: '0'.repeat(64), options: '{}' });
        const c = emitted.files.get(`${name}.c`)!;
        const n = (c.match(new RegExp(`qt_add_spec_${fam}\\(`, 'g')) ?? []).length;
        fast += n;
        if (n > 0) for (const md of m.description.split('; ')[1]!.split(', ')) modes.add(md);
        let exe: string;
        try {
          exe = builder.build(`a${seed}`, emitted.files, name);
        } catch (e) {
          mismatches.push(`${m.description}: C build failed: ${String((e as { stderr?: Buffer }).stderr ?? e).slice(0, 600)}`);
          continue;
        }
        const inputs = int8Inputs(q, seed * 7919, INPUTS);
        const r = compareHostWithSim(m.description, q, exe, inputs);
        mismatches.push(...r.mismatches);
      }
      console.log(`${t}: ${MODELS} random add / sub models, ${fast} layers on qt_add_spec_${fam}, ${mismatches.length} mismatches`);
      expect(fast).toBeGreaterThan(MODELS);
      expect(modes).toEqual(new Set(['qtool', 'tflite']));
      expect(mismatches).toEqual([]);
    });
});
