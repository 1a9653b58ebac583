// Consecutive-layer chains (issue 6), --chain off vs --chain auto, one table:
//   npx tsx bench/chain.ts [--limit N] [--bits 8,4,3] [--no-board] [--json FILE]
// For the bundled digits CNN, MNIST-8 and MLPerf IC (float ResNet-8): accuracy of the integer simulator (the
// bit-exact spec the C matches) vs float, instructions per inference on mps2-an386 (Cortex-M4 under QEMU, the
// instruction-count plugin of @qtool/firmware; exact and repeatable), arena and scratch bytes of the generated C,
// and the chains formed with their proven bound. Data: digits on its 360 held-out samples (calibrated on 200
// training digits); MNIST-8 on the MNIST test set (first N, default 2000; calibrated on 500 training images);
// MLPerf IC has no labelled CIFAR-10 here, so its column is top-1 agreement with the float model over the corpus
// sample and seeded uniform images (calibrated as the corpus tests do: the sample + 6 uniform images).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { emitModel, targets } from '@qtool/codegen';
import { benchFirmware } from '@qtool/firmware';
import { loadModel } from '@qtool/frontend';
import { makeTensor, numel, type Graph } from '@qtool/ir';
import type { QuantizeOptions } from '@qtool/ops';
import { runPasses } from '@qtool/passes';
import { calibrate, formChains, quantizeGraph, quantizeValue, type ChainReport } from '@qtool/quantizer';
import { runFloat, runInt } from '@qtool/sim';
import { corpusCases, uniformSamples } from '../test/codegen/corpus-cases.js';
import { digits, mnist, repoRoot, type DataSet } from './data.js';

const args = process.argv.slice(2);
const opt = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
const limit = Number(opt('--limit') ?? 2000);
const bitList = (opt('--bits') ?? '8,4').split(',').map(Number);
const onBoard = !args.includes('--no-board');
const jsonOut = opt('--json');
const BOARD = 'mps2-an386';

interface Bench {
  label: string;
  graph: Graph;
  calib: Float32Array[];
  test: DataSet;
  /** 'accuracy' against labels, or 'agreement' with the float model's top-1 */
  metric: 'accuracy' | 'agreement';
}

function argmax(d: ArrayLike<number>): number {
  let b = 0;
  for (let i = 1; i < d.length; i++) if (Number(d[i]) > Number(d[b])) b = i;
  return b;
}

function models(): Bench[] {
  const list: Bench[] = [];
  const dg = runPasses(loadModel(join(repoRoot, 'examples/digits/digits_cnn.onnx')));
  const dt = digits('test');
  list.push({ label: 'digits CNN (example)', graph: dg, calib: digits('train').images.slice(0, 200), test: { images: dt.images.slice(0, limit), labels: dt.labels.slice(0, limit) }, metric: 'accuracy' });
  const mg = runPasses(loadModel(resolve(repoRoot, '../shared/corpus/onnx-mnist8/model.onnx')));
  list.push({ label: 'MNIST-8', graph: mg, calib: mnist('train', 500).images, test: mnist('test', limit), metric: 'accuracy' });
  const ic = corpusCases.find((c) => c.label === 'MLPerf IC' && c.mode === 'ours')!;
  const ig = runPasses(loadModel(resolve(repoRoot, '../shared/corpus', ic.file)));
  const n = numel(ig.tensors.get(ig.inputs[0]!)!.shape);
  const sample = ic.samples() as Float32Array[];
  const images = [...sample, ...uniformSamples(0x1c, Math.min(limit, 40), n, ic.range!)];
  list.push({ label: 'MLPerf IC (float ResNet-8)', graph: ig, calib: [...sample, ...uniformSamples(0xca1b, 6, n, ic.range!)], test: { images, labels: [] }, metric: 'agreement' });
  return list;
}

interface Row {
  model: string;
  bits: number;
  chain: 'off' | 'auto';
  /** the kernel family the Cortex-M4 target picks ('dsp' when the fast kernels are in), or portable C forced */
  kernels: string;
  metric: string;
  score: number;
  floatScore: number;
  instructions: number | null;
  arenaBytes: number;
  scratchBytes: number;
  constBytes: number;
  chains: Pick<ChainReport, 'layers' | 'bound' | 'marginBits'>[];
  refused: number;
}

const rows: Row[] = [];
const work = join(tmpdir(), `qtool-bench-chain-${process.pid}`);
mkdirSync(work, { recursive: true });
try {
  for (const m of models()) {
    const g = m.graph;
    const input = g.tensors.get(g.inputs[0]!)!;
    const feed = (x: Float32Array) => new Map([[input.name, makeTensor('float32', input.shape, x)]]);
    const floatPred = m.test.images.map((x) => argmax(runFloat(g, feed(x)).get(g.outputs[0]!)!.data as Float32Array));
    const floatScore = m.metric === 'accuracy' ? floatPred.filter((p, i) => p === m.test.labels[i]).length / floatPred.length : 1;
    const ranges = calibrate(g, m.calib.map(feed));
    for (const bits of bitList) {
      const opts: QuantizeOptions = { mode: 'qtool', bits, granularity: 'channel', anchor: 'min', rounding: 'offset' };
      const plain = quantizeGraph(g, ranges, opts);
      const chained = formChains(plain, g, opts, ranges);
      const configs = [
        { chain: 'off' as const, target: targets['cortex-m4'] },
        ...(targets['cortex-m4'].kernels !== 'portable' ? [{ chain: 'off' as const, target: { ...targets['cortex-m4'], kernels: 'portable' as const } }] : []),
        { chain: 'auto' as const, target: targets['cortex-m4'] },
      ];
      for (const { chain, target } of configs) {
        const q = chain === 'auto' ? chained.graph : plain;
        const qin = q.tensors.get(q.inputs[0]!)!;
        const aq = { dtype: 'int8' as const, scale: qin.quant!.scale[0]!, zeroPoint: qin.quant!.zeroPoint[0]! };
        let ok = 0;
        m.test.images.forEach((x, i) => {
          const xq = makeTensor('int8', qin.shape, Int8Array.from(x, (v) => quantizeValue(v, aq)));
          const p = argmax(runInt(q, new Map([[qin.name, xq]])).get(q.outputs[0]!)!.data as Int8Array);
          if (p === (m.metric === 'accuracy' ? m.test.labels[i] : floatPred[i])) ok++;
        });
        const name = 'model';
        const emitted = emitModel({ graph: q, name, target, tool: 'qtool-bench', sourceFile: m.label, sourceSha256: '0'.repeat(64), options: `--bits ${bits} --chain ${chain}` });
        let instructions: number | null = null;
        if (onBoard) {
          const dir = join(work, `${rows.length}`);
          mkdirSync(dir, { recursive: true });
          for (const [f, text] of emitted.files) writeFileSync(join(dir, f), text);
          writeFileSync(join(dir, 'report.json'), JSON.stringify({ codegenLayers: emitted.layers }));
          instructions = (await benchFirmware({ modelDir: dir, board: BOARD })).instructions;
        }
        rows.push({
          model: m.label,
          bits,
          chain,
          kernels: target.kernels,
          metric: m.metric,
          score: ok / m.test.images.length,
          floatScore,
          instructions,
          arenaBytes: emitted.arenaBytes,
          scratchBytes: emitted.scratchBytes,
          constBytes: emitted.constBytes,
          chains: chain === 'auto' ? chained.chains.map((c) => ({ layers: c.layers, bound: c.bound, marginBits: c.marginBits })) : [],
          refused: chain === 'auto' ? chained.refused.length : 0,
        });
        process.stderr.write(`  ${m.label} ${bits}-bit --chain ${chain} (${target.kernels} kernels): done\n`);
      }
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const fmt = (n: number) => n.toLocaleString('en-US');
const header = ['model', 'weights', '--chain (M4 kernels)', 'accuracy % (vs float)', `instructions ${BOARD}`, 'arena', 'scratch', 'arena+scratch', 'weights+tables', 'chains formed (layers: proven bound, margin bits)'];
const table = rows.map((r) => {
  const off = rows.find((o) => o.model === r.model && o.bits === r.bits && o.chain === 'off')!;
  const offPortable = rows.find((o) => o.model === r.model && o.bits === r.bits && o.chain === 'off' && o.kernels === 'portable')!;
  const vsPortable = r.chain === 'auto' && r.instructions !== null && offPortable !== off && offPortable.instructions ? `, ${(((r.instructions - offPortable.instructions) / offPortable.instructions) * 100).toFixed(1)}% vs portable` : '';
  const delta = r.chain === 'auto' && r.instructions !== null && off.instructions ? ` (${(((r.instructions - off.instructions) / off.instructions) * 100).toFixed(1)}%)` : '';
  const score = r.metric === 'accuracy' ? `${(r.score * 100).toFixed(2)} (${((r.score - r.floatScore) * 100).toFixed(2)})` : `${(r.score * 100).toFixed(2)} agree`;
  return [
    r.model,
    `${r.bits}-bit per-channel`,
    `${r.chain} (${r.kernels})`,
    score,
    r.instructions === null ? '-' : fmt(r.instructions) + (delta ? delta.slice(0, -1) + vsPortable + ')' : ''),
    fmt(r.arenaBytes),
    fmt(r.scratchBytes),
    fmt(r.arenaBytes + r.scratchBytes),
    fmt(r.constBytes),
    r.chain === 'off' ? '' : r.chains.length ? r.chains.map((c) => `${c.layers.length}: ${fmt(c.bound)}, ${c.marginBits.toFixed(2)}`).join('; ') + (r.refused ? `; ${r.refused} refused` : '') : `none (${r.refused} refused)`,
  ];
});
const w = header.map((h, j) => Math.max(h.length, ...table.map((r) => r[j]!.length)));
console.log(header.map((h, j) => h.padEnd(w[j]!)).join('  '));
console.log(w.map((n) => '-'.repeat(n)).join('  '));
for (const r of table) console.log(r.map((c, j) => (j >= 3 && j <= 8 ? c.padStart(w[j]!) : c.padEnd(w[j]!))).join('  '));
console.log(`\nfloat: ${[...new Set(rows.map((r) => `${r.model} ${r.metric === 'accuracy' ? (r.floatScore * 100).toFixed(2) + '%' : 'reference'}`))].join('; ')}; samples: ${limit} max per data set`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(rows, null, 1) + '\n');
