// Kernel speed on the emulated boards, one table:
//   npx tsx bench/kernels.ts [--per-layer] [--board mps2-an386|mps3-an547] [--only <label substring>] [--json FILE]
// Compiles the bundled example and the corpus models (float ones with our quantization, calibrated as the
// corpus tests do; int8 ones with --keep-quant) for each board's CPU (the target picks the kernels: DSP on the
// Cortex-M4, Helium on the M55, portable C elsewhere), links each into the board's firmware and runs one
// inference under QEMU with the instruction-count plugin (@qtool/firmware benchFirmware). Instructions, not
// cycles: QEMU has no cycle model, but the count is exact and repeatable. TFLM+CMSIS-NN figures are those of
// issue 7 (measured the same way on the same QEMU boards).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boards, RAM_RESERVE } from '@qtool/codegen';
import { benchFirmware } from '@qtool/firmware';
import { loadPrepared } from '../apps/qtool/src/model.js';
import { compileQuietly, corpusCases, optionsOf, writeCalibration, type CorpusCase } from '../test/codegen/corpus-cases.js';
import { corpus } from '../test/support/corpus.js';

const args = process.argv.slice(2);
const opt = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
const perLayer = args.includes('--per-layer');
const boardList = opt('--board') ? [opt('--board')!] : ['mps2-an386', 'mps3-an547'];
const only = opt('--only')?.toLowerCase();
const jsonOut = opt('--json');

/** TFLM + CMSIS-NN instructions per inference (issue 7), by corpus file and board, and TFLM's arena on the M4. */
const tflm: Record<string, { 'mps2-an386': number; 'mps3-an547': number; arena: number }> = {
  'mlperf-tiny/ic/pretrainedResnet_quant.tflite': { 'mps2-an386': 29_863_527, 'mps3-an547': 4_911_851, arena: 54_996 },
  'mlperf-tiny/vww/vww_96_int8.tflite': { 'mps2-an386': 24_102_318, 'mps3-an547': 6_558_621, arena: 100_708 },
  'tflite-micro/models/person_detect.tflite': { 'mps2-an386': 22_928_826, 'mps3-an547': 6_508_393, arena: 82_308 },
  'tflite-micro/examples/micro_speech/models/micro_speech_quantized.tflite': { 'mps2-an386': 1_494_842, 'mps3-an547': 1_007_622, arena: 6_836 },
};

interface Model {
  label: string;
  mode: string;
  /** undefined: the bundled example */
  c?: CorpusCase;
}

// the corpus cases of the issue: every float model and the int8 ones with the reference flavour
const wanted = new Set(['MNIST-8', 'hello_world', 'micro_speech', 'person_detect', 'MLPerf IC', 'MLPerf VWW']);
const models: Model[] = [
  { label: 'digits (example)', mode: 'ours' } as Model,
  ...corpusCases.filter((c) => wanted.has(c.label) && !c.options?.keepQuant).map((c) => ({ label: c.label, mode: c.mode === 'ours' ? 'ours' : 'keep-quant', c })),
].filter((m: Model) => !only || m.label.toLowerCase().includes(only) || (m.c?.file.toLowerCase().includes(only) ?? false));

export interface Row {
  model: string;
  mode: string;
  board: string;
  macs: number;
  instructions?: number;
  tflm?: number;
  arena?: number;
  tflmArena?: number;
  flash?: number;
  skipped?: string;
  layers?: { index: number; name?: string; op?: string; macs: number; instructions: number }[];
}

/** Layer names of converted models run to hundreds of characters: the last 40. */
const short = (s: string) => (s.length > 40 ? `...${s.slice(-37)}` : s);
const fmt = (n: number | undefined) => (n === undefined ? '-' : n.toLocaleString('en-US'));

async function benchOne(m: Model, board: string, work: string): Promise<Row> {
  const dir = join(work, `${m.label.replace(/\W+/g, '_')}-${m.mode}-${board}`);
  mkdirSync(dir, { recursive: true });
  const opts = m.c ? optionsOf(m.c) : {};
  if (m.c?.mode === 'ours') {
    const g = loadPrepared(corpus(m.c.file)).graph;
    Object.assign(opts, { calib: writeCalibration(m.c, dir, g.tensors.get(g.inputs[0]!)!.shape) });
  }
  const row: Row = { model: m.label, mode: m.mode, board, macs: 0 };
  const ref = m.c ? tflm[m.c.file] : undefined;
  if (ref && m.mode === 'keep-quant') Object.assign(row, { tflm: ref[board as 'mps2-an386'], tflmArena: ref.arena });
  try {
    await compileQuietly(m.c ? corpus(m.c.file) : (undefined as unknown as string), { ...opts, output: dir, board });
  } catch (e) {
    // QT501: does not fit the board's budget; anything else is a real failure
    const msg = (e as Error).message;
    if (/QT501/.test(msg)) return { ...row, skipped: `does not fit ${board} (${boards[board]!.flash} B flash, ${boards[board]!.ram - RAM_RESERVE} B for the arena): ${msg.split('\n')[0]}` };
    throw e;
  }
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { totals: { macs: number }; layers: { macs: number }[]; memory: { arenaBytes: number; scratchBytes: number } };
  row.macs = report.totals.macs;
  row.arena = report.memory.arenaBytes + report.memory.scratchBytes;
  try {
    const r = await benchFirmware({ modelDir: dir, board });
    row.instructions = r.instructions;
    row.flash = r.flash;
    row.layers = r.layers.map((l) => ({ index: l.index, name: l.name, op: l.op, macs: report.layers[l.index]?.macs ?? 0, instructions: l.instructions }));
  } catch (e) {
    const msg = (e as Error).message;
    if (/QT501/.test(msg)) return { ...row, skipped: `firmware image does not fit ${board}: ${msg.split('\n')[0]}` };
    throw e;
  }
  return row;
}

function table(head: string[], body: string[][], left = 3): string {
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < left ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...body.map(line)].join('\n');
}

async function main() {
  const work = join(tmpdir(), `qtool-bench-kernels-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const rows: Row[] = [];
  try {
    for (const board of boardList)
      for (const m of models) {
        process.stderr.write(`${board}: ${m.label} (${m.mode})...\n`);
        rows.push(await benchOne(m, board, work));
      }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const body = rows.map((r) => [
    r.model,
    r.mode,
    r.board,
    fmt(r.macs),
    r.skipped ? 'skipped' : fmt(r.instructions),
    r.instructions ? (r.macs / r.instructions).toFixed(3) : '-',
    r.tflm ? fmt(r.tflm) : '-',
    r.tflm && r.instructions ? `${(r.instructions / r.tflm).toFixed(3)}x` : '-',
    fmt(r.arena),
    r.tflmArena && r.board === 'mps2-an386' ? fmt(r.tflmArena) : '-',
    fmt(r.flash),
  ]);
  console.log('\ninstructions per inference under QEMU (TCG plugin), one inference of a fixed pseudo-random input\n');
  console.log(table(['model', 'mode', 'board', 'MACs', 'instructions', 'MACs/instr', 'TFLM+CMSIS-NN', 'ratio', 'arena+scratch B', 'TFLM arena B', 'flash B'], body));
  for (const r of rows.filter((x) => x.skipped)) console.log(`skipped ${r.model} (${r.mode}) on ${r.board}: ${r.skipped}`);
  if (perLayer)
    for (const r of rows.filter((x) => x.layers)) {
      console.log(`\n${r.model} (${r.mode}) on ${r.board}: ${fmt(r.instructions)} instructions`);
      console.log(
        table(
          ['#', 'layer', 'op', 'MACs', 'instructions', 'MACs/instr', 'share'],
          r.layers!.map((l) => [String(l.index), short(l.name ?? ''), l.op ?? '', fmt(l.macs), fmt(l.instructions), l.macs ? (l.macs / l.instructions).toFixed(3) : '-', `${((100 * l.instructions) / r.instructions!).toFixed(1)}%`]),
        ),
      );
    }
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(rows, null, 1) + '\n');
}

await main();
