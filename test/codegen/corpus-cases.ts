import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTensor, numel, type Graph } from '@qtool/ir';
import { encodeNpy, loadTensorProto } from '@qtool/frontend';
import { decodeBmp, quantizeValue } from '@qtool/quantizer';
import { compile, type CompileOptions } from '../../apps/qtool/src/commands/compile.js';
import { corpus } from '../support/corpus.js';
import { parseCArrays, rng } from '../tflite/helpers.js';

// The corpus models the codegen tests compile, and how: float models through our quantizer (calibrated on
// the corpus samples plus seeded random inputs in the model's input range), int8 models with --keep-quant.
// Each case also says which int8 inputs to run: its corpus samples, quantized, then seeded random bytes.

export interface CorpusCase {
  label: string;
  file: string;
  mode: 'ours' | 'keep-quant';
  /** for 'ours': the float input range the model was trained on (random calibration samples are drawn in it) */
  range?: [number, number];
  /** float samples in the model's input layout (ours), or int8 samples (keep-quant) */
  samples(): Float32Array[] | Int8Array[];
  /** extra compile options, each with the reason in `why` */
  options?: Partial<CompileOptions>;
  why?: string;
}

const vwwGray = () =>
  parseCArrays(corpus('mlperf-tiny/vww/vww_inputs.cc')).map((gray) => {
    // gray pixels in [-1, 1]; the models take RGB in [0, 1] (test/tflite/float-models.test.ts)
    const rgb = new Float32Array(gray.length * 3);
    gray.forEach((v, i) => rgb.fill((v + 1) / 2, 3 * i, 3 * i + 3));
    return rgb;
  });

/** person_detection's test images, grayscale 96x96; the int8 model takes pixel - 128 (TFLM example). */
const personImages = () =>
  ['person.bmp', 'no_person.bmp'].map((f) => {
    const img = decodeBmp(new Uint8Array(readFileSync(corpus('tflite-micro/examples/person_detection/testdata', f))), f);
    return Int8Array.from({ length: img.width * img.height }, (_, i) => img.data[i * img.channels]! - 128);
  });

export const corpusCases: CorpusCase[] = [
  {
    label: 'MNIST-8',
    file: 'onnx-mnist8/model.onnx',
    mode: 'ours',
    range: [0, 255],
    samples: () => [0, 1, 2].map((k) => Float32Array.from(loadTensorProto(corpus(`onnx-mnist8/test_data_set_${k}/input_0.pb`)).data as Float32Array)),
  },
  {
    label: 'hello_world',
    file: 'tflite-micro/examples/hello_world/models/hello_world_float.tflite',
    mode: 'ours',
    range: [0, 2 * Math.PI],
    samples: () => [0, Math.PI / 2, Math.PI, (3 * Math.PI) / 2].map((x) => Float32Array.of(x)),
  },
  {
    label: 'MLPerf IC',
    file: 'mlperf-tiny/ic/pretrainedResnet.tflite',
    mode: 'ours',
    range: [0, 255],
    samples: () => parseCArrays(corpus('mlperf-tiny/ic/ic_inputs.cc')).map((a) => Float32Array.from(a)),
  },
  {
    label: 'MLPerf VWW',
    file: 'mlperf-tiny/vww/vww_96_float.tflite',
    mode: 'ours',
    range: [0, 1],
    samples: vwwGray,
    // per-channel (the default): in the 1x1 convs after depthwise blocks 5 and 6, 20+ output channels are dead
    // (weights within +-7e-30) but keep a bias; the quantizer floors their scale so the bias stays in int32
  },
  { label: 'hello_world', file: 'tflite-micro/examples/hello_world/models/hello_world_int8.tflite', mode: 'keep-quant', samples: () => [] },
  // micro_speech's samples are wav files that need the audio front end (custom Signal ops): random inputs only
  { label: 'micro_speech', file: 'tflite-micro/examples/micro_speech/models/micro_speech_quantized.tflite', mode: 'keep-quant', samples: () => [] },
  { label: 'person_detect', file: 'tflite-micro/models/person_detect.tflite', mode: 'keep-quant', samples: personImages },
  { label: 'MLPerf IC', file: 'mlperf-tiny/ic/pretrainedResnet_quant.tflite', mode: 'keep-quant', samples: () => [] },
  // the interpreter flavour rounds conv and fully-connected once: another requantization path through the C
  {
    label: 'MLPerf IC',
    file: 'mlperf-tiny/ic/pretrainedResnet_quant.tflite',
    mode: 'keep-quant',
    samples: () => [],
    options: { keepQuant: 'interpreter' },
  },
  { label: 'MLPerf VWW', file: 'mlperf-tiny/vww/vww_96_int8.tflite', mode: 'keep-quant', samples: () => [] },
  // two inputs: exercises host_main's concatenated multi-input samples
  { label: 'simple_add', file: 'tflite-micro/examples/memory_footprint/models/simple_add_model.tflite', mode: 'keep-quant', samples: () => [] },
];

/** The case's mode as the tables print it. */
export const modeOf = (c: CorpusCase) =>
  c.mode === 'ours' ? `ours${c.options?.granularity === 'tensor' ? ' per-tensor' : ''}` : `keep-quant ${c.options?.keepQuant ?? 'reference'}`;

/** The compile options of a case (before calibration, output and target). */
export const optionsOf = (c: CorpusCase): CompileOptions => ({ keepQuant: c.mode === 'keep-quant' ? true : undefined, ...c.options });

/** Seeded uniform float samples in [lo, hi), each of n values. */
export function uniformSamples(seed: number, count: number, n: number, [lo, hi]: [number, number]): Float32Array[] {
  const r = rng(seed);
  return Array.from({ length: count }, () => Float32Array.from({ length: n }, () => lo + (hi - lo) * r()));
}

/** Writes the calibration batch (corpus samples + seeded random) as one .npy and returns its path. */
export function writeCalibration(c: CorpusCase, dir: string, shape: number[]): string {
  const n = numel(shape);
  const samples = [...(c.samples() as Float32Array[]), ...uniformSamples(0xca1b, 6, n, c.range!)];
  const batch = new Float32Array(samples.length * n);
  samples.forEach((s, k) => batch.set(s, k * n));
  const path = join(dir, 'calib.npy');
  writeFileSync(path, encodeNpy(makeTensor('float32', [samples.length, ...shape.slice(1)], batch)));
  return path;
}

/**
 * `count` int8 samples per input of the compiled graph: the case's corpus samples (float ones quantized with
 * the input's parameters; only for single-input models), then seeded random bytes.
 */
export function int8Samples(c: CorpusCase, g: Graph, count: number, seed: number): Int8Array[][] {
  const r = rng(seed);
  const infos = g.inputs.map((i) => g.tensors.get(i)!);
  const fromCorpus: Int8Array[][] = (c.samples() as (Float32Array | Int8Array)[]).map((s) => {
    if (s instanceof Int8Array) return [s];
    const q = infos[0]!.quant!;
    const aq = { dtype: 'int8' as const, scale: q.scale[0]!, zeroPoint: q.zeroPoint[0]! };
    return [Int8Array.from(s, (v) => quantizeValue(v, aq))];
  });
  const random = Array.from({ length: count - fromCorpus.length }, () => infos.map((t) => Int8Array.from({ length: numel(t.shape) }, () => Math.floor(r() * 256) - 128)));
  return [...fromCorpus, ...random].slice(0, count);
}

/** Runs the CLI's compile in-process with its stdout table and stderr progress held back (returned on failure). */
export async function compileQuietly(model: string, opts: CompileOptions): Promise<string> {
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  let text = '';
  const hold = ((s: string | Uint8Array) => ((text += String(s)), true)) as typeof process.stdout.write;
  process.stdout.write = hold;
  process.stderr.write = hold;
  try {
    await compile(model, opts);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  return text;
}

/** The C files of a compiled folder that go into a firmware image (everything but the host runner). */
export const firmwareSources = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.c') && f !== 'host_main.c').sort();

export const CORTEX_M4 = ['-mcpu=cortex-m4', '-mthumb'];
export const STRICT = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic', '-O2'];

/** arm-none-eabi-gcc -c with the strict flags on every firmware source of dir (one compiler process). */
export function buildArmObjects(dir: string, extra: string[] = []): string[] {
  const sources = firmwareSources(dir);
  execFileSync('arm-none-eabi-gcc', [...CORTEX_M4, ...STRICT, ...extra, '-c', ...sources], { cwd: dir, stdio: 'pipe' });
  return sources.map((s) => join(dir, s.replace(/\.c$/, '.o')));
}
