import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchFirmware, buildFirmware, emulatedBoards, type BenchResult, type FirmwareImage } from '../src/index.js';
import { compileExample, removeCompiled, repoRoot, requireTools } from './support.js';

// Instruction counting: two separate QEMU runs of the same firmware and input count the same instructions,
// to the instruction (the counts are compared with each other, never with a constant); `qtool bench --json`
// prints the same figures as the library call.

describe.each(emulatedBoards)('qtool bench on %s', (board) => {
  let dir: string;
  let image: FirmwareImage;
  let first: BenchResult;

  beforeAll(() => {
    requireTools('arm-none-eabi-gcc', 'qemu-system-arm', 'cc');
    dir = compileExample(board);
    image = buildFirmware({ modelDir: dir, board });
  }, 60_000);

  afterAll(removeCompiled);

  it('counts instructions per inference and per layer', async () => {
    first = await benchFirmware({ modelDir: dir, board, image });
    expect(first.layers.map((l) => l.index)).toEqual(Array.from({ length: image.model.layers }, (_, i) => i));
    expect(first.instructions).toBeGreaterThan(0);
    const sum = first.layers.reduce((a, l) => a + l.instructions, 0);
    expect(sum).toBeLessThanOrEqual(first.instructions);
    expect(first.layers.find((l) => l.op === 'conv')!.instructions).toBeGreaterThan(first.layers.find((l) => l.op === 'reshape')!.instructions);
    console.log(`${board} run 1: ${first.instructions} instructions per inference; layers ${first.layers.map((l) => l.instructions).join(', ')}`);
  }, 60_000);

  it('a second run (new QEMU, through the CLI with --json) counts exactly the same', () => {
    const r = spawnSync(process.execPath, [join(repoRoot, 'apps/qtool/bin/qtool.mjs'), 'bench', dir, '--board', board, '--json'], { encoding: 'utf8', cwd: repoRoot });
    expect(r.status, r.stderr).toBe(0);
    const second = JSON.parse(r.stdout) as BenchResult;
    console.log(`${board} run 2: ${second.instructions} instructions per inference; layers ${second.layers.map((l) => l.instructions).join(', ')}`);
    expect(second.instructions).toBe(first.instructions);
    expect(second.layers).toEqual(first.layers);
    expect(second.flash).toBe(first.flash);
    expect(second.ram).toBe(first.ram);
  }, 60_000);
});
