import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTensor } from '@qtool/ir';
import { boards, cName, emitModel, targets } from '@qtool/codegen';
import { calibrate, loadArtifact, quantizeGraph } from '@qtool/quantizer';
import { loadPrepared } from '../../apps/qtool/src/model.js';
import { compileQuietly, corpusCases, int8Samples, optionsOf, writeCalibration } from '../codegen/corpus-cases.js';
import { floatSamples, int8Inputs, randomModel } from '../diff/random-models.js';
import { corpus, requireCorpus } from '../support/corpus.js';
import { runOnBoard } from './board-run.js';

// The fast kernels with the real instructions: models compiled for each emulated board's CPU (mps2-an386: the
// Cortex-M4 DSP kernels, qt_mac_dsp.c; mps3-an547: the Cortex-M55 Helium kernels, qt_mac_mve.c) are linked into
// the board's firmware, run under QEMU, and every output byte read back over the serial protocol must equal the
// integer simulator's, no tolerance. Random models (test/diff/random-models.ts: conv with padding, strides,
// dilation, depthwise, 2..8-bit weights, both anchors, fully-connected heads) cover the qtool rounding and the
// kernels' channel and tap tails; corpus int8 models kept with --keep-quant cover TFLite's rounding (the
// vector requantization on the M55) and full-size layers. Needs arm-none-eabi-gcc and qemu-system-arm (CI has
// them: tools/setup-system.sh); a missing tool fails the test.

const RANDOM = Number(process.env.QT_BOARD_MODELS ?? 24);
const INPUTS = 3;
const work = mkdtempSync(join(tmpdir(), 'qtool-kernels-board-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const boardsUnderTest = ['mps2-an386', 'mps3-an547'] as const;
const kernelFamily = { 'mps2-an386': 'dsp', 'mps3-an547': 'mve' } as const;

describe('fast kernels on the emulated boards equal the integer simulator', () => {
  for (const board of boardsUnderTest) {
    const target = targets[boards[board]!.target];

    it(`${board}: ${RANDOM} random models x ${INPUTS} inputs, 0 mismatches`, { timeout: 10 * 60_000 }, async () => {
      const mismatches: string[] = [];
      let fast = 0;
      for (let seed = 1, taken = 0; taken < RANDOM; seed++) {
        const m = randomModel(seed);
        // models with a MAC layer only: the others never reach the fast kernels
        if (!m.graph.nodes.some((n) => n.op === 'conv' || n.op === 'fully_connected')) continue;
        taken++;
        const q = quantizeGraph(m.graph, calibrate(m.graph, floatSamples(m.graph, seed, 4)), m.options);
        const name = cName(`rand${seed}`);
        const emitted = emitModel({ graph: q, name, target, tool: 'qtool-test', sourceFile: `rand${seed}`, sourceSha256: '0'.repeat(64), options: JSON.stringify(m.options) });
        const c = emitted.files.get(`${name}.c`)!;
        fast += (c.match(new RegExp(`qt_(conv|fc|dwconv|wino)_spec_${kernelFamily[board]}\\(`, 'g')) ?? []).length;
        const dir = join(work, `${board}-rand${seed}`);
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir, { recursive: true });
        for (const [f, text] of emitted.files) writeFileSync(join(dir, f), text);
        mismatches.push(...(await runOnBoard(board, { label: m.description, dir, graph: q, inputs: int8Inputs(q, seed * 7919, INPUTS) })));
      }
      console.log(`${board}: ${RANDOM} random models, ${fast} layers on the ${kernelFamily[board]} kernels, ${mismatches.length} mismatches`);
      expect(fast).toBeGreaterThan(RANDOM);
      expect(mismatches).toEqual([]);
    });

    const present = requireCorpus('fast kernels on the boards: corpus int8 models');
    // TFLite rounding through every fast kernel: conv (im2col and 1x1), depthwise, fully-connected; and one float
    // model through our quantizer (qtool rounding, per-channel weight offsets) at full size
    for (const [label, mode] of [['micro_speech', 'keep-quant'], ['MLPerf IC', 'keep-quant'], ['MLPerf VWW', 'keep-quant'], ['MNIST-8', 'ours']] as const)
      (present ? it : it.skip)(`${board}: ${label} (${mode}) x ${INPUTS} inputs, 0 mismatches`, { timeout: 5 * 60_000 }, async () => {
        const c = corpusCases.find((x) => x.label === label && x.mode === mode && !x.options?.keepQuant)!;
        const dir = join(work, `${board}-${label.replace(/\W+/g, '_')}`);
        mkdirSync(dir, { recursive: true });
        const opts = optionsOf(c);
        if (c.mode === 'ours') {
          const input = loadPrepared(corpus(c.file)).graph;
          Object.assign(opts, { calib: writeCalibration(c, dir, input.tensors.get(input.inputs[0]!)!.shape) });
        }
        await compileQuietly(corpus(c.file), { ...opts, output: dir, board });
        const g = loadArtifact(dir).graph;
        const inputs = int8Samples(c, g, INPUTS, 0xb0a4d).map((ins) => ins.map((x, k) => makeTensor('int8', g.tensors.get(g.inputs[k]!)!.shape, x)));
        const mismatches = await runOnBoard(board, { label, dir, graph: g, inputs });
        expect(mismatches).toEqual([]);
      });
  }
});
