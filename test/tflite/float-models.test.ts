import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { makeTensor, numel } from '@qtool/ir';
import { importTflite } from '@qtool/frontend';
import { runFloat } from '@qtool/sim';
import { bytesOf, corpus, corpusPresent, maxDiff, parseCArrays, rng, runTflite, uniform } from './helpers.js';

// Float TFLite models: our reader + float simulator against TFLite's interpreter (WebAssembly, XNNPACK).
// Tolerance, per output tensor: max|ours - tflite| <= 1e-4 * max|tflite| + 1e-5 (XNNPACK sums in another order).
//
// Inputs: 20 seeded uniform random inputs in the range the model was trained on, plus the corpus samples:
// - hello_world: x in [0, 2*pi] (the sine model's domain); no sample file, so also 0, pi/2, pi, 3pi/2.
// - MLPerf Tiny IC (ResNet-8): raw 0..255 pixel values, as the int8 model's input quantization (scale 1,
//   zero point -128) shows; ic_inputs.cc holds one uint8[3072] image, fed unchanged.
// - MLPerf Tiny VWW: pixels in [0, 1] (the int8 model's input scale is 1/255); vww_inputs.cc holds two float
//   arrays of 96*96 values in [-1, 1] (one channel): mapped to [0, 1] with (v+1)/2 and repeated into R, G, B.

const RANDOM_RUNS = 20;
const RTOL = 1e-4;
const ATOL = 1e-5;

interface FloatCase {
  name: string;
  file: string[];
  range: [number, number];
  samples(): Float32Array[];
}

const cases: FloatCase[] = [
  {
    name: 'hello_world_float',
    file: ['tflite-micro', 'examples', 'hello_world', 'models', 'hello_world_float.tflite'],
    range: [0, 2 * Math.PI],
    samples: () => [0, Math.PI / 2, Math.PI, (3 * Math.PI) / 2].map((x) => Float32Array.of(x)),
  },
  {
    name: 'MLPerf Tiny IC pretrainedResnet',
    file: ['mlperf-tiny', 'ic', 'pretrainedResnet.tflite'],
    range: [0, 255],
    samples: () => parseCArrays(corpus('mlperf-tiny', 'ic', 'ic_inputs.cc')).map((a) => Float32Array.from(a)),
  },
  {
    name: 'MLPerf Tiny VWW vww_96_float',
    file: ['mlperf-tiny', 'vww', 'vww_96_float.tflite'],
    range: [0, 1],
    samples: () =>
      parseCArrays(corpus('mlperf-tiny', 'vww', 'vww_inputs.cc')).map((gray) => {
        const rgb = new Float32Array(gray.length * 3);
        gray.forEach((v, i) => rgb.fill((v + 1) / 2, 3 * i, 3 * i + 3));
        return rgb;
      }),
  },
];

const present = corpusPresent('TFLite float model tests');

(present ? describe : describe.skip)('TFLite float models match the TFLite interpreter', () => {
  for (const c of cases) {
    it(c.name, () => {
      const path = corpus(...c.file);
      const g = importTflite(readFileSync(path), c.file.at(-1)!);
      expect(g.inputs).toHaveLength(1);
      const input = g.tensors.get(g.inputs[0]!)!;
      expect(input.dtype).toBe('float32');
      const n = numel(input.shape);

      const next = rng(0x5eed);
      const samples = c.samples();
      for (const s of samples) expect(s.length).toBe(n);
      const inputs = [...samples, ...Array.from({ length: RANDOM_RUNS }, () => uniform(n, c.range[0], c.range[1], next))];

      const ref = runTflite(path, inputs.map((x) => [bytesOf(x)]));
      if ('error' in ref) throw new Error(`TFLite reference failed: ${ref.error}`);
      expect(ref.inputs[0]!.shape).toEqual(input.shape);
      expect(ref.outputs.map((o) => o.shape)).toEqual(g.outputs.map((o) => g.tensors.get(o)!.shape));

      let worst = 0;
      inputs.forEach((x, run) => {
        const outs = runFloat(g, { [g.inputs[0]!]: makeTensor('float32', input.shape, x) });
        g.outputs.forEach((name, k) => {
          const ours = outs.get(name)!.data as Float32Array;
          const theirs = ref.results[run]![k]!;
          const { diff, refMax } = maxDiff(ours, theirs);
          worst = Math.max(worst, diff);
          const label = run < samples.length ? `sample ${run}` : `random ${run - samples.length}`;
          expect(diff, `${c.name} ${label} output '${name}': max|diff| ${diff} (max|ref| ${refMax})`).toBeLessThanOrEqual(RTOL * refMax + ATOL);
        });
      });
      console.log(`${c.name}: ${inputs.length} runs, max |ours - tflite| = ${worst.toExponential(3)}`);
    }, 300_000);
  }
});
