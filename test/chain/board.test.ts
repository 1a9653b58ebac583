import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emitModel, targets } from '@qtool/codegen';
import { buildFirmware, DeviceLink, launchQemu } from '@qtool/firmware';
import { makeTensor, numel, type Graph } from '@qtool/ir';
import type { QuantizeOptions } from '@qtool/ops';
import { calibrate, formChains, loadArtifact, quantizeGraph } from '@qtool/quantizer';
import { runInt } from '@qtool/sim';
import { floatSamples } from '../diff/random-models.js';
import { repoRoot } from '../support/corpus.js';
import { randomChainModel, tightChain } from './chain-models.js';
import { INT32_MAX } from '@qtool/qmath';

// Chains on an emulated Cortex-M4 (mps2-an386 under QEMU), no tolerance: the bundled example and MNIST-8
// compiled by the CLI with --chain auto (4-bit weights, where whole networks chain), random chain models and a
// chain whose proven bound is exactly INT32_MAX (its all-127 input reaches it),
// linked into the AOT firmware and driven over the serial link; every output equals the integer simulator's.
// The tools are required (tools/setup-system.sh): a missing one fails the test, it is never skipped.

const BOARD = 'mps2-an386';
const VECTORS = 12; // + all -128, all 127, alternating
const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function requireTools(): void {
  const missing = ['arm-none-eabi-gcc', 'qemu-system-arm'].filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (missing.length) throw new Error(`chain board tests need ${missing.join(', ')} (tools/setup-system.sh); they fail rather than skip`);
}

function cliCompile(args: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'qtool-chain-fw-'));
  made.push(dir);
  const r = spawnSync(process.execPath, [join(repoRoot, 'apps/qtool/bin/qtool.mjs'), 'compile', ...args, '-o', dir, '--board', BOARD, '--chain', 'auto'], { encoding: 'utf8', cwd: repoRoot });
  if (r.status !== 0) throw new Error(`qtool compile failed (${r.status}):\n${r.stderr}${r.stdout}`);
  return dir;
}

function libraryCompile(q: Graph, id: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'qtool-chain-fw-'));
  made.push(dir);
  const e = emitModel({ graph: q, name: id, target: targets['cortex-m4'], tool: 'qtool-test', sourceFile: id, sourceSha256: '0'.repeat(64), options: '--chain auto' });
  for (const [f, text] of e.files) writeFileSync(join(dir, f), text);
  return dir;
}

async function onBoard(dir: string, q: Graph, seed: number): Promise<{ compared: number; bad: string[] }> {
  const image = buildFirmware({ modelDir: dir, board: BOARD });
  const qemu = await launchQemu({ board: BOARD, elf: image.elf });
  const link = await DeviceLink.open(qemu.pty);
  const bad: string[] = [];
  let compared = 0;
  try {
    await link.hello();
    const info = q.tensors.get(q.inputs[0]!)!;
    const n = numel(info.shape);
    let s = seed;
    const next = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 24) - 128;
    const inputs = [...Array.from({ length: VECTORS }, () => Int8Array.from({ length: n }, next)), new Int8Array(n).fill(-128), new Int8Array(n).fill(127), Int8Array.from({ length: n }, (_, i) => (i % 2 ? 127 : -128))];
    for (const [k, x] of inputs.entries()) {
      const want = runInt(q, new Map([[q.inputs[0]!, makeTensor('int8', info.shape, x)]])).get(q.outputs[0]!)!.data as Int8Array;
      const { output } = await link.infer(new Uint8Array(x.buffer), want.length);
      const got = new Int8Array(output.buffer, output.byteOffset, output.length);
      if (got.join() !== want.join()) bad.push(`vector ${k}: board [${got.join()}] vs sim [${want.join()}]`);
      compared++;
    }
  } finally {
    await link.close();
    await qemu.stop();
  }
  return { compared, bad };
}

describe(`chains on ${BOARD} (QEMU)`, () => {
  it('the example and MNIST-8 (CLI, --chain auto --bits 4) and random chain models equal the simulator', { timeout: 10 * 60_000 }, async () => {
    requireTools();
    const results: string[] = [];
    const bad: string[] = [];
    let compared = 0;
    let chains = 0;
    const folders: [string, string][] = [
      ['digits example', cliCompile(['--bits', '4'])],
      ['MNIST-8', cliCompile([resolve(repoRoot, '../shared/corpus/onnx-mnist8/model.onnx'), '--bits', '4', '--calib', resolve(repoRoot, '../shared/corpus/onnx-mnist8/test_data_set_0/input_0.pb'), '--calib-scale', '1'])],
    ];
    for (const [what, dir] of folders) {
      const q = loadArtifact(dir).graph;
      const n = q.nodes.filter((m) => m.op === 'mac_chain').length;
      expect(n, `${what}: chains formed`).toBeGreaterThan(0);
      chains += n;
      const r = await onBoard(dir, q, 11);
      compared += r.compared;
      bad.push(...r.bad.map((b) => `${what}: ${b}`));
      results.push(`${what} (${n} chain)`);
    }
    for (let seed = 1, done = 0; done < 4 && seed < 40; seed++) {
      const m = randomChainModel(seed);
      const opts: QuantizeOptions = { mode: 'qtool', granularity: 'channel', anchor: 'min', rounding: 'offset', ...m.options };
      const ranges = calibrate(m.graph, floatSamples(m.graph, seed, 4));
      const r = formChains(quantizeGraph(m.graph, ranges, opts), m.graph, opts, ranges);
      if (!r.chains.length) continue;
      done++;
      chains += r.chains.length;
      const res = await onBoard(libraryCompile(r.graph, `chain${seed}`), r.graph, seed);
      compared += res.compared;
      bad.push(...res.bad.map((b) => `${m.description}: ${b}`));
      results.push(`random seed ${seed} (${r.chains.length} chain)`);
    }
    // the chain whose proven bound is exactly INT32_MAX; all 127 is the input that reaches it
    const tight = tightChain();
    expect(tight.chains[0]!.bound).toBe(INT32_MAX);
    const res = await onBoard(libraryCompile(tight.graph, 'tight'), tight.graph, 5);
    compared += res.compared;
    chains++;
    bad.push(...res.bad.map((b) => `tight chain: ${b}`));
    results.push('a chain at exactly INT32_MAX');
    console.log(`chains on ${BOARD}: ${results.join(', ')}; ${chains} chains, ${compared} inferences compared, ${bad.length} mismatches`);
    expect(bad).toEqual([]);
    expect(compared).toBe(7 * (VECTORS + 3));
  });
});
