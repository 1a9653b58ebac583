import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { QtError, dtypeRange, makeTensor, numel, type Graph } from '@qtool/ir';
import { importTflite } from '@qtool/frontend';
import { dequantizeGraph } from '@qtool/passes';
import { runFloat } from '@qtool/sim';
import { bytesOf, corpus, corpusDir, corpusPresent, rng, runTflite } from './helpers.js';

// Every quantized .tflite in the public corpus either imports, or fails with ONE QtError listing every
// unsupported operator (QT121), asserted per model. The models that import are dequantized (dequantizeGraph)
// and run in the float simulator on a random input: outputs must be finite and of the declared shape. Where
// TFLite's interpreter runs the quantized model, the max difference between our dequantized float run and
// TFLite's dequantized integer output is printed (not asserted: it measures quantization error, not a bug).

type Expectation = { imports: true } | { unsupported: string[] } | { importsOrCode: string };

/** The quantized models outside seanet/ (paths under ../shared/corpus), with the distinct unsupported operators. */
const models: Record<string, Expectation> = {
  'tflite-micro/examples/hello_world/models/hello_world_int8.tflite': { imports: true },
  'tflite-micro/examples/micro_speech/models/micro_speech_quantized.tflite': { imports: true },
  'tflite-micro/examples/memory_footprint/models/simple_add_model.tflite': { imports: true },
  'tflite-micro/models/person_detect.tflite': { imports: true },
  'mlperf-tiny/ic/pretrainedResnet_quant.tflite': { imports: true },
  'mlperf-tiny/vww/vww_96_int8.tflite': { imports: true },
  'tflite-micro/examples/mnist_lstm/trained_lstm_int8.tflite': { unsupported: ['UNIDIRECTIONAL_SEQUENCE_LSTM'] },
  'tflite-micro/examples/dtln/dtln_noise_suppression.tflite': { unsupported: ['UNIDIRECTIONAL_SEQUENCE_LSTM'] },
  'tflite-micro/models/keyword_scrambled.tflite': { unsupported: ['SVDF'] },
  'tflite-micro/models/keyword_scrambled_8bit.tflite': { unsupported: ['SVDF'] },
  'tflite-micro/models/person_detect_vela.tflite': { unsupported: ["CUSTOM 'ethos-u'"] },
  'tflite-micro/examples/micro_speech/models/audio_preprocessor_int8.tflite': {
    unsupported: [
      "CUSTOM 'SignalWindow'", 'STRIDED_SLICE', "CUSTOM 'SignalFftAutoScale'", "CUSTOM 'SignalRfft'", "CUSTOM 'SignalEnergy'",
      "CUSTOM 'SignalFilterBank'", "CUSTOM 'SignalFilterBankSquareRoot'", "CUSTOM 'SignalFilterBankSpectralSubtraction'",
      "CUSTOM 'SignalPCAN'", "CUSTOM 'SignalFilterBankLog'", 'CAST', 'MINIMUM', 'MAXIMUM',
    ],
  },
};

/** The float models of the corpus (covered by float-models.test.ts or not quantized), so every file is accounted for. */
const floatModels = new Set([
  'tflite-micro/examples/hello_world/models/hello_world_float.tflite',
  'tflite-micro/examples/micro_speech/models/audio_preprocessor_float.tflite',
  'tflite-micro/examples/mnist_lstm/trained_lstm.tflite',
  'mlperf-tiny/ic/pretrainedResnet.tflite',
  'mlperf-tiny/vww/vww_96_float.tflite',
]);

/** seanet/ holds single-op int16 models, one folder per op. */
const seanet: Record<string, Expectation> = {
  add: { imports: true },
  conv: { imports: true },
  pad: { imports: true },
  quantize: { imports: true },
  sub: { imports: true },
  // The op registry's leaky_relu shape rule takes float only (QT203 for int16) at the time of writing.
  leaky_relu: { importsOrCode: 'QT203' },
  strided_slice: { unsupported: ['STRIDED_SLICE'] },
  transpose_conv: { unsupported: ['TRANSPOSE_CONV'] },
};

function tfliteFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = path.join(dir, e);
    return statSync(p).isDirectory() ? tfliteFiles(p) : p.endsWith('.tflite') ? [p] : [];
  });
}

function expectationOf(rel: string): Expectation | undefined {
  const m = /integration_tests\/seanet\/([^/]+)\//.exec(rel);
  return m ? seanet[m[1]!] : models[rel];
}

const present = corpusPresent('TFLite quantized model tests');

(present ? describe : describe.skip)('TFLite quantized models', () => {
  const files = present ? tfliteFiles(corpusDir).map((f) => path.relative(corpusDir, f).split(path.sep).join('/')).sort() : [];

  it('every .tflite in the corpus is accounted for', () => {
    const unknown = files.filter((f) => !floatModels.has(f) && !expectationOf(f));
    expect(unknown).toEqual([]);
  });

  for (const rel of files.filter((f) => expectationOf(f))) {
    const want = expectationOf(rel)!;
    it(rel, () => {
      const file = corpus(rel);
      let g: Graph;
      try {
        g = importTflite(readFileSync(file), path.basename(file));
      } catch (e) {
        if (!(e instanceof QtError)) throw e;
        if ('importsOrCode' in want && e.code === want.importsOrCode) return;
        if (!('unsupported' in want)) throw e;
        // One error listing every unsupported operator, and nothing else.
        expect(e.diagnostics.every((d) => d.code === 'QT121'), e.message).toBe(true);
        const ops = e.diagnostics.map((d) => d.message.replace(/ \(operator \d+\) is not supported$/, ''));
        expect([...new Set(ops)].sort()).toEqual([...want.unsupported].sort());
        return;
      }
      expect('unsupported' in want, `${rel} imported but was expected to fail`).toBe(false);
      checkDequantizedRun(rel, file, g);
    }, 120_000);
  }
});

/** Dequantized float run on a random input; compare with TFLite's integer run where it runs (printed only). */
function checkDequantizedRun(rel: string, file: string, g: Graph): void {
  const f = dequantizeGraph.run(g);
  const next = rng(0xc0ffee);
  // Random integer inputs in each input's dtype; our float graph gets their exact real values.
  const raw = g.inputs.map((name) => {
    const t = g.tensors.get(name)!;
    const [lo, hi] = t.dtype === 'float32' ? [-1, 1] : dtypeRange(t.dtype);
    const q = Array.from({ length: numel(t.shape) }, () => (t.dtype === 'float32' ? lo + (hi - lo) * next() : Math.floor(lo + (hi - lo + 1) * next())));
    return makeTensor(t.dtype, t.shape, q);
  });
  const feeds = Object.fromEntries(
    g.inputs.map((name, k) => {
      const t = g.tensors.get(name)!;
      const fi = f.tensors.get(name)!;
      const real = Array.from(raw[k]!.data as ArrayLike<number>, (v) => (t.quant ? t.quant.scale[0]! * (v - t.quant.zeroPoint[0]!) : v));
      return [name, makeTensor(fi.dtype, fi.shape, real)];
    }),
  );
  for (const name of f.inputs) expect(f.tensors.get(name)!.dtype).toBe('float32');
  const outs = runFloat(f, feeds);
  for (const name of f.outputs) {
    const t = outs.get(name)!;
    expect(t.shape).toEqual(g.tensors.get(name)!.shape);
    expect(Array.from(t.data as Float32Array).every(Number.isFinite), `${rel}: output '${name}' has non-finite values`).toBe(true);
  }

  const ref = runTflite(file, [raw.map((t) => bytesOf(t))]);
  if ('error' in ref) {
    console.log(`${rel}: TFLite cannot run it (${ref.error.split('\n')[0]}); no comparison`);
    return;
  }
  const parts = g.outputs.map((name, k) => {
    const q = g.tensors.get(name)!.quant;
    const theirs = ref.results[0]![k]!.map((v) => (q ? q.scale[0]! * (v - q.zeroPoint[0]!) : v));
    // The integer model saturates at its output type's range (random full-range inputs often reach it): clamp
    // ours the same way so the difference shows quantization error rather than saturation.
    const [lo, hi] = q ? dtypeRange(g.tensors.get(name)!.dtype).map((v) => q.scale[0]! * (v - q.zeroPoint[0]!)) : [-Infinity, Infinity];
    const ours = Array.from(outs.get(name)!.data as Float32Array, (v) => Math.min(hi!, Math.max(lo!, v)));
    let diff = 0;
    let scale = 0;
    theirs.forEach((v, i) => {
      diff = Math.max(diff, Math.abs(ours[i]! - v));
      scale = Math.max(scale, Math.abs(v));
    });
    const steps = q ? ` (${(diff / q.scale[0]!).toFixed(1)} output steps)` : '';
    return `output ${k} max|diff| ${diff.toExponential(3)}${steps}, max|tflite| ${scale.toExponential(3)}`;
  });
  console.log(`${rel}: dequantized float (clamped to the output range) vs TFLite int: ${parts.join('; ')}`);
}
