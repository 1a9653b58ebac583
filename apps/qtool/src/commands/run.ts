import { fail, isFloat, makeTensor, numel, type Graph, type Tensor, type TensorInfo } from '@qtool/ir';
import { readNpy, writeNpy } from '@qtool/frontend';
import { dequantizeGraph } from '@qtool/passes';
import { runFloat } from '@qtool/sim';
import { loadPrepared } from '../model.js';

export interface RunOptions {
  input: string[];
  output?: string[];
  float?: boolean;
}

/**
 * `qtool run <model> --input x.npy [--output y.npy] [--float]`: the float reference simulator on a model file.
 * A leading batch dimension N on the inputs (model batch 1) runs N samples; outputs are stacked the same way.
 * Quantized models (TFLite int8) run as their dequantized float graph; integer inputs for them are
 * dequantized with the model's input parameters.
 */
export async function run(model: string, opts: RunOptions): Promise<void> {
  const { graph } = loadPrepared(model);
  const declared = graph.inputs.map((i) => graph.tensors.get(i)!);
  const g = needsDequantize(graph) ? dequantizeGraph.run(graph) : graph;
  if (opts.input.length !== g.inputs.length)
    fail('QT002', `the model has ${g.inputs.length} input(s) (${g.inputs.join(', ')}), got ${opts.input.length} --input file(s)`);
  if (opts.output && opts.output.length !== g.outputs.length)
    fail('QT002', `the model has ${g.outputs.length} output(s) (${g.outputs.join(', ')}), got ${opts.output.length} --output file(s)`);
  const tensors = opts.input.map((p) => readNpy(p));
  const batches = tensors.map((t, k) => splitBatch(t, declared[k]!, opts.input[k]!));
  const n = batches[0]!.length;
  if (batches.some((b) => b.length !== n)) fail('QT302', `inputs disagree on the batch size (${batches.map((b) => b.length).join(' vs ')})`);
  const results: Tensor[][] = g.outputs.map(() => []);
  for (let s = 0; s < n; s++) {
    const feeds = new Map(g.inputs.map((name, k) => [name, toModelInput(batches[k]![s]!, declared[k]!, g.tensors.get(name)!)]));
    const outs = runFloat(g, feeds);
    g.outputs.forEach((o, k) => results[k]!.push(outs.get(o)!));
  }
  const stacked = results.map((list) => stack(list));
  if (opts.output) {
    stacked.forEach((t, k) => writeNpy(opts.output![k]!, t));
    return;
  }
  g.outputs.forEach((o, k) => process.stdout.write(describe(o, stacked[k]!, n)));
}

function needsDequantize(g: Graph): boolean {
  return [...g.tensors.values()].some((t) => !isFloat(t.dtype) && t.quant !== undefined);
}

/** Splits an input file into samples of the model's input shape (batch 1 models accept a leading N). */
function splitBatch(t: Tensor, want: TensorInfo, file: string): Tensor[] {
  const ws = want.shape;
  const sameRank = t.shape.length === ws.length;
  if (sameRank && t.shape.every((d, i) => d === ws[i])) return [t];
  if (sameRank && ws[0] === 1 && t.shape.slice(1).every((d, i) => d === ws[i + 1])) {
    const per = numel(ws);
    return Array.from({ length: t.shape[0]! }, (_, s) => makeTensor(t.dtype, ws, t.data.subarray(s * per, (s + 1) * per) as never));
  }
  if (t.shape.length === ws.length - 1 && ws[0] === 1 && t.shape.every((d, i) => d === ws[i + 1])) return [makeTensor(t.dtype, ws, t.data)];
  fail('QT302', `${file}: shape [${t.shape}] does not fit model input '${want.name}' [${ws}] (a leading batch dimension is allowed)`);
}

/** Brings one sample to the dtype the (possibly dequantized) graph takes. */
function toModelInput(t: Tensor, declared: TensorInfo, runtime: TensorInfo): Tensor {
  if (t.dtype === runtime.dtype) return t;
  const q = declared.quant;
  if (!isFloat(declared.dtype) && q && t.dtype === declared.dtype) {
    // integer data for a quantized input: real = scale * (q - zeroPoint)
    const out = new Float32Array(t.data.length);
    for (let i = 0; i < out.length; i++) out[i] = q.scale[0]! * (Number(t.data[i]) - q.zeroPoint[0]!);
    return makeTensor('float32', runtime.shape, out);
  }
  if (isFloat(runtime.dtype)) return makeTensor('float32', runtime.shape, Float32Array.from(t.data as ArrayLike<number>, Number));
  fail('QT302', `input '${runtime.name}' wants ${runtime.dtype}, the file holds ${t.dtype}`);
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
