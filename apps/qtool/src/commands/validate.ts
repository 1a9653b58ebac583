import { fail, makeTensor, numel, type Tensor } from '@qtool/ir';
import { readNpy } from '@qtool/frontend';
import { quantizeValue } from '@qtool/quantizer';
import { runFloat, runInt } from '@qtool/sim';
import { quantizeModel, type QuantizeCliOptions } from '../quantize.js';
import { table } from '../table.js';

export interface ValidateOptions extends QuantizeCliOptions {
  data: string;
  labels?: string;
  limit?: string;
}

export interface ValidateResult {
  samples: number;
  floatAccuracy?: number;
  intAccuracy?: number;
  agreement: number;
  layers: { name: string; op: string; sqnr: number }[];
}

/** SQNR in dB of y (dequantized integer) against x (float): 10 log10(sum x^2 / sum (x - y)^2). */
export function sqnr(signal: number, noise: number): number {
  if (noise === 0) return Infinity;
  return 10 * Math.log10(signal / noise);
}

function argmax(d: ArrayLike<number>): number {
  let b = 0;
  for (let i = 1; i < d.length; i++) if (Number(d[i]) > Number(d[b])) b = i;
  return b;
}

/** Float vs integer on labelled samples: accuracy, top-1 agreement, per-layer SQNR. */
export function validateModel(model: string, opts: ValidateOptions, log: (s: string) => void = () => {}): ValidateResult {
  const { artifact, float } = quantizeModel(model, opts, log);
  const g = artifact.graph;
  if (float.inputs.length !== 1) fail('QT002', 'validate feeds one input');
  const fin = float.tensors.get(float.inputs[0]!)!;
  const iin = g.tensors.get(g.inputs[0]!)!;
  const data = readNpy(opts.data);
  const per = numel(fin.shape);
  let n = data.data.length / per;
  if (!Number.isInteger(n)) fail('QT302', `${opts.data}: [${data.shape}] is not a batch of model inputs [${fin.shape}]`);
  if (opts.limit) n = Math.min(n, Number(opts.limit));
  const labels = opts.labels ? readNpy(opts.labels) : undefined;
  if (labels && labels.data.length < n) fail('QT302', `${opts.labels}: ${labels.data.length} labels for ${n} samples`);
  const sig = new Map<string, number>();
  const noise = new Map<string, number>();
  let fOk = 0;
  let iOk = 0;
  let agree = 0;
  const aq = { dtype: 'int8' as const, scale: iin.quant!.scale[0]!, zeroPoint: iin.quant!.zeroPoint[0]! };
  for (let s = 0; s < n; s++) {
    const x = Float32Array.from({ length: per }, (_, i) => Number(data.data[s * per + i]));
    const xq = Int8Array.from(x, (v) => quantizeValue(v, aq));
    const fv = runFloat(float, new Map([[fin.name, makeTensor('float32', fin.shape, x)]]), { keepIntermediates: true });
    const iv = runInt(g, new Map([[iin.name, makeTensor('int8', iin.shape, xq)]]), { keepIntermediates: true });
    for (const node of g.nodes) {
      const name = node.outputs[0]!;
      const f = fv.get(name);
      const q = iv.get(name);
      const info = g.tensors.get(name)!;
      if (!f || !q || !info.quant) continue;
      accumulate(f, q, info.quant.scale[0]!, info.quant.zeroPoint[0]!, name, sig, noise);
    }
    const fo = fv.get(float.outputs[0]!)!.data as ArrayLike<number>;
    const io = iv.get(g.outputs[0]!)!.data as ArrayLike<number>;
    const fa = argmax(fo);
    const ia = argmax(io);
    if (fa === ia) agree++;
    if (labels) {
      const y = Number(labels.data[s]);
      if (fa === y) fOk++;
      if (ia === y) iOk++;
    }
  }
  return {
    samples: n,
    floatAccuracy: labels ? fOk / n : undefined,
    intAccuracy: labels ? iOk / n : undefined,
    agreement: agree / n,
    layers: g.nodes.filter((nd) => sig.has(nd.outputs[0]!)).map((nd) => ({ name: nd.name, op: nd.op, sqnr: sqnr(sig.get(nd.outputs[0]!)!, noise.get(nd.outputs[0]!)!) })),
  };
}

function accumulate(f: Tensor, q: Tensor, scale: number, zp: number, name: string, sig: Map<string, number>, noise: Map<string, number>): void {
  let s = 0;
  let e = 0;
  for (let i = 0; i < f.data.length; i++) {
    const a = Number(f.data[i]);
    const b = scale * (Number(q.data[i]) - zp);
    s += a * a;
    e += (a - b) * (a - b);
  }
  sig.set(name, (sig.get(name) ?? 0) + s);
  noise.set(name, (noise.get(name) ?? 0) + e);
}

export async function validate(model: string, opts: ValidateOptions): Promise<void> {
  const r = validateModel(model, opts, (s) => process.stderr.write(s + '\n'));
  const pct = (v?: number) => (v === undefined ? '-' : `${(v * 100).toFixed(2)}%`);
  process.stdout.write(
    `validated on ${r.samples} samples: float accuracy ${pct(r.floatAccuracy)}, integer accuracy ${pct(r.intAccuracy)}, ` +
      `top-1 agreement ${pct(r.agreement)}\n\n` +
      table(
        ['layer', 'op', 'SQNR dB'],
        r.layers.map((l) => [l.name, l.op, Number.isFinite(l.sqnr) ? l.sqnr.toFixed(1) : 'exact']),
      ),
  );
}
