import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fail } from '@qtool/ir';
import { buildFirmware, type FirmwareImage } from './build.js';
import { DeviceLink } from './link.js';
import { launchQemu } from './qemu.js';

// Deterministic performance figures from the emulator: the firmware runs one inference under QEMU with the
// instruction-count plugin (firmware/qemu-plugin/qt_icount.c), which logs the guest instruction count at every
// marker (qt_mark.h): run begin, each layer's QT_LAYER_DONE, run end. Instructions, not cycles: QEMU 7.2 has
// no cycle model (and no DWT), but the count is exact and the same on every run.

const pluginDir = resolve(dirname(fileURLToPath(import.meta.url)), '../qemu-plugin');
const MARK_BEGIN = 1;
const MARK_END = 2;
const MARK_LAYER = 16;

/** Compiles the plugin with the host C compiler once per source version; returns the .so path. */
export function buildIcountPlugin(cacheDir = join(tmpdir(), 'qtool-qemu-plugin')): string {
  const src = join(pluginDir, 'qt_icount.c');
  const hash = createHash('sha256').update(readFileSync(src)).update(readFileSync(join(pluginDir, 'qt_plugin_api.h'))).digest('hex').slice(0, 16);
  const so = join(cacheDir, `qt_icount-${hash}.so`);
  if (existsSync(so)) return so;
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${so}.tmp-${process.pid}`;
  const r = spawnSync('cc', ['-std=c11', '-O2', '-Wall', '-Wextra', '-Werror', '-shared', '-fPIC', '-o', tmp, src], { encoding: 'utf8' });
  if (r.error) fail('QT607', `cc not found: the QEMU plugin needs a host C compiler (${r.error.message})`);
  if (r.status !== 0) fail('QT607', `building the QEMU instruction-count plugin failed:\n${r.stderr}`);
  renameSync(tmp, so);
  return so;
}

export interface LayerCount {
  index: number;
  name?: string;
  op?: string;
  /** instructions from the previous marker (run begin or the previous layer) to this layer's end */
  instructions: number;
}

export interface BenchResult {
  board: string;
  model: string;
  /** guest instructions of one inference (run begin to run end markers) */
  instructions: number;
  layers: LayerCount[];
  /** bytes of the linked image */
  flash: number;
  ram: number;
  size: FirmwareImage['size'];
  elf: string;
  /** what was fed to the model */
  input: string;
}

export interface BenchOptions {
  modelDir: string;
  board: string;
  /** input bytes (all inputs concatenated); default a fixed pseudo-random vector (seed 1) */
  input?: Uint8Array;
  outDir?: string;
  /** a build to reuse instead of building again */
  image?: FirmwareImage;
}

function defaultInput(n: number): Uint8Array {
  let s = 1;
  return Uint8Array.from({ length: n }, () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s & 0xff;
  });
}

function parseMarks(text: string): { id: number; count: number }[] {
  const out: { id: number; count: number }[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+) (\d+)$/.exec(line);
    if (m) out.push({ id: Number(m[1]), count: Number(m[2]) });
  }
  return out;
}

async function waitForMarks(path: string, timeoutMs: number): Promise<{ id: number; count: number }[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const marks = existsSync(path) ? parseMarks(readFileSync(path, 'utf8')) : [];
    if (marks.some((m) => m.id === MARK_END)) return marks;
    if (Date.now() > until) fail('QT602', `the instruction-count plugin logged no run-end marker within ${timeoutMs} ms (${path})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Builds the firmware, runs one inference under QEMU with the plugin, returns instructions per inference and layer. */
export async function benchFirmware(o: BenchOptions): Promise<BenchResult> {
  const image = o.image ?? buildFirmware({ modelDir: o.modelDir, board: o.board, outDir: o.outDir });
  const plugin = buildIcountPlugin();
  const work = mkdtempSync(join(tmpdir(), 'qtool-bench-'));
  const marksFile = join(work, 'marks.txt');
  const qemu = await launchQemu({
    board: image.board.name,
    elf: image.elf,
    plugin: { path: plugin, args: { mark: `0x${image.symbols.qt_mark.toString(16)}`, window: `0x${image.symbols.qt_mark_window.toString(16)}`, out: marksFile } },
  });
  let link: DeviceLink | undefined;
  try {
    link = await DeviceLink.open(qemu.pty);
    await link.hello();
    const input = o.input ?? defaultInput(image.model.inputBytes);
    if (input.length !== image.model.inputBytes) fail('QT302', `bench input has ${input.length} bytes; the model takes ${image.model.inputBytes}`);
    await link.infer(input, image.model.outputBytes);
    const marks = await waitForMarks(marksFile, 10_000);
    let begin = -1;
    marks.forEach((m, i) => (m.id === MARK_BEGIN ? (begin = i) : 0));
    const end = marks.findIndex((m, i) => i > begin && m.id === MARK_END);
    if (begin < 0 || end < 0) fail('QT602', `the instruction-count plugin logged no complete run (${marksFile})`);
    const names = layerNames(image.model.dir);
    const layers: LayerCount[] = [];
    for (let i = begin + 1; i < end; i++) {
      const index = marks[i]!.id - MARK_LAYER;
      layers.push({ index, ...names[index], instructions: marks[i]!.count - marks[i - 1]!.count });
    }
    return {
      board: image.board.name,
      model: image.model.name,
      instructions: marks[end]!.count - marks[begin]!.count,
      layers,
      flash: image.size.flash,
      ram: image.size.ram,
      size: image.size,
      elf: image.elf,
      input: o.input ? 'given' : 'fixed pseudo-random int8 vector (xorshift32, seed 1)',
    };
  } finally {
    await link?.close();
    await qemu.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Layer names and ops from report.json (written by qtool compile), when present. */
function layerNames(dir: string): { name?: string; op?: string }[] {
  const p = join(dir, 'report.json');
  if (!existsSync(p)) return [];
  try {
    const r = JSON.parse(readFileSync(p, 'utf8')) as { codegenLayers?: { name: string; op: string }[] };
    return (r.codegenLayers ?? []).map((l) => ({ name: l.name, op: l.op }));
  } catch {
    return [];
  }
}
