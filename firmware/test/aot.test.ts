import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame, encodeRequest, ErrorCode } from '@qtool/protocol';
import { buildFirmware, DeviceLink, emulatedBoards, launchQemu, type FirmwareImage, type QemuBoard } from '../src/index.js';
import { compileExample, removeCompiled, requireTools, vectors, type Vector } from './support.js';

// The vertical slice on every emulated board: the bundled example compiled for the board, linked into the
// AOT firmware, run under qemu-system-arm, driven over the pty with HELLO/INFO/INPUT/RUN/OUTPUT, and every
// output compared with the integer simulator, exactly.

const IMAGES = 30;
const RANDOM = 30; // + the two extremes: 62 vectors per board

describe.each(emulatedBoards)('AOT firmware on %s (QEMU)', (board) => {
  let image: FirmwareImage;
  let qemu: QemuBoard | undefined;
  let link: DeviceLink | undefined;
  let cases: Vector[];

  beforeAll(async () => {
    requireTools('arm-none-eabi-gcc', 'qemu-system-arm');
    const dir = compileExample(board);
    image = buildFirmware({ modelDir: dir, board });
    cases = vectors(dir, IMAGES, RANDOM);
    qemu = await launchQemu({ board, elf: image.elf });
    link = await DeviceLink.open(qemu.pty);
  }, 60_000);

  afterAll(async () => {
    await link?.close();
    await qemu?.stop();
    removeCompiled();
  });

  it('answers HELLO and INFO with the board and the linked model', async () => {
    expect(await link!.hello()).toEqual({ kind: 'HELLO', version: 1, mode: 'aot' });
    const { info } = await link!.request({ kind: 'INFO' });
    expect(info).toMatchObject({
      protocolVersion: 1,
      mode: 'aot',
      board,
      modelHash: image.model.hash,
      inputBytes: image.model.inputBytes,
      outputBytes: image.model.outputBytes,
      layers: image.model.layers,
      arenaBytes: image.model.arenaBytes,
      storageBytes: 0,
      state: 'active',
    });
  }, 30_000);

  it('computes what the integer simulator computes on >= 50 vectors, bit for bit', async () => {
    expect(cases.length).toBeGreaterThanOrEqual(50);
    let matched = 0;
    for (const c of cases) {
      const { output } = await link!.infer(new Uint8Array(c.input.buffer), image.model.outputBytes);
      expect(new Int8Array(output.buffer), c.what).toEqual(c.expected);
      matched++;
    }
    console.log(`${board}: ${matched}/${cases.length} vectors equal the integer simulator`);
  }, 60_000);

  it('READ returns a layer output; PROFILE has one entry per layer; OUTPUT reads at an offset', async () => {
    const c = cases[0]!;
    await link!.infer(new Uint8Array(c.input.buffer), image.model.outputBytes);
    const last = image.model.layers - 1;
    const read = await link!.request({ kind: 'READ', layer: last, offset: 0, length: 1000 });
    // the last layer writes the model output
    expect(read.tensorBytes).toBe(image.model.outputBytes);
    expect(new Int8Array(read.data.buffer, read.data.byteOffset, read.data.length)).toEqual(c.expected);
    const part = await link!.request({ kind: 'READ', layer: last, offset: 3, length: 4 });
    expect(Array.from(part.data)).toEqual(Array.from(new Uint8Array(c.expected.buffer).subarray(3, 7)));
    const profile = await link!.request({ kind: 'PROFILE' });
    expect(profile.cycles.length).toBe(image.model.layers);
    const out = await link!.request({ kind: 'OUTPUT', offset: 2, length: 5 });
    expect(Array.from(out.data)).toEqual(Array.from(new Uint8Array(c.expected.buffer).subarray(2, 7)));
  }, 30_000);

  it('answers errors as docs/protocol.md says: bad offset with the offset to resume at, LOAD not supported', async () => {
    const seq = link!.nextSeq();
    const reply = await link!.exchange(encodeRequest({ kind: 'INPUT', offset: 5, data: new Uint8Array(3) }, seq), seq, 1000);
    // the previous test left every input byte held: resume there
    expect(reply).toMatchObject({ kind: 'ERROR', code: ErrorCode.E_BAD_OFFSET, seq, expected: image.model.inputBytes });
    await expect(link!.request({ kind: 'LOAD', offset: 0, total: 4, data: new Uint8Array(4) }, { retries: 0 })).rejects.toThrow(/E_NOT_SUPPORTED/);
    await expect(link!.request({ kind: 'READ', layer: 999, offset: 0, length: 4 }, { retries: 0 })).rejects.toThrow(/E_BAD_LENGTH/);
    await expect(link!.request({ kind: 'READ', layer: 0, offset: 100_000, length: 4 }, { retries: 0 })).rejects.toThrow(/E_BAD_LENGTH/);
    await expect(link!.request({ kind: 'OUTPUT', offset: 100_000, length: 4 }, { retries: 0 })).rejects.toThrow(/E_BAD_LENGTH/);
    await expect(link!.request({ kind: 'INPUT', offset: 0, data: new Uint8Array(image.model.inputBytes + 1) }, { retries: 0 })).rejects.toThrow(/E_TOO_BIG/);
  }, 30_000);

  it('drops a partial frame after 100 ms of silence, answers a damaged CRC with E_BAD_CRC, skips garbage', async () => {
    const l = link!;
    // half a HELLO, then silence: the device must forget it, so the next frame parses from its own sync
    await l.write(encodeRequest({ kind: 'HELLO', version: 1 }, l.nextSeq()).subarray(0, 5));
    await new Promise((r) => setTimeout(r, 300));
    let seq = l.nextSeq();
    expect(await l.exchange(encodeRequest({ kind: 'INFO' }, seq), seq, 1000)).toMatchObject({ kind: 'INFO' });

    seq = l.nextSeq();
    const bad = encodeRequest({ kind: 'INFO' }, seq);
    bad[bad.length - 1]! ^= 0xff;
    expect(await l.exchange(bad, seq, 1000)).toMatchObject({ kind: 'ERROR', code: ErrorCode.E_BAD_CRC, seq });

    seq = l.nextSeq();
    const noise = Uint8Array.from([0x00, 0xa5, 0x13, 0x5a, 0xa5, 0xff]);
    const hello = encodeRequest({ kind: 'HELLO', version: 7 }, seq);
    expect(await l.exchange(Uint8Array.from([...noise, ...hello]), seq, 1000)).toEqual({ kind: 'HELLO', version: 1, mode: 'aot' });

    seq = l.nextSeq();
    expect(await l.exchange(encodeFrame({ type: 0x55, flags: 0, seq, payload: new Uint8Array(0) }), seq, 1000)).toMatchObject({
      kind: 'ERROR',
      code: ErrorCode.E_UNKNOWN_TYPE,
    });
  }, 30_000);

  it('answers a repeated request (same seq) with the same reply without acting twice', async () => {
    const l = link!;
    const n = image.model.inputBytes;
    const half = n >> 1;
    await l.request({ kind: 'INPUT', offset: 0, data: new Uint8Array(half) });
    const seq = l.nextSeq();
    const second = encodeRequest({ kind: 'INPUT', offset: half, data: new Uint8Array(n - half) }, seq);
    expect(await l.exchange(second, seq, 1000)).toEqual({ kind: 'INPUT', held: n });
    // acting twice would append at offset `half` again, which is no longer the expected offset (E_BAD_OFFSET)
    expect(await l.exchange(second, seq, 1000)).toEqual({ kind: 'INPUT', held: n });
  }, 30_000);

  it('RESET: replies, reboots, and the board answers HELLO again with its inputs cleared', async () => {
    const l = link!;
    expect(await l.request({ kind: 'RESET' })).toEqual({ kind: 'RESET' });
    expect(await l.hello()).toEqual({ kind: 'HELLO', version: 1, mode: 'aot' });
    await expect(l.request({ kind: 'RUN' }, { retries: 0 })).rejects.toThrow(/E_BAD_LENGTH: inputs incomplete/);
    const c = cases[1]!;
    const { output } = await l.infer(new Uint8Array(c.input.buffer), image.model.outputBytes);
    expect(new Int8Array(output.buffer)).toEqual(c.expected);
  }, 30_000);
});
