import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cName, emitModelImage, targets } from '@qtool/codegen';
import { buildBlobFirmware, launchQemu, type QemuBoard } from '@qtool/firmware';
import { BodyFormat, buildImage, checkVector, Flasher, memoryLink, openSerial, realClock, type Transport } from '@qtool/flasher';
import { makeTensor, numel, QtError, type Graph } from '@qtool/ir';
import { loadArtifact } from '@qtool/quantizer';
import { corpus, requireCorpus } from '../support/corpus.js';
import { qtool, removeTemps, requireTools, tempDir } from './support.js';

// The resident runtime in QEMU behind a link that drops, corrupts and duplicates bytes, with resets in the
// middle of loads: two models deployed in turn. A deploy either succeeds, and then the board runs the new model
// (INFO and vectors equal to its simulator), or fails with a coded error, and then the board runs the old model
// or the new one, never anything else; no wait is without a timeout (the test's own timeout is a hang guard).

requireTools('arm-none-eabi-gcc', 'qemu-system-arm');
const withCorpus = requireCorpus('resident runtime behind a faulty link (MNIST-8)');
const BOARD = 'mps2-an386';
const DEPLOYS = 12;

interface Model {
  label: string;
  graph: Graph;
  image: Uint8Array;
  hash: string;
}

async function model(label: string, args: string[]): Promise<Model> {
  const dir = join(tempDir('blob-faults'), 'm');
  const r = await qtool('compile', ...args, '-o', dir);
  if (r.code !== 0) throw new Error(r.err);
  const a = loadArtifact(dir);
  const m = a.meta;
  const b = emitModelImage({ graph: a.graph, name: cName(m.source.file), target: targets['cortex-m4'], tool: m.tool, sourceFile: m.source.file, sourceSha256: m.source.sha256, options: 'test' });
  const image = buildImage({ bodyFormat: BodyFormat.LAYER_TABLE, modelHash: b.modelHash, inputBytes: b.inputBytes, outputBytes: b.outputBytes, layers: b.layers }, b.body);
  return { label, graph: a.graph, image, hash: b.modelHash };
}

let q: QemuBoard;
let serial: Transport;
const models: Model[] = [];
beforeAll(async () => {
  models.push(await model('example', []));
  if (withCorpus) models.push(await model('MNIST-8', [corpus('onnx-mnist8/model.onnx')]));
  q = await launchQemu({ board: BOARD, elf: buildBlobFirmware({ board: BOARD }).elf });
  serial = await openSerial(q.pty);
}, 180_000);
afterAll(async () => {
  await serial?.close();
  await q?.stop();
  removeTemps();
});

function inputsOf(g: Graph, seed: number) {
  let s = seed;
  return g.inputs.map((v) => {
    const t = g.tensors.get(v)!;
    return makeTensor('int8', t.shape, Int8Array.from({ length: numel(t.shape) }, () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 24) - 128));
  });
}

describe(`resident runtime on ${BOARD} behind a faulty link`, () => {
  it(`${DEPLOYS} deploys of two models in turn, resets inside loads: no false success, always the old or the new model`, async () => {
    const link = memoryLink(realClock, { drop: 0.0003, corrupt: 0.0003, duplicate: 0.0003, maxPiece: 16 }, 11);
    link.device.onData((chunk) => serial.write(chunk));
    serial.onData((chunk) => link.device.write(chunk));
    const f = new Flasher(link.host, { firstSeq: 2000, timeouts: { HELLO: 1000, INFO: 300, LOAD: 300, VERIFY: 1500, INPUT: 300, OUTPUT: 300, RUN: 1500, READ: 1500, PROFILE: 1500, RESET: 300 } });
    await f.hello();
    const tally = { succeeded: 0, failed: 0, falseSuccess: 0, onOther: 0, resetsInLoad: 0, vectors: 0 };
    /** what the board runs, asked until the link lets an answer through (QT602 on a bad stretch is retried) */
    const running = async (): Promise<Model | undefined> => {
      for (let i = 0; ; i++) {
        try {
          // the hash is the active model's also while another image is staged (state 1)
          const info = await f.info();
          return models.find((m) => m.hash === info.modelHash);
        } catch (e) {
          if (!(e instanceof QtError) || i === 5) throw e;
        }
      }
    };
    const runsLike = async (m: Model, seed: number) => {
      for (let k = 0; k < 2; k++) {
        try {
          const r = await checkVector(f, m.graph, inputsOf(m.graph, seed + k), k);
          expect(r.match, `${m.label}: ${JSON.stringify(r)}`).toBe(true);
          tally.vectors++;
        } catch (e) {
          if (!(e instanceof QtError)) throw e; // a vector the link swallowed whole: no answer, not a wrong one
        }
      }
    };
    let current: Model | undefined;
    for (let d = 0; d < DEPLOYS; d++) {
      const next = models[d % models.length]!;
      if (d % 4 === 3) {
        // a reset in the middle of a load: the staged prefix is lost, the active model stays
        try {
          await f.call({ kind: 'LOAD', offset: 0, total: next.image.length, data: next.image.subarray(0, 700) });
          await f.reset();
          tally.resetsInLoad++;
        } catch (e) {
          if (!(e instanceof QtError)) throw e;
        }
        expect((await running())?.hash).toBe(current?.hash);
      }
      let ok = false;
      try {
        await f.deploy(next.image, next.hash);
        ok = true;
      } catch (e) {
        if (!(e instanceof QtError)) throw e;
      }
      const now = await running();
      if (ok) {
        tally.succeeded++;
        if (now !== next) tally.falseSuccess++;
      } else {
        tally.failed++;
        if (now !== next && now !== current) tally.onOther++;
      }
      current = now;
      if (current) await runsLike(current, 100 * d);
    }
    console.log(`resident runtime behind a faulty link: ${JSON.stringify(tally)}; link ${JSON.stringify(link.stats)}; flasher ${JSON.stringify(f.stats)}`);
    expect(tally.falseSuccess).toBe(0);
    expect(tally.onOther).toBe(0);
    expect(tally.succeeded).toBeGreaterThanOrEqual(DEPLOYS / 2);
    expect(tally.resetsInLoad).toBeGreaterThan(0);
    expect(f.stats.retries).toBeGreaterThan(0);
  }, 300_000);
});
