import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DType, Tensor } from '@qtool/ir';

// Shared by the TFLite model tests: corpus location, the TFLite reference (a child process per model), seeded
// random inputs and the MLPerf Tiny sample arrays.

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const corpusDir = path.resolve(repoRoot, '../shared/corpus');

/**
 * Whether the model tests can run. A missing corpus fails loudly (CI has it) unless QT_NO_CORPUS=1, in which
 * case the caller skips with a warning.
 */
export function corpusPresent(what: string): boolean {
  if (existsSync(corpusDir)) return true;
  if (process.env.QT_NO_CORPUS === '1') {
    console.warn(`${what}: skipped, the public corpus is not at ${corpusDir} (QT_NO_CORPUS=1)`);
    return false;
  }
  throw new Error(`${what}: the public corpus is missing at ${corpusDir}; set QT_NO_CORPUS=1 to skip these tests`);
}

export function corpus(...parts: string[]): string {
  return path.join(corpusDir, ...parts);
}

export interface RefTensorInfo {
  name: string;
  dataType: DType;
  shape: number[];
}

export interface RefResult {
  inputs: RefTensorInfo[];
  outputs: RefTensorInfo[];
  /** Per run, per output: the values as numbers. */
  results: number[][][];
}

const arrays: Partial<Record<DType, { new (b: ArrayBuffer): ArrayLike<number>; BYTES_PER_ELEMENT: number }>> = {
  float32: Float32Array, int8: Int8Array, uint8: Uint8Array, int16: Int16Array, int32: Int32Array, uint32: Uint32Array,
};

/** Runs `model` in TFLite (WebAssembly) on each run's inputs, given as raw bytes in the model's input dtypes. */
export function runTflite(model: string, runs: Uint8Array[][]): RefResult | { error: string } {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'tflite-ref.cjs');
  const req = JSON.stringify({ model, runs: runs.map((r) => r.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64'))) });
  const p = spawnSync(process.execPath, [script], { input: req, cwd: repoRoot, maxBuffer: 1 << 28, encoding: 'utf8' });
  if (p.status !== 0) return { error: `reference process exited ${p.status}: ${p.stderr.slice(0, 2000)}` };
  const out = JSON.parse(p.stdout) as { error?: string; inputs: RefTensorInfo[]; outputs: RefTensorInfo[]; results: string[][] };
  if (out.error) return { error: out.error };
  return {
    inputs: out.inputs,
    outputs: out.outputs,
    results: out.results.map((run) =>
      run.map((b64, k) => {
        const ctor = arrays[out.outputs[k]!.dataType];
        if (!ctor) throw new Error(`reference output dtype ${out.outputs[k]!.dataType} not handled`);
        const b = Buffer.from(b64, 'base64');
        const copy = new ArrayBuffer(b.length);
        new Uint8Array(copy).set(b);
        return Array.from(new ctor(copy));
      }),
    ),
  };
}

/** mulberry32: a small seeded generator, so random inputs are the same on every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function uniform(n: number, lo: number, hi: number, next: () => number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * next();
  return a;
}

export function bytesOf(t: Tensor | ArrayBufferView): Uint8Array {
  const v = 'data' in t && !ArrayBuffer.isView(t) ? (t.data as ArrayBufferView) : (t as ArrayBufferView);
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** The initializer arrays of a C/C++ source (`type name[..][..] = { {..}, {..} };`): one number[] per inner brace group. */
export function parseCArrays(file: string): number[][] {
  const src = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const body = src.slice(src.indexOf('=') + 1);
  return [...body.matchAll(/\{([^{}]*)\}/g)].map((m) =>
    m[1]!.split(',').map((x) => x.trim()).filter(Boolean).map((x) => Number(x.replace(/[fFuU]+$/, ''))),
  );
}

/** max |a - b| and max |ref| over two equally long arrays. */
export function maxDiff(a: ArrayLike<number>, ref: ArrayLike<number>): { diff: number; refMax: number } {
  let diff = 0;
  let refMax = 0;
  for (let i = 0; i < ref.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - ref[i]!));
    refMax = Math.max(refMax, Math.abs(ref[i]!));
  }
  return { diff, refMax };
}
