import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cName, emitModel, targets } from '@qtool/codegen';
import { calibrate, quantizeGraph } from '@qtool/quantizer';
import { compareHostWithSim, HostBuilder } from '../diff/c-build.js';
import { floatSamples, int8Inputs, randomWinogradModel } from '../diff/random-models.js';
import { runOnBoard } from './board-run.js';

// Winograd F(2x2, 3x3) on the Cortex-M4 (qt_wino_spec_dsp, runtime/qt_mac_dsp_impl.h): random 3x3 stride-1 conv
// models (randomWinogradModel) emitted for cortex-m4, every output byte equal to the integer simulator's: with
// the host cc (the DSP instructions as portable C twins), and on the emulated mps2-an386 with the real ones.
// Each model must put at least one layer on the Winograd kernel (the emitter refuses the layers it cannot prove).

const HOST_MODELS = Number(process.env.QT_WINO_MODELS ?? 150);
const BOARD_MODELS = 8;
const INPUTS = 3;
const work = mkdtempSync(join(tmpdir(), 'qtool-wino-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function emitted(seed: number) {
  const m = randomWinogradModel(seed);
  const q = quantizeGraph(m.graph, calibrate(m.graph, floatSamples(m.graph, seed, 4)), m.options);
  const name = cName(`wino${seed}`);
  const e = emitModel({ graph: q, name, target: targets['cortex-m4'], tool: 'qtool-test', sourceFile: `wino${seed}`, sourceSha256: '0'.repeat(64), options: JSON.stringify(m.options) });
  const wino = (e.files.get(`${name}.c`)!.match(/qt_wino_spec_dsp\(/g) ?? []).length;
  return { m, q, name, files: e.files, wino };
}

describe('Winograd F(2x2, 3x3) conv equals the integer simulator', () => {
  it(`host twins: ${HOST_MODELS} random models x ${INPUTS} inputs, 0 mismatches`, { timeout: 20 * 60_000 }, () => {
    const builder = new HostBuilder();
    const mismatches: string[] = [];
    let layers = 0;
    let compared = 0;
    for (let seed = 1; seed <= HOST_MODELS; seed++) {
      const { m, q, name, files, wino } = emitted(seed);
      layers += wino;
      if (wino === 0) mismatches.push(`${m.description}: no layer on the Winograd kernel`);
      const exe = builder.build(`w${seed}`, files, name);
      const r = compareHostWithSim(m.description, q, exe, int8Inputs(q, seed * 7919, INPUTS));
      mismatches.push(...r.mismatches);
      compared += r.compared;
    }
    console.log(`cortex-m4 host: ${HOST_MODELS} random models, ${layers} Winograd layers, ${compared} outputs compared, ${mismatches.length} mismatches`);
    expect(mismatches).toEqual([]);
  });

  it(`mps2-an386: ${BOARD_MODELS} random models x ${INPUTS} inputs, 0 mismatches`, { timeout: 10 * 60_000 }, async () => {
    const mismatches: string[] = [];
    for (let seed = 1; seed <= BOARD_MODELS; seed++) {
      const { m, q, files, wino } = emitted(seed);
      expect(wino).toBeGreaterThan(0);
      const dir = join(work, `wino${seed}`);
      mkdirSync(dir, { recursive: true });
      for (const [f, text] of files) writeFileSync(join(dir, f), text);
      mismatches.push(...(await runOnBoard('mps2-an386', { label: m.description, dir, graph: q, inputs: int8Inputs(q, seed * 7919, INPUTS) })));
    }
    console.log(`mps2-an386: ${BOARD_MODELS} random Winograd models, ${mismatches.length} mismatches`);
    expect(mismatches).toEqual([]);
  });
});
