import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { corpus, requireCorpus } from '../support/corpus.js';

// `qtool bench` on MLPerf IC int8 (--keep-quant) on the Cortex-M4 and Cortex-M55 boards: two runs, each in its own
// QEMU, through the CLI with --json, count the same instructions per inference and per layer. The counts are
// compared with each other, never with a constant (the figures are printed).

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(root, 'apps/qtool/bin/qtool.mjs');
const present = requireCorpus('qtool bench determinism on MLPerf IC');
const work = mkdtempSync(join(tmpdir(), 'qtool-bench-ic-'));

interface Bench {
  instructions: number;
  layers: { index: number; op: string; instructions: number }[];
  flash: number;
  ram: number;
}

function qtool(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

(present ? describe : describe.skip)('qtool bench on MLPerf IC int8, twice', () => {
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  for (const board of ['mps2-an386', 'mps3-an547'])
    it(`${board}: two runs count the same instructions, per inference and per layer`, { timeout: 10 * 60_000 }, () => {
      const dir = join(work, board);
      qtool('compile', corpus('mlperf-tiny/ic/pretrainedResnet_quant.tflite'), '--keep-quant', '--board', board, '-o', dir);
      const runs = [0, 1].map(() => JSON.parse(qtool('bench', dir, '--board', board, '--json')) as Bench);
      console.log(`MLPerf IC int8 on ${board}: ${runs.map((r) => r.instructions.toLocaleString('en-US')).join(' and ')} instructions per inference (${runs[0]!.layers.length} layers)`);
      expect(runs[0]!.instructions).toBeGreaterThan(0);
      expect(runs[1]!.instructions).toBe(runs[0]!.instructions);
      expect(runs[1]!.layers).toEqual(runs[0]!.layers);
      expect(runs[1]!.flash).toBe(runs[0]!.flash);
      expect(runs[1]!.ram).toBe(runs[0]!.ram);
    });
});
