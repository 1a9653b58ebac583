import { fail, isFloat, makeTensor, numel, type Graph, type Tensor, type TensorInfo } from '@qtool/ir';
import { readNpy, writeNpy } from '@qtool/frontend';
import { dequantizeGraph } from '@qtool/passes';
import { isArtifactDir, loadArtifact, quantizeValue } from '@qtool/quantizer';
import { runFloat, runInt } from '@qtool/sim';
import { loadPrepared } from '../model.js';

export interface RunOptions {
  input: string[];
  output?: string[];
  float?: boolean;
  dequantize?: boolean;
}

/**
 * `qtool run <model|dir> --input x.npy [--output y.npy]`: a model file runs in the float simulator (quantized
 * TFLite models as their dequantized float graph); a folder written by compile runs in the integer simulator,
 * bit for bit what the generated C computes. A leading batch dimension N on the inputs runs N samples.
 */
export async function run(model: string, opts: RunOptions): Promise<void> {
  const integer = isArtifactDir(model);
  if (integer && opts.float) fail('QT002', '--float runs a model file; this is a compiled folder (the integer model)');
  let g: Graph;
  let declared: TensorInfo[];
  if (integer) {
    g = loadArtifact(model).graph;
    declared = g.inputs.map((i) => g.tensors.get(i)!);
  } else {
    if (opts.dequantize) fail('QT002', '--dequantize applies to a compiled folder (the integer model)');
    const { graph } = loadPrepared(model);
    declared = graph.inputs.map((i) => graph.tensors.get(i)!);
    g = [...graph.tensors.values()].some((t) => !isFloat(t.dtype) && t.quant !== undefined) ? dequantizeGraph.run(graph) : graph;
  }
  if (opts.input.length !== g.inputs.length)
    fail('QT002', `the model has ${g.inputs.length} input(s) (${g.inputs.join(', ')}), got ${opts.input.length} --input file(s)`);
  if (opts.output && opts.output.length !== g.outputs.length)
    fail('QT002', `the model has ${g.outputs.length} output(s) (${g.outputs.join(', ')}), got ${opts.output.length} --output file(s)`);
  const batches = opts.input.map((p, k) => splitBatch(readNpy(p), declared[k]!, p));
  const n = batches[0]!.length;
  if (batches.some((b) => b.length !== n)) fail('QT302', `inputs disagree on the batch size (${batches.map((b) => b.length).join(' vs ')})`);
  const results: Tensor[][] = g.outputs.map(() => []);
  for (let s = 0; s < n; s++) {
    const feeds = new Map(g.inputs.map((name, k) => [name, toModelInput(batches[k]![s]!, declared[k]!, g.tensors.get(name)!)]));
    const outs = integer ? runInt(g, feeds) : runFloat(g, feeds);
    g.outputs.forEach((o, k) => results[k]!.push(outs.get(o)!));
  }
  let stacked = results.map((list) => stack(list));
  if (integer && opts.dequantize) stacked = stacked.map((t, k) => dequantizeTensor(t, g.tensors.get(g.outputs[k]!)!));
  if (opts.output) {
    stacked.forEach((t, k) => writeNpy(opts.output![k]!, t));
    return;
  }
  g.outputs.forEach((o, k) => process.stdout.write(describe(o, stacked[k]!, n)));
}

/** Splits an input file into samples of the model's input shape (batch 1 models accept a leading N). */
function splitBatch(t: Tensor, want: TensorInfo, file: string): Tensor[] {
  const ws = want.shape;
  const sameRank = t.shape.length === ws.length;
  if (sameRank && t.shape.every((d, i) => d === ws[i])) return [t];
  if (sameRank && ws[0] === 1 && t.shape.slice(1).every((d, i) => d === ws[i + 1])) {
    const per = numel(ws);
    return Array.from({ length: t.shape[0]! }, (_, s) => makeTensor(t.dtype, ws, t.data.slice(s * per, (s + 1) * per) as never));
  }
  if (t.shape.length === ws.length - 1 && ws[0] === 1 && t.shape.every((d, i) => d === ws[i + 1])) return [makeTensor(t.dtype, ws, t.data)];
  fail('QT302', `${file}: shape [${t.shape}] does not fit model input '${want.name}' [${ws}] (a leading batch dimension is allowed)`);
}

/**
 * Brings one sample to what the graph takes. Integer model: float data is quantized with the input's
 * parameters (ties away from zero), integer data of the input's type is used as-is. Float model: integer data
 * for a quantized input is dequantized, anything else converted to float32.
 */
function toModelInput(t: Tensor, declared: TensorInfo, runtime: TensorInfo): Tensor {
  if (t.dtype === runtime.dtype) return t;
  const q = declared.quant;
  if (!isFloat(runtime.dtype)) {
    if (!isFloat(t.dtype) || !q) fail('QT302', `input '${runtime.name}' wants ${runtime.dtype}; the file holds ${t.dtype}`);
    const out = new Int8Array(t.data.length);
    const aq = { dtype: 'int8' as const, scale: q.scale[0]!, zeroPoint: q.zeroPoint[0]! };
    for (let i = 0; i < out.length; i++) out[i] = quantizeValue(Number(t.data[i]), aq);
    return makeTensor(runtime.dtype, runtime.shape, out);
  }
  if (!isFloat(declared.dtype) && q && t.dtype === declared.dtype) {
    const out = new Float32Array(t.data.length);
    for (let i = 0; i < out.length; i++) out[i] = q.scale[0]! * (Number(t.data[i]) - q.zeroPoint[0]!);
    return makeTensor('float32', runtime.shape, out);
  }
  return makeTensor('float32', runtime.shape, Float32Array.from(t.data as ArrayLike<number>, Number));
}

function dequantizeTensor(t: Tensor, info: TensorInfo): Tensor {
  const q = info.quant;
  if (!q) return t;
  return makeTensor('float32', t.shape, Float32Array.from(t.data as ArrayLike<number>, (v) => q.scale[0]! * (Number(v) - q.zeroPoint[0]!)));
}

function stack(list: Tensor[]): Tensor {
  if (list.length === 1) return list[0]!;
  const first = list[0]!;
  const rest = first.shape[0] === 1 ? first.shape.slice(1) : first.shape;
  const out = makeTensor(first.dtype, [list.length, ...rest]);
  const per = first.data.length;
  list.forEach((t, s) => (out.data as Float32Array).set(t.data as Float32Array, s * per));
  return out;
}

function describe(name: string, t: Tensor, n: number): string {
  const per = t.data.length / n;
  const lines = [`${name}: ${t.dtype}[${t.shape.join(',')}]`];
  for (let s = 0; s < Math.min(n, 10); s++) {
    const v = Array.from(t.data.subarray(s * per, (s + 1) * per) as ArrayLike<number>, Number);
    let best = 0;
    v.forEach((x, i) => (x > v[best]! ? (best = i) : 0));
    const shown = v.slice(0, 10).map((x) => Number(x.toPrecision(6)));
    lines.push(`  [${s}] argmax ${best}  ${JSON.stringify(shown)}${v.length > 10 ? ` ... (${v.length} values)` : ''}`);
  }
  if (n > 10) lines.push(`  ... ${n - 10} more samples (use --output to save them all)`);
  return lines.join('\n') + '\n';
}
