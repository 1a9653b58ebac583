import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importOnnx, loadTensorProto } from '@qtool/frontend';
import { runFloat } from '@qtool/sim';
import { compareTensors } from './compare.js';

// ONNX Model Zoo MNIST-8 (opset 8, Conv/Add/Relu/MaxPool/Reshape/MatMul): the whole model against its 3 test sets.

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const corpusRoot = resolve(repoRoot, '../shared/corpus');
const dir = join(corpusRoot, 'onnx-mnist8');

if (!existsSync(corpusRoot) && process.env.QT_NO_CORPUS === '1') {
  console.warn(`MNIST-8 test NOT RUN: ${corpusRoot} is missing and QT_NO_CORPUS=1`);
  describe.skip('ONNX MNIST-8 (corpus missing)', () => it('needs ../shared/corpus', () => {}));
} else
  describe('ONNX MNIST-8', () => {
    it('the corpus is present', () => {
      expect(existsSync(dir), `${dir} is missing (set QT_NO_CORPUS=1 to skip knowingly)`).toBe(true);
    });

    for (const set of [0, 1, 2])
      it(`test_data_set_${set} matches`, () => {
        const g = importOnnx(readFileSync(join(dir, 'model.onnx')), 'model.onnx');
        const x = loadTensorProto(join(dir, `test_data_set_${set}/input_0.pb`));
        const want = loadTensorProto(join(dir, `test_data_set_${set}/output_0.pb`));
        const got = runFloat(g, { [g.inputs[0]!]: x }).get(g.outputs[0]!)!;
        expect(compareTensors(got, want)).toBeUndefined();
      });

    it('gets only the transposes it needs: one into NHWC, one back before the Reshape', () => {
      const g = importOnnx(readFileSync(join(dir, 'model.onnx')), 'model.onnx');
      expect(g.nodes.map((n) => n.op)).toEqual([
        'transpose', 'conv', 'add', 'relu', 'max_pool', 'conv', 'add', 'relu', 'max_pool', 'transpose', 'reshape', 'fully_connected', 'add',
      ]);
      expect(g.source).toMatchObject({ format: 'onnx', opset: 8 });
    });
  });
