import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeTensor, type Tensor } from '@qtool/ir';
import { encodeNpy, loadModel, loadTensorProto, parseNpy } from '@qtool/frontend';
import { runFloat } from '@qtool/sim';

// The CLI as a user runs it: the real bin through node, exit codes, stdout/stderr, files.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const corpus = resolve(root, '../shared/corpus');
const bin = join(root, 'apps/qtool/bin/qtool.mjs');
const mnist = join(corpus, 'onnx-mnist8/model.onnx');

function qtool(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'qtool-cli-'));

describe('qtool CLI', { timeout: 120_000 }, () => {
  it('--help lists the verbs and exits 0', () => {
    const r = qtool('--help');
    expect(r.code).toBe(0);
    for (const verb of ['inspect', 'run', 'compile', 'validate']) expect(r.out).toContain(verb);
  });

  it('inspect prints inputs, an op table with MACs, and totals', () => {
    const r = qtool('inspect', mnist);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Input3');
    expect(r.out).toMatch(/Convolution28\s+conv/);
    // 28*28*8*25 + 14*14*16*200 + 256*10 MACs, counted by hand
    expect(r.out).toContain(`${(28 * 28 * 8 * 25 + 14 * 14 * 16 * 200 + 256 * 10).toLocaleString('en-US')} MACs`);
  });

  it('inspect --json is machine-readable', () => {
    const r = qtool('inspect', mnist, '--json');
    const j = JSON.parse(r.out);
    expect(j.inputs[0]).toMatchObject({ name: 'Input3', dtype: 'float32', shape: [1, 1, 28, 28] });
    expect(j.totals.macs).toBe(28 * 28 * 8 * 25 + 14 * 14 * 16 * 200 + 256 * 10);
    expect(j.layers.find((l: { op: string }) => l.op === 'conv').params).toBe(200 + 8);
  });

  it('run writes the float output of a batch as .npy, sample by sample equal to the simulator', () => {
    const d = tmp();
    const x0 = loadTensorProto(join(corpus, 'onnx-mnist8/test_data_set_0/input_0.pb'));
    const x1 = loadTensorProto(join(corpus, 'onnx-mnist8/test_data_set_1/input_0.pb'));
    const batch = makeTensor('float32', [2, 1, 28, 28], Float32Array.from([...x0.data, ...x1.data] as number[]));
    writeFileSync(join(d, 'x.npy'), encodeNpy(batch));
    const r = qtool('run', mnist, '--input', join(d, 'x.npy'), '--output', join(d, 'y.npy'), '--float');
    expect(r.code, r.err).toBe(0);
    const y = parseNpy(readFileSync(join(d, 'y.npy')));
    expect(y.shape).toEqual([2, 10]);
    const g = loadModel(mnist);
    const expected = [x0, x1].flatMap((x) => Array.from(runFloat(g, { Input3: x as Tensor }).get(g.outputs[0]!)!.data as Float32Array));
    // the CLI runs the prepared graph (passes applied): float results agree to rounding
    Array.from(y.data as Float32Array).forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThan(1e-3));
  });

  it('a missing file is QT001 with exit code 1', () => {
    const r = qtool('inspect', '/nonexistent/model.onnx');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error QT001 /);
  });

  it('a non-model file is a coded error, never a stack trace', () => {
    const d = tmp();
    writeFileSync(join(d, 'junk.onnx'), 'this is not a model');
    const r = qtool('inspect', join(d, 'junk.onnx'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error QT(010|100) /);
    expect(r.err).not.toContain('    at ');
  });

  it('an unsupported model lists every unsupported op with node names in one report', () => {
    // keyword_scrambled stacks several SVDF layers: every one is reported (not just the first), each naming its node
    const r = qtool('inspect', join(corpus, 'tflite-micro/models/keyword_scrambled.tflite'));
    expect(r.code).toBe(1);
    const lines = r.err.trim().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect(l).toMatch(/^error QT121 .*node '.+': SVDF \(operator \d+\)/);
    expect(new Set(lines.map((l) => /node '([^']+)'/.exec(l)![1])).size).toBe(lines.length);
  });

  it('a wrong input shape is QT302 naming the input', () => {
    const d = tmp();
    writeFileSync(join(d, 'x.npy'), encodeNpy(makeTensor('float32', [3, 3], new Float32Array(9))));
    const r = qtool('run', mnist, '--input', join(d, 'x.npy'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('QT302');
    expect(r.err).toContain('Input3');
  });

  it('bad option values are usage errors (exit 2)', () => {
    const r = qtool('compile', mnist, '--bits', '9', '-o', tmp());
    expect(r.code).toBe(2);
    expect(r.err).toContain('--bits');
  });
});
