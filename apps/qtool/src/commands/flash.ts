import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { boards, cName, emitModelImage, targets } from '@qtool/codegen';
import { readNpy } from '@qtool/frontend';
import { fail, isFloat, makeTensor, numel, type Graph, type Tensor } from '@qtool/ir';
import { ARTIFACT_FILE, isArtifactDir, loadArtifact, quantizeValue } from '@qtool/quantizer';
import type { Transport, VectorResult } from '@qtool/flasher';
import { progress } from '../progress.js';
import { formatInt, table } from '../table.js';

export interface FlashOptions {
  board: string;
  emulate?: boolean;
  port?: string;
  baud?: string;
  vectors?: string;
  mode?: string;
  seed?: string;
}

/**
 * `qtool flash <dir> --board B (--emulate | --port PATH)`: puts a compiled model on a board (aot: checks the
 * linked model's hash; blob: LOAD + VERIFY), sends N vectors, compares every output with the integer simulator
 * bit for bit, and on a mismatch reads the intermediate tensors back to name the first layer that differs.
 * Exit 0 only when every vector matched.
 */
export async function flash(dir: string, opts: FlashOptions): Promise<void> {
  if (!isArtifactDir(dir)) fail('QT001', `${dir} is not a folder written by qtool compile (no ${ARTIFACT_FILE})`, { file: dir });
  if (!boards[opts.board]) fail('QT002', `unknown board '${opts.board}' (known: ${Object.keys(boards).join(', ')})`);
  if (!!opts.emulate === !!opts.port) fail('QT002', 'give exactly one of --emulate (QEMU) and --port PATH (a serial port)');
  if (opts.emulate) {
    const { emulatedBoards } = await import('@qtool/firmware');
    if (!emulatedBoards.includes(opts.board)) fail('QT002', `--emulate: QEMU models ${emulatedBoards.join(', ')}, not ${opts.board}`);
  }
  const count = intOption(opts.vectors, '--vectors', 10, 1);
  const baud = intOption(opts.baud, '--baud', 115200, 1);
  const seed = intOption(opts.seed, '--seed', 1, 0);
  if (opts.mode !== undefined && opts.mode !== 'aot' && opts.mode !== 'blob') fail('QT002', `--mode must be aot or blob, got '${opts.mode}'`);

  const artifact = loadArtifact(dir);
  const g = artifact.graph;
  const hash = modelHashOf(dir);
  const { vectors, source } = testVectors(dir, g, count, seed);
  const log = (s: string) => process.stderr.write(s + '\n');
  const { Flasher, openSerial, checkVector, buildImage, BodyFormat, inputBytes, outputBytes } = await import('@qtool/flasher');

  let stop = async () => {};
  let transport: Transport;
  if (opts.emulate) {
    const board = await emulate(dir, opts.board, opts.mode === 'blob' ? 'blob' : 'aot', log);
    stop = board.stop;
    transport = await openSerial(board.pty, baud).catch(async (e) => {
      await stop();
      throw e;
    });
  } else transport = await openSerial(opts.port!, baud);

  try {
    // RUN/READ/PROFILE wait 30 s, more for big models (an emulated core runs some 10^7 MACs a second)
    const f = new Flasher(transport, { runTimeoutScale: Math.max(1, Math.ceil(macsOf(dir) / 1e8)) });
    const hello = await f.hello();
    const mode = (opts.mode as 'aot' | 'blob' | undefined) ?? hello.mode;
    if (mode !== hello.mode)
      fail('QT002', `--mode ${mode}: the board on ${transport.name} runs ${hello.mode} firmware (${hello.mode === 'aot' ? 'the model is linked in: build the firmware for this folder' : 'a resident runtime: use --mode blob'})`);
    let info = await f.info();
    log(`board ${info.board} on ${transport.name}: firmware ${info.firmwareVersion >> 8}.${info.firmwareVersion & 0xff}, protocol ${hello.version}, ${mode} mode`);
    if (info.board && info.board !== opts.board && info.board !== 'sim') log(`warning: the board says it is ${info.board}, not ${opts.board}`);
    if (mode === 'aot') {
      if (info.modelHash !== hash) fail('QT605', `the board runs model ${info.modelHash || '(none)'}; ${dir} is model ${hash}: rebuild and flash the firmware for this folder`);
    } else {
      // a resident runtime reports the RAM it reserves for a model (INFO arena bytes) and runs the layer table
      // (body format 2); a simulator-backed stand-in reports none and runs the integer artifact (format 1)
      let image: Uint8Array;
      let imageHash = hash;
      if (info.arenaBytes > 0) {
        const m = artifact.meta;
        const body = emitModelImage({ graph: g, name: cName(m.source.file), target: targets[boards[opts.board]!.target], tool: m.tool, sourceFile: m.source.file, sourceSha256: m.source.sha256, options: 'model image' });
        imageHash = body.modelHash;
        image = buildImage({ bodyFormat: BodyFormat.LAYER_TABLE, modelHash: imageHash, inputBytes: body.inputBytes, outputBytes: body.outputBytes, layers: body.layers }, body.body);
        log(`model image: layer table of ${body.layers} layers, ${body.calls} kernel calls (portable kernels), ${formatInt(body.dataBytes)} bytes of weights and parameters; the model needs ${formatInt(body.inputBytes + body.outputBytes + body.arenaBytes + body.scratchBytes)} bytes of the board's ${formatInt(info.arenaBytes)}`);
      } else image = buildImage({ bodyFormat: BodyFormat.QMODEL_JSON, modelHash: hash, inputBytes: inputBytes(g), outputBytes: outputBytes(g), layers: g.nodes.length }, readFileSync(join(dir, ARTIFACT_FILE)));
      if (info.storageBytes < image.length) fail('QT601', `the model image is ${formatInt(image.length)} bytes; the board's storage holds ${formatInt(info.storageBytes)}`);
      const bar = progress('loading');
      const s = await f.deploy(image, imageHash, (d, t) => bar.update(d, t)).finally(() => bar.stop());
      log(`loaded ${formatInt(image.length)} bytes in ${s.chunks} chunks (${s.resumes} resumed, ${s.restarts} restarted, ${s.shrinks} halved), verified, active`);
      info = await f.info();
    }
    if (info.inputBytes !== inputBytes(g) || info.outputBytes !== outputBytes(g) || info.layers !== g.nodes.length)
      fail('QT605', `the board's model takes ${info.inputBytes} input bytes, gives ${info.outputBytes}, has ${info.layers} layers; ${dir}: ${inputBytes(g)}, ${outputBytes(g)}, ${g.nodes.length}`);
    log(`model ${hash}: ${g.nodes.length} layers, ${inputBytes(g)} input bytes, ${outputBytes(g)} output bytes; ${count} vectors from ${source}`);

    const results: VectorResult[] = [];
    const bar = progress('vectors');
    try {
      for (let k = 0; k < vectors.length; k++) {
        results.push(await checkVector(f, g, vectors[k]!, k));
        bar.update(k + 1, vectors.length);
      }
    } finally {
      bar.stop();
    }
    const cycles = await f.profile();
    report(results, g, cycles, f.stats.retries);
    const bad = results.filter((r) => !r.match);
    if (bad.length) {
      const d = bad[0]!.firstDiff;
      fail(
        'QT603',
        `${bad.length} of ${results.length} vectors differ from the integer simulator; ` +
          (d ? `first differing layer: #${d.layer} '${d.name}' (${d.op}), byte ${d.byte}: device ${d.device}, simulator ${d.simulator}` : 'every layer read back equal (the outputs differ after the last layer)'),
      );
    }
  } finally {
    await transport.close();
    await stop();
  }
}

function report(results: VectorResult[], g: Graph, cycles: number[], retries: number): void {
  const rows = results.map((r) => [
    String(r.index),
    r.match ? 'equal' : `DIFFERS at output byte ${r.outputByte}`,
    r.cycles,
    r.firstDiff ? `#${r.firstDiff.layer} ${r.firstDiff.name} (${r.firstDiff.op})` : '',
  ]);
  let out = table(['vector', 'outputs vs simulator', 'cycles', 'first differing layer'], rows);
  if (cycles.some((c) => c > 0))
    out += '\n' + table(['#', 'layer', 'op', 'cycles'], g.nodes.map((n, i) => [String(i), n.name, n.op, cycles[i] ?? 0]));
  const ok = results.filter((r) => r.match).length;
  out += `\n${ok}/${results.length} vectors equal the integer simulator bit for bit${retries ? ` (${retries} requests retried)` : ''}\n`;
  process.stdout.write(out);
}

/** The model's identity as firmware reports it: the generated C's hash (report.json), else the artifact's. */
function modelHashOf(dir: string): string {
  const reportPath = join(dir, 'report.json');
  if (existsSync(reportPath)) {
    const h = (JSON.parse(readFileSync(reportPath, 'utf8')) as { modelHash?: string }).modelHash;
    if (h && /^[0-9a-f]{16}$/.test(h)) return h;
  }
  return createHash('sha256').update(readFileSync(join(dir, ARTIFACT_FILE))).digest('hex').slice(0, 16);
}

/**
 * Test inputs: calibration samples kept in the folder (calib.npy, float or the input's integer type), else
 * seeded random values of the input's type.
 */
function testVectors(dir: string, g: Graph, count: number, seed: number): { vectors: Tensor[][]; source: string } {
  const calib = join(dir, 'calib.npy');
  if (g.inputs.length === 1 && existsSync(calib)) {
    const info = g.tensors.get(g.inputs[0]!)!;
    const t = readNpy(calib);
    const per = numel(info.shape);
    const n = Math.floor(t.data.length / per);
    if (n > 0 && t.data.length % per === 0) {
      const q = info.quant;
      const vectors = Array.from({ length: Math.min(n, count) }, (_, s) => {
        const slice = Array.from(t.data.subarray(s * per, (s + 1) * per) as ArrayLike<number>, Number);
        const data = isFloat(t.dtype) && q ? slice.map((v) => quantizeValue(v, { dtype: 'int8', scale: q.scale[0]!, zeroPoint: q.zeroPoint[0]! })) : slice;
        return [makeTensor(info.dtype, info.shape, Int8Array.from(data))];
      });
      return { vectors, source: `calib.npy (${vectors.length} of ${n} samples)` };
    }
  }
  let a = seed >>> 0;
  const r = () => {
    a = (Math.imul(a, 1103515245) + 12345) >>> 0;
    return a >>> 24;
  };
  const vectors = Array.from({ length: count }, () =>
    g.inputs.map((v) => {
      const info = g.tensors.get(v)!;
      return makeTensor(info.dtype, info.shape, Int8Array.from({ length: numel(info.shape) }, () => r() - 128));
    }),
  );
  return { vectors, source: `seeded random int8 (seed ${seed})` };
}

function macsOf(dir: string): number {
  const reportPath = join(dir, 'report.json');
  if (!existsSync(reportPath)) return 0;
  const layers = (JSON.parse(readFileSync(reportPath, 'utf8')) as { layers?: { macs?: number }[] }).layers ?? [];
  return layers.reduce((s, l) => s + (l.macs ?? 0), 0);
}

function intOption(v: string | undefined, flag: string, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) fail('QT002', `${flag} takes an integer >= ${min}, got '${v}'`);
  return n;
}

/**
 * Builds the firmware (QT607 when that fails) and starts QEMU on a pty (QT606): aot links the folder's model;
 * blob is the board's resident runtime, built once per board and reused for every model.
 */
async function emulate(dir: string, board: string, mode: 'aot' | 'blob', log: (s: string) => void): Promise<{ pty: string; stop: () => Promise<void> }> {
  const { buildFirmware, buildBlobFirmware, launchQemu } = await import('@qtool/firmware');
  if (mode === 'blob') {
    const fw = buildBlobFirmware({ board });
    log(`${fw.reused ? 'reused' : 'built'} the resident runtime ${fw.elf} (flash ${formatInt(fw.size.flash)} bytes; model storage ${formatInt(fw.slotBytes)} bytes, model RAM ${formatInt(fw.workBytes)} bytes)`);
    const q = await launchQemu({ board, elf: fw.elf });
    log(`QEMU ${board} on ${q.pty}`);
    return q;
  }
  const image = buildFirmware({ modelDir: dir, board });
  log(`built ${image.elf} (flash ${formatInt(image.size.flash)} bytes, RAM ${formatInt(image.size.ram)} bytes)`);
  const q = await launchQemu({ board, elf: image.elf });
  log(`QEMU ${board} on ${q.pty}`);
  return q;
}
