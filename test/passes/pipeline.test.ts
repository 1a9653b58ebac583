import { describe, expect, it } from 'vitest';
import { makeTensor, numel, type Graph, type Tensor } from '@qtool/ir';
import { loadModel } from '@qtool/frontend';
import { runPasses, dequantizeGraph } from '@qtool/passes';
import { runFloat } from '@qtool/sim';
import { corpus, repoRoot, requireCorpus } from '../support/corpus.js';
import { resolve } from 'node:path';

// The standard passes must not change what a model computes: raw graph vs prepared graph on seeded inputs.

function seeded(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomInputs(g: Graph, seed: number, lo: number, hi: number): Map<string, Tensor> {
  const r = seeded(seed);
  return new Map(
    g.inputs.map((i) => {
      const t = g.tensors.get(i)!;
      return [i, makeTensor('float32', t.shape, Float32Array.from({ length: numel(t.shape) }, () => lo + (hi - lo) * r()))];
    }),
  );
}

function maxRelDiff(a: Tensor, b: Tensor): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.data.length; i++) {
    scale = Math.max(scale, Math.abs(Number(a.data[i])));
    diff = Math.max(diff, Math.abs(Number(a.data[i]) - Number(b.data[i])));
  }
  return diff / Math.max(scale, 1e-6);
}

const models: [string, string, number, number][] = [
  ['example digits CNN', resolve(repoRoot, 'examples/digits/digits_cnn.onnx'), 0, 1],
  ['MNIST-8', corpus('onnx-mnist8/model.onnx'), 0, 255],
  ['MLPerf IC float', corpus('mlperf-tiny/ic/pretrainedResnet.tflite'), 0, 1],
  ['VWW float', corpus('mlperf-tiny/vww/vww_96_float.tflite'), 0, 1],
  ['person_detect int8 (dequantized)', corpus('tflite-micro/models/person_detect.tflite'), -1, 1],
];

describe.runIf(requireCorpus('pass pipeline on real models'))('standard passes keep float outputs', () => {
  for (const [label, path, lo, hi] of models)
    it(label, () => {
      let raw = loadModel(path);
      if ([...raw.tensors.values()].some((t) => t.quant && t.dtype !== 'float32')) raw = dequantizeGraph.run(raw);
      const prepared = runPasses(raw);
      expect(prepared.nodes.length).toBeLessThanOrEqual(raw.nodes.length);
      for (let s = 0; s < 3; s++) {
        const feeds = randomInputs(raw, s + 1, lo, hi);
        const a = runFloat(raw, feeds);
        const b = runFloat(prepared, feeds);
        for (const o of raw.outputs) expect(maxRelDiff(a.get(o)!, b.get(o)!)).toBeLessThan(1e-5);
      }
    });
});
