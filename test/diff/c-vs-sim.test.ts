import { describe, expect, it } from 'vitest';
import { cName, emitModel, targets } from '@qtool/codegen';
import { calibrate, quantizeGraph } from '@qtool/quantizer';
import { compareHostWithSim, HostBuilder } from './c-build.js';
import { floatSamples, int8Inputs, randomModel } from './random-models.js';

// Differential testing, no tolerance: random models (op sequences, shapes, strides, padding, 2-8 bit weights,
// both anchors, per-tensor/per-channel, both rounding variants) are quantized, emitted as C, built for the host
// and run; every output byte must equal the integer simulator's. MODELS (default 520) sets how many.

const MODELS = Number(process.env.QT_DIFF_MODELS ?? 520);
const INPUTS = 3;

describe('generated C equals the integer simulator on random models', () => {
  it(`${MODELS} random models x ${INPUTS} inputs, 0 mismatches`, { timeout: 30 * 60_000 }, () => {
    const builder = new HostBuilder();
    const mismatches: string[] = [];
    let compared = 0;
    for (let seed = 1; seed <= MODELS; seed++) {
      const m = randomModel(seed);
      const q = quantizeGraph(m.graph, calibrate(m.graph, floatSamples(m.graph, seed, 4)), m.options);
      const name = cName(`rand${seed}`);
      const emitted = emitModel({ graph: q, name, target: targets.host, tool: 'qtool-test', sourceFile: `rand${seed}`, sourceSha256: '0'.repeat(64), options: JSON.stringify(m.options) });
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
    console.log(`differential: ${MODELS} random models, ${compared} outputs compared, ${mismatches.length} mismatches`);
    expect(mismatches).toEqual([]);
  });
});
