import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeTensor, toNumbers, type Tensor } from '@qtool/ir';
import { encodeNpy, parseNpy } from '@qtool/frontend';
import { loadArtifact } from '@qtool/quantizer';
import { runInt } from '@qtool/sim';

// compile -> run <dir> -> validate through the real bin, on the bundled example (no corpus needed). The integer
// outputs are checked against runInt on the saved artifact with inputs quantized here from the input's own
// parameters: what the CLI adds (batch splitting, quantizing float inputs, .npy dtypes, --dequantize) is what is
// under test.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = join(root, 'apps/qtool/bin/qtool.mjs');
const example = join(root, 'examples/digits/digits_cnn.onnx');
const calib = join(root, 'examples/digits/calib.npy');

function qtool(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'qtool-quantized-'));
const out = join(dir, 'digits');

describe('compile, run and validate an integer model', { timeout: 120_000 }, () => {
  it('compile writes the artifact, the report and the C, and prints the summary', () => {
    const r = qtool('compile', example, '-o', out, '--calib', calib, '--bits', '6', '--granularity', 'tensor', '--anchor', 'max');
    expect(r.code, r.err).toBe(0);
    for (const f of ['qmodel.json', 'report.json', 'digits_cnn.c', 'digits_cnn.h', 'host_main.c', 'Makefile']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(r.out).toContain('6-bit weights per tensor, max-anchored');
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.options).toMatchObject({ bits: 6, granularity: 'tensor', anchor: 'max' });
    const a = loadArtifact(out);
    expect(a.meta.options).toMatchObject({ bits: 6, granularity: 'tensor', anchor: 'max' });
  });

  const batch = parseNpy(new Uint8Array(readFileSync(calib)));
  const per = batch.data.length / batch.shape[0]!;
  const n = 7;
  const floats = makeTensor('float32', [n, ...batch.shape.slice(1)], (batch.data as Float32Array).subarray(0, n * per));

  function expected(): Int8Array[] {
    const g = loadArtifact(out).graph;
    const inInfo = g.tensors.get(g.inputs[0]!)!;
    const { scale, zeroPoint } = inInfo.quant!;
    return Array.from({ length: n }, (_, s) => {
      const q = new Int8Array(per);
      for (let i = 0; i < per; i++) {
        const f = Number(floats.data[s * per + i]);
        const v = Math.round(Math.abs(f / scale[0]!)) * Math.sign(f) + zeroPoint[0]!;
        q[i] = Math.max(-128, Math.min(127, v));
      }
      const res = runInt(g, new Map([[g.inputs[0]!, makeTensor('int8', inInfo.shape, q) as Tensor]]));
      return res.get(g.outputs[0]!)!.data as Int8Array;
    });
  }

  it('run <dir> quantizes a float batch with the input parameters and writes int8 outputs, sample by sample', () => {
    writeFileSync(join(dir, 'x.npy'), encodeNpy(floats));
    const r = qtool('run', out, '--input', join(dir, 'x.npy'), '--output', join(dir, 'y.npy'));
    expect(r.code, r.err).toBe(0);
    const y = parseNpy(new Uint8Array(readFileSync(join(dir, 'y.npy'))));
    expect(y.dtype).toBe('int8');
    expect(y.shape).toEqual([n, 10]);
    expect(toNumbers(y)).toEqual(expected().flatMap((e) => Array.from(e)));
  });

  it('int8 inputs are used as they are', () => {
    const g = loadArtifact(out).graph;
    const inInfo = g.tensors.get(g.inputs[0]!)!;
    const q = Int8Array.from({ length: per * 2 }, (_, i) => ((i * 37) % 256) - 128);
    writeFileSync(join(dir, 'q.npy'), encodeNpy(makeTensor('int8', [2, ...inInfo.shape.slice(1)], q)));
    const r = qtool('run', out, '--input', join(dir, 'q.npy'), '--output', join(dir, 'qy.npy'));
    expect(r.code, r.err).toBe(0);
    const want = [0, 1].flatMap((s) => toNumbers(runInt(g, new Map([[g.inputs[0]!, makeTensor('int8', inInfo.shape, q.subarray(s * per, (s + 1) * per)) as Tensor]])).get(g.outputs[0]!)!));
    expect(toNumbers(parseNpy(new Uint8Array(readFileSync(join(dir, 'qy.npy')))))).toEqual(want);
  });

  it('--dequantize writes (q - zero point) * scale as float32', () => {
    const r = qtool('run', out, '--input', join(dir, 'x.npy'), '--output', join(dir, 'yf.npy'), '--dequantize');
    expect(r.code, r.err).toBe(0);
    const y = parseNpy(new Uint8Array(readFileSync(join(dir, 'yf.npy'))));
    expect(y.dtype).toBe('float32');
    const g = loadArtifact(out).graph;
    const { scale, zeroPoint } = g.tensors.get(g.outputs[0]!)!.quant!;
    expect(toNumbers(y)).toEqual(expected().flatMap((e) => Array.from(e, (v) => Math.fround((v - zeroPoint[0]!) * scale[0]!))));
  });

  it('validate prints float vs integer accuracy, agreement and per-layer SQNR', () => {
    const labels = join(dir, 'labels.npy');
    writeFileSync(labels, encodeNpy(makeTensor('int64', [n], BigInt64Array.from({ length: n }, (_, i) => BigInt(i % 10)))));
    const r = qtool('validate', example, '--calib', calib, '--data', join(dir, 'x.npy'), '--labels', labels);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/accuracy/i);
    expect(r.out).toMatch(/SQNR/);
    expect(r.out).toMatch(/agree/i);
  });
});
