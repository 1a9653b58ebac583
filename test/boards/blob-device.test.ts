import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cName, emitModelImage, targets } from '@qtool/codegen';
import { buildBlobFirmware, launchQemu, type BlobFirmwareImage, type QemuBoard } from '@qtool/firmware';
import { BodyFormat, buildImage, checkVector, Flasher, openSerial, type Transport } from '@qtool/flasher';
import { makeTensor, numel, type Graph } from '@qtool/ir';
import { crc32, ErrorCode } from '@qtool/protocol';
import { loadArtifact } from '@qtool/quantizer';
import { corpus, requireCorpus } from '../support/corpus.js';
import { qtool, removeTemps, requireTools, tempDir } from './support.js';

// The resident runtime (firmware/c/fw_blob.c) on the smallest emulated board, lm3s6965evb, at the protocol
// level: before a model, two models loaded in turn (the staging slot alternates), and images that are wrong in
// each way VERIFY checks: every one is refused with its code (E_BAD_IMAGE naming the check, E_TOO_BIG with the
// numbers, E_VERIFY, E_BAD_OFFSET) and the active model keeps running, equal to the simulator.

requireTools('arm-none-eabi-gcc', 'qemu-system-arm');
const withCorpus = requireCorpus('resident runtime: switching to MNIST-8');
const BOARD = 'lm3s6965evb';

interface Model {
  graph: Graph;
  image: Uint8Array;
  body: Uint8Array;
  hash: string;
}

function modelImage(dir: string): Model {
  const a = loadArtifact(dir);
  const m = a.meta;
  const b = emitModelImage({ graph: a.graph, name: cName(m.source.file), target: targets['cortex-m3'], tool: m.tool, sourceFile: m.source.file, sourceSha256: m.source.sha256, options: 'test' });
  const info = { bodyFormat: BodyFormat.LAYER_TABLE, modelHash: b.modelHash, inputBytes: b.inputBytes, outputBytes: b.outputBytes, layers: b.layers };
  return { graph: a.graph, image: buildImage(info, b.body), body: b.body, hash: b.modelHash };
}

/** The image with its body changed by `edit` and the header's body CRC made right again (or its header edited). */
function mutate(m: Model, edit: (body: DataView, header: DataView) => void): Uint8Array {
  const img = m.image.slice();
  const body = new DataView(img.buffer, 48);
  edit(body, new DataView(img.buffer, 0, 48));
  new DataView(img.buffer).setUint32(28, crc32(img.subarray(48)), true);
  return img;
}

let fw: BlobFirmwareImage;
let q: QemuBoard;
let transport: Transport;
let f: Flasher;
let digits: Model;
let mnist: Model | undefined;

beforeAll(async () => {
  const d = join(tempDir('blob-device'), 'digits');
  const c = await qtool('compile', '-o', d);
  if (c.code !== 0) throw new Error(c.err);
  digits = modelImage(d);
  if (withCorpus) {
    const m = join(tempDir('blob-device'), 'mnist');
    const r = await qtool('compile', corpus('onnx-mnist8/model.onnx'), '-o', m);
    if (r.code !== 0) throw new Error(r.err);
    mnist = modelImage(m);
  }
  fw = buildBlobFirmware({ board: BOARD });
  q = await launchQemu({ board: BOARD, elf: fw.elf });
  transport = await openSerial(q.pty);
  f = new Flasher(transport);
  await f.hello();
}, 180_000);

afterAll(async () => {
  await transport?.close();
  await q?.stop();
  removeTemps();
});

/** `n` seeded vectors through the board, each compared with the simulator (and localized on a mismatch). */
async function runsLike(m: Model, n = 3): Promise<void> {
  let s = 7;
  for (let k = 0; k < n; k++) {
    const inputs = m.graph.inputs.map((v) => {
      const t = m.graph.tensors.get(v)!;
      return makeTensor('int8', t.shape, Int8Array.from({ length: numel(t.shape) }, () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 24) - 128));
    });
    const r = await checkVector(f, m.graph, inputs, k);
    expect(r.match, JSON.stringify(r)).toBe(true);
  }
}

async function refused(image: Uint8Array): Promise<{ code: number; message: string }> {
  await f.load(image);
  const r = await f.request({ kind: 'VERIFY', total: image.length, crc: crc32(image) });
  if (r.kind !== 'ERROR') throw new Error(`VERIFY accepted a bad image: ${JSON.stringify(r)}`);
  return { code: r.code, message: r.message };
}

describe(`resident runtime on ${BOARD}`, () => {
  it('before any model: mode blob, state none, its RAM and storage in INFO, E_NO_MODEL for RUN and INPUT', async () => {
    expect(f.mode).toBe('blob');
    const info = await f.info();
    expect(info).toMatchObject({ state: 'none', modelHash: '', arenaBytes: fw.workBytes, storageBytes: fw.slotBytes, inputBytes: 0, outputBytes: 0, layers: 0 });
    expect(await f.request({ kind: 'RUN' })).toMatchObject({ kind: 'ERROR', code: ErrorCode.E_NO_MODEL });
    expect(await f.request({ kind: 'INPUT', offset: 0, data: new Uint8Array(4) })).toMatchObject({ kind: 'ERROR', code: ErrorCode.E_NO_MODEL });
  });

  it('loads the example, verifies, switches; READ and PROFILE see its layers', async () => {
    await f.deploy(digits.image, digits.hash);
    expect(await f.info()).toMatchObject({ state: 'active', modelHash: digits.hash, layers: digits.graph.nodes.length });
    await runsLike(digits);
    expect(await f.profile()).toHaveLength(digits.graph.nodes.length);
  }, 60_000);

  it('switches to another model and back (the staging slot alternates; each image is relocated once)', async () => {
    if (!mnist) throw new Error('MNIST-8 missing from the corpus');
    await f.deploy(mnist.image, mnist.hash);
    await runsLike(mnist);
    await f.deploy(digits.image, digits.hash);
    await runsLike(digits);
  }, 60_000);

  it('a reset keeps the active model (its slot survives; checked again at boot); a reset during a load loses only the staging', async () => {
    await f.reset();
    expect(await f.info()).toMatchObject({ state: 'active', modelHash: digits.hash });
    await runsLike(digits, 2);
    const other = mnist ?? digits;
    await f.call({ kind: 'LOAD', offset: 0, total: other.image.length, data: other.image.subarray(0, 512) });
    expect((await f.info()).state).toBe('staged');
    await f.reset();
    expect(await f.info()).toMatchObject({ state: 'active', modelHash: digits.hash });
    expect(await f.request({ kind: 'LOAD', offset: 512, total: other.image.length, data: other.image.subarray(512, 600) })).toMatchObject({ kind: 'ERROR', code: ErrorCode.E_BAD_OFFSET, expected: 0 });
    await runsLike(digits, 2);
  }, 60_000);

  it('a staged image too big for the storage: E_TOO_BIG with both sizes at the first LOAD', async () => {
    const total = fw.slotBytes + 1;
    const r = await f.request({ kind: 'LOAD', offset: 0, total, data: new Uint8Array(16) });
    expect(r).toMatchObject({ kind: 'ERROR', code: ErrorCode.E_TOO_BIG, message: `image of ${total} bytes; the model storage holds ${fw.slotBytes}` });
  });

  it('VERIFY before the whole image arrived: E_BAD_OFFSET with the offset to resume at; a LOAD out of order too', async () => {
    const img = digits.image;
    await f.call({ kind: 'LOAD', offset: 0, total: img.length, data: img.subarray(0, 100) });
    expect(await f.request({ kind: 'VERIFY', total: img.length, crc: crc32(img) })).toMatchObject({ kind: 'ERROR', code: ErrorCode.E_BAD_OFFSET, expected: 100 });
    await f.call({ kind: 'LOAD', offset: 0, total: img.length, data: img.subarray(0, 100) });
    expect(await f.request({ kind: 'LOAD', offset: 200, total: img.length, data: img.subarray(200, 300) })).toMatchObject({ kind: 'ERROR', code: ErrorCode.E_BAD_OFFSET, expected: 100 });
    expect((await f.info()).state).toBe('staged');
  });

  it('a CRC that does not match: E_VERIFY, staging discarded, the active model stays', async () => {
    const img = mnist?.image ?? digits.image;
    await f.load(img);
    expect(await f.request({ kind: 'VERIFY', total: img.length, crc: (crc32(img) ^ 1) >>> 0 })).toMatchObject({ kind: 'ERROR', code: ErrorCode.E_VERIFY });
    expect(await f.info()).toMatchObject({ state: 'active', modelHash: digits.hash });
    await runsLike(digits, 1);
  }, 60_000);

  // each wrong image, CRC-correct, must be refused by the layer-table checks before anything is switched
  const u32 = (v: DataView, o: number) => v.getUint32(o, true);
  const cases: [string, number, RegExp, (b: DataView, h: DataView) => void][] = [
    ['body format 1 on the resident runtime', ErrorCode.E_BAD_IMAGE, /body format is not 2/, (_b, h) => h.setUint16(6, 1, true)],
    ['a layer count unlike the header', ErrorCode.E_BAD_IMAGE, /layer count differs/, (b) => b.setUint32(8, u32(b, 8) + 1, true)],
    ['an unknown kernel id', ErrorCode.E_BAD_IMAGE, /unknown kernel id/, (b) => b.setUint8(u32(b, 44), 99)],
    ['a wrong argument count', ErrorCode.E_BAD_IMAGE, /wrong argument count/, (b) => b.setUint8(u32(b, 44) + 1, 2)],
    ['an arena reference whose tensor runs past the arena', ErrorCode.E_BAD_IMAGE, /points outside its buffer/, (b) => {
      for (let c = u32(b, 44), end = c + 52 * u32(b, 12); c < end; c += 52)
        for (let a = 0; a < 4; a++) if (b.getUint8(c + 4 + 12 * a) === 3) return b.setUint32(c + 8 + 12 * a, u32(b, 24) - u32(b, c + 12 + 12 * a) + 1, true);
      throw new Error('no arena argument');
    }],
    ['an input extent larger than the input', ErrorCode.E_BAD_IMAGE, /points outside its buffer/, (b) => {
      for (let c = u32(b, 44), end = c + 52 * u32(b, 12); c < end; c += 52)
        for (let a = 0; a < 4; a++) if (b.getUint8(c + 4 + 12 * a) === 4) return b.setUint32(c + 12 + 12 * a, u32(b, u32(b, 36)) + 1, true);
      throw new Error('no input argument');
    }],
    ['a params record smaller than its struct', ErrorCode.E_BAD_IMAGE, /points outside its buffer/, (b) => b.setUint32(u32(b, 44) + 12, 4, true)],
    ['a layer output larger than the arena holds', ErrorCode.E_BAD_IMAGE, /layer's output is outside/, (b) => {
      for (let e = u32(b, 40), end = e + 16 * u32(b, 8); e < end; e += 16) if (b.getUint8(e + 4) === 3) return b.setUint32(e + 12, u32(b, 24) + 1, true);
      throw new Error('no arena output');
    }],
    ['an unaligned relocation', ErrorCode.E_BAD_IMAGE, /relocation is outside the data area/, (b) => b.setUint32(u32(b, 48), u32(b, 52) + 2, true)],
    ['a record pointer beyond the body', ErrorCode.E_BAD_IMAGE, /pointer in a record is outside the body/, (b) => b.setUint32(u32(b, u32(b, 48)), b.byteLength + 16, true)],
    ['a params record running past the body', ErrorCode.E_BAD_IMAGE, /points outside its buffer/, (b) => b.setUint32(u32(b, 44) + 8, b.byteLength - 8, true)],
    ['tables out of order', ErrorCode.E_BAD_IMAGE, /call table outside the body/, (b) => b.setUint32(44, u32(b, 40), true)],
    ['an arena larger than the firmware reserves', ErrorCode.E_TOO_BIG, /^model needs \d+ bytes of RAM \(inputs \d+, outputs \d+, arena 1000000, scratch 0\); the firmware reserves \d+$/, (b) => b.setUint32(24, 1_000_000, true)],
  ];
  for (const [what, code, message, edit] of cases)
    it(`refuses ${what}; the active model keeps running`, async () => {
      const r = await refused(mutate(mnist ?? digits, edit));
      expect(r.code, r.message).toBe(code);
      expect(r.message).toMatch(message);
      expect(await f.info()).toMatchObject({ state: 'active', modelHash: digits.hash });
      await runsLike(digits, 1);
    }, 60_000);
});
