import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTensor, type Tensor } from '@qtool/ir';
import { readNpy } from '@qtool/frontend';
import { loadArtifact, quantizeValue } from '@qtool/quantizer';
import { runInt } from '@qtool/sim';

// Shared by the firmware tests: the tools they need (which must be installed: CI gets them from
// tools/setup-system.sh; a missing tool fails the test with a message, never a skip), the bundled example
// compiled for a board, and test vectors with their simulator outputs.

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const qtoolBin = join(repoRoot, 'apps/qtool/bin/qtool.mjs');

export function requireTools(...tools: string[]): void {
  const missing = tools.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (missing.length)
    throw new Error(
      `\n\n*** firmware tests need ${missing.join(', ')} (not found on PATH). Install them with tools/setup-system.sh ` +
        `(apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm). These tests fail rather than skip. ***\n`,
    );
}

const made: string[] = [];

/** Removes the folders compileExample made (call from afterAll). */
export function removeCompiled(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** `qtool compile` (the bundled example when model is undefined) into a fresh temporary folder. */
export function compileExample(board: string, model?: string): string {
  const dir = mkdtempSync(join(tmpdir(), `qtool-fw-${board}-`));
  made.push(dir);
  const r = spawnSync(process.execPath, [qtoolBin, 'compile', ...(model ? [model] : []), '-o', dir, '--board', board], { encoding: 'utf8', cwd: repoRoot });
  if (r.status !== 0) throw new Error(`qtool compile failed (${r.status}):\n${r.stderr}${r.stdout}`);
  return dir;
}

/** A 32-bit xorshift: the same vectors on every run. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

export interface Vector {
  what: string;
  input: Int8Array;
  expected: Int8Array;
}

/**
 * Test vectors for a single-input, single-output int8 model folder: `images` real digits from
 * examples/digits/calib.npy (quantized with the input's parameters), `random` uniform int8 vectors, plus the
 * two extremes; expected outputs from the integer simulator (the specification).
 */
export function vectors(dir: string, images: number, random: number): Vector[] {
  const g = loadArtifact(dir).graph;
  if (g.inputs.length !== 1 || g.outputs.length !== 1) throw new Error('test vectors: one input and one output expected');
  const info = g.tensors.get(g.inputs[0]!)!;
  const n = info.shape.reduce((a, b) => a * b, 1);
  const inputs: { what: string; input: Int8Array }[] = [];
  const calib = readNpy(join(repoRoot, 'examples/digits/calib.npy'));
  const q = info.quant!;
  for (let s = 0; s < images; s++) {
    const x = new Int8Array(n);
    for (let i = 0; i < n; i++) x[i] = quantizeValue(Number(calib.data[s * n + i]), { dtype: 'int8', scale: q.scale[0]!, zeroPoint: q.zeroPoint[0]! });
    inputs.push({ what: `digit image ${s}`, input: x });
  }
  const next = rng(0x5eed);
  for (let s = 0; s < random; s++) inputs.push({ what: `random vector ${s}`, input: Int8Array.from({ length: n }, () => (next() & 0xff) - 128) });
  inputs.push({ what: 'all -128', input: new Int8Array(n).fill(-128) });
  inputs.push({ what: 'all 127', input: new Int8Array(n).fill(127) });
  return inputs.map(({ what, input }) => {
    const out = runInt(g, new Map([[g.inputs[0]!, makeTensor('int8', info.shape, input) as Tensor]]));
    return { what, input, expected: Int8Array.from(out.get(g.outputs[0]!)!.data as Int8Array) };
  });
}
