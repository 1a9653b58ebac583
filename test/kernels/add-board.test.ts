import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { boards, cName, emitModel, targets } from '@qtool/codegen';
import { buildFirmware, DeviceLink, launchQemu } from '@qtool/firmware';
import { runInt } from '@qtool/sim';
import { int8Inputs } from '../diff/random-models.js';
import { randomAddModel } from './add-models.js';

// The fast add / sub kernels with the real instructions: random add / sub models with random integer parameters
// of both rounding contracts (add-models.ts) compiled for each emulated board's CPU (mps2-an386: the Cortex-M4,
// qt_elementwise_dsp.c; mps3-an547: the Cortex-M55, Helium, qt_elementwise_mve.c), linked into the board's
// firmware and run under QEMU; every output byte read back over the serial protocol must equal the integer
// simulator's, no tolerance (as board.test.ts, which also runs MLPerf IC's residual adds kept in TFLite mode).
// QT_ADD_BOARD_MODELS (default 8) sets how many models per board. Needs arm-none-eabi-gcc and qemu-system-arm.

const MODELS = Number(process.env.QT_ADD_BOARD_MODELS ?? 8);
const INPUTS = 3;
const work = mkdtempSync(join(tmpdir(), 'qtool-add-board-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const family = { 'mps2-an386': 'dsp', 'mps3-an547': 'mve' } as const;

describe('fast add / sub on the emulated boards equal the integer simulator', () => {
  for (const board of ['mps2-an386', 'mps3-an547'] as const)
    it(`${board}: ${MODELS} random add / sub models x ${INPUTS} inputs, both modes, 0 mismatches`, { timeout: 10 * 60_000 }, async () => {
      const target = targets[boards[board]!.target];
      const bad: string[] = [];
      const modes = new Set<string>();
      let fast = 0;
      for (let seed = 1, taken = 0; taken < MODELS; seed++) {
        const m = randomAddModel(seed);
        const q = m.graph;
        const name = cName(`add${seed}`);
        const emitted = emitModel({ graph: q, name, target, tool: 'qtool-test', sourceFile: `add${seed}`, sourceSha256: '0'.repeat(64), options: '{}' });
        const n = (emitted.files.get(`${name}.c`)!.match(new RegExp(`qt_add_spec_${family[board]}\\(`, 'g')) ?? []).length;
        if (n === 0) continue; // broadcasting: the portable kernel, held by the other tests
        taken++;
        fast += n;
        for (const md of m.description.split('; ')[1]!.split(', ')) modes.add(md);
        const dir = join(work, `${board}-add${seed}`);
        mkdirSync(dir, { recursive: true });
        for (const [f, text] of emitted.files) writeFileSync(join(dir, f), text);
        const image = buildFirmware({ modelDir: dir, board });
        const qemu = await launchQemu({ board, elf: image.elf });
        let link: DeviceLink | undefined;
        try {
          link = await DeviceLink.open(qemu.pty);
          await link.hello();
          for (const [s, ins] of int8Inputs(q, seed * 7919, INPUTS).entries()) {
            const bytes = new Uint8Array(ins.flatMap((t) => Array.from(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength))));
            const { output } = await link.infer(bytes, image.model.outputBytes);
            const sim = runInt(q, new Map(q.inputs.map((nm, k) => [nm, ins[k]!])));
            let off = 0;
            for (const o of q.outputs) {
              const want = sim.get(o)!.data as Int8Array;
              const have = new Int8Array(output.buffer, output.byteOffset + off, want.length);
              const i = want.findIndex((v, j) => v !== have[j]);
              if (i >= 0) bad.push(`${board} ${m.description}: input ${s}, output '${o}' element ${i}: board ${have[i]} vs sim ${want[i]}`);
              off += want.length;
            }
          }
        } finally {
          await link?.close();
          await qemu.stop();
        }
      }
      console.log(`${board}: ${MODELS} random add / sub models, ${fast} layers on qt_add_spec_${family[board]}, modes ${[...modes].join(' ')}, ${bad.length} mismatches`);
      expect(fast).toBeGreaterThanOrEqual(MODELS);
      expect(modes).toEqual(new Set(['qtool', 'tflite']));
      expect(bad).toEqual([]);
    });
});
