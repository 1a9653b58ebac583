import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fail, isFloat, makeTensor, numel, type Graph, type Tensor } from '@qtool/ir';
import type { QuantizeOptions } from '@qtool/ops';
import { dequantizeGraph } from '@qtool/passes';
import { calibrate, formChains, loadSamples, quantizeGraph, quantizeKeep, type Artifact, type CalibrationMethod, type ChainMode, type ChainRefusal, type ChainReport, type Ranges } from '@qtool/quantizer';
import { loadPrepared } from './model.js';
import { progress } from './progress.js';

// compile's quantization step, shared with validate and bench: model file + options -> integer artifact.

export const exampleModel = resolve(dirname(fileURLToPath(import.meta.url)), '../../../examples/digits/digits_cnn.onnx');
export const exampleCalib = resolve(dirname(fileURLToPath(import.meta.url)), '../../../examples/digits/calib.npy');

export interface QuantizeCliOptions {
  calib?: string;
  calibMethod?: string;
  calibCount?: string;
  calibScale?: string;
  calibMean?: string;
  bits?: string;
  granularity?: string;
  anchor?: string;
  rounding?: string;
  keepQuant?: boolean | string;
  /** consecutive-layer chains (compile's --chain): 'off' or 'auto' */
  chain?: string;
}

/** The default of --chain, decided by measurement (bench/chain.ts; docs/arithmetic.md, Chains). */
export const DEFAULT_CHAIN: ChainMode = 'off';

export function parseChainMode(v: string | undefined): ChainMode {
  const mode = v ?? DEFAULT_CHAIN;
  if (mode !== 'off' && mode !== 'auto') fail('QT002', `--chain must be off or auto, got '${mode}'`);
  return mode;
}

const TOOL = 'qtool 0.1.0';

export function parseQuantOptions(o: QuantizeCliOptions): Partial<QuantizeOptions> {
  const bits = o.bits === undefined ? 8 : Number(o.bits);
  if (!Number.isInteger(bits) || bits < 2 || bits > 8) fail('QT002', `--bits must be an integer 2..8, got '${o.bits}'`);
  const granularity = o.granularity ?? 'channel';
  if (granularity !== 'tensor' && granularity !== 'channel') fail('QT002', `--granularity must be tensor or channel, got '${granularity}'`);
  const anchor = o.anchor ?? 'min';
  if (anchor !== 'min' && anchor !== 'max') fail('QT002', `--anchor must be min or max, got '${anchor}'`);
  const rounding = o.rounding ?? 'offset';
  if (rounding !== 'offset' && rounding !== 'shifted') fail('QT002', `--rounding must be offset or shifted, got '${rounding}'`);
  if (o.keepQuant && (o.bits !== undefined || o.granularity !== undefined || o.anchor !== undefined))
    fail('QT002', '--keep-quant keeps the model\'s own parameters: --bits, --granularity and --anchor do not apply');
  return { bits, granularity, anchor, rounding };
}

/** A deterministic stand-in for calibration data when none is given (with a loud warning). */
function randomSamples(g: Graph, count: number): Map<string, Tensor>[] {
  let a = 12345;
  const r = () => {
    a = (Math.imul(a, 1103515245) + 12345) >>> 0;
    return a / 4294967296;
  };
  return Array.from({ length: count }, () => new Map(g.inputs.map((i) => {
    const t = g.tensors.get(i)!;
    return [i, makeTensor('float32', t.shape, Float32Array.from({ length: numel(t.shape) }, r))];
  })));
}

export interface Quantized {
  artifact: Artifact;
  float: Graph;
  samples: Map<string, Tensor>[];
  ranges?: Ranges;
  /** the chains formed (--chain auto) and the candidates the bound refused; empty with --chain off */
  chains: ChainReport[];
  chainsRefused: ChainRefusal[];
}

/** Model file -> integer artifact (our scheme with calibration, or --keep-quant). */
export function quantizeModel(modelPath: string, o: QuantizeCliOptions, log: (s: string) => void = () => {}): Quantized {
  const opts = parseQuantOptions(o);
  const chainMode = parseChainMode(o.chain);
  const { raw, graph } = loadPrepared(modelPath);
  const sha256 = createHash('sha256').update(readFileSync(modelPath)).digest('hex');
  const quantized = [...raw.tensors.values()].some((t) => t.quant && !isFloat(t.dtype));
  const float = quantized ? dequantizeGraph.run(graph) : graph;
  const source = { file: basename(modelPath), sha256, format: raw.source?.format ?? 'unknown' };
  if (o.keepQuant) {
    if (!quantized) fail('QT400', '--keep-quant needs a model that is already quantized (TFLite int8); this one is float');
    const flavor = o.keepQuant === true ? 'reference' : o.keepQuant;
    if (flavor !== 'reference' && flavor !== 'interpreter') fail('QT002', `--keep-quant takes 'reference' or 'interpreter', got '${flavor}'`);
    const g = quantizeKeep(graph, opts, flavor);
    return { artifact: { meta: { tool: TOOL, source, options: { ...opts, mode: 'tflite', bits: 8, granularity: 'channel', anchor: 'min', rounding: 'offset', calibration: `kept from the model (TFLite ${flavor} rounding)` } }, graph: g }, float, samples: [], chains: [], chainsRefused: [] };
  }
  const count = o.calibCount === undefined ? 500 : Number(o.calibCount);
  if (!Number.isInteger(count) || count < 1) fail('QT002', `--calib-count must be a positive integer, got '${o.calibCount}'`);
  let samples: Map<string, Tensor>[];
  let calibration: string;
  if (o.calib) {
    if (float.inputs.length !== 1) fail('QT401', `--calib feeds one input; this model has ${float.inputs.length}`);
    const input = float.tensors.get(float.inputs[0]!)!;
    const scale = o.calibScale === undefined ? 1 / 255 : Number(o.calibScale);
    const mean = o.calibMean === undefined ? [0] : o.calibMean.split(',').map(Number);
    if (!Number.isFinite(scale) || mean.some((m) => !Number.isFinite(m))) fail('QT002', '--calib-scale and --calib-mean take numbers');
    samples = loadSamples(o.calib, input, { scale, mean }, count).map((t) => new Map([[input.name, t]]));
    calibration = `${basename(o.calib)} (${samples.length} samples, ${o.calibMethod ?? 'minmax'})`;
  } else {
    log(`warning: no --calib given: calibrating on 32 seeded random inputs in [0, 1); pass real samples for real accuracy`);
    samples = randomSamples(float, 32);
    calibration = 'random (32 seeded samples in [0,1))';
  }
  const method = (o.calibMethod ?? 'minmax') as CalibrationMethod;
  if (!['minmax', 'moving-average', 'percentile', 'mse', 'kl'].includes(method))
    fail('QT002', `--calib-method must be minmax, moving-average, percentile, mse or kl, got '${method}'`);
  const bar = progress('calibrating');
  const ranges = calibrate(float, samples, { method, onProgress: (d, t) => bar.update(d, t) });
  bar.stop();
  const full: QuantizeOptions = { ...(opts as QuantizeOptions), mode: 'qtool' };
  let g = quantizeGraph(float, ranges, opts);
  let chains: ChainReport[] = [];
  let chainsRefused: ChainRefusal[] = [];
  if (chainMode === 'auto') ({ graph: g, chains, refused: chainsRefused } = formChains(g, float, full, ranges));
  return { artifact: { meta: { tool: TOOL, source, options: { ...full, calibration } }, graph: g }, float, samples, ranges, chains, chainsRefused };
}
