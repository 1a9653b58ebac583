import { describe, expect, it } from 'vitest';
import { crc32, decodeFrame, decodeReply, encodeRequest, FrameDecoder, type Reply } from '@qtool/protocol';
import { BodyFormat, buildImage, Flasher, memoryLink, parseImage, SimClock, SimDevice, type Transport } from '../src/index.js';
import { fixtures } from './fixtures.js';

// The stand-in board's protocol behaviour, request by request, and the model image format.

/** A raw host end: send frames, collect decoded replies. */
function raw(t: Transport) {
  const d = new FrameDecoder();
  const replies: Reply[] = [];
  t.onData((c) => {
    for (const ev of d.push(c)) if (ev.kind === 'frame') replies.push(decodeReply(ev.frame));
  });
  return { replies, send: (b: Uint8Array) => t.write(b) };
}

function blobDevice(opts = {}) {
  const clock = new SimClock();
  const link = memoryLink(clock);
  const device = new SimDevice(link.device, clock, { mode: 'blob', storageBytes: 64 * 1024, ...opts });
  return { clock, link, device, host: raw(link.host) };
}

const settle = (clock: SimClock, ms = 1) => clock.run(new Promise<void>((r) => clock.setTimer(ms, r)));

describe('model image', () => {
  it('round-trips and is refused when damaged', () => {
    const [a] = fixtures();
    const p = parseImage(a!.image);
    expect(p.ok && p.header.hash).toBe(a!.hash);
    expect(Array.from(a!.image.subarray(0, 4))).toEqual([0x51, 0x54, 0x42, 0x31]);
    const bad = a!.image.slice();
    bad[100]! ^= 1;
    expect(parseImage(bad)).toMatchObject({ ok: false, message: /body CRC/ });
    expect(parseImage(a!.image.subarray(0, 40))).toMatchObject({ ok: false, message: /shorter/ });
    expect(() => buildImage({ bodyFormat: 1, modelHash: 'XYZ', inputBytes: 0, outputBytes: 0, layers: 0 }, new Uint8Array(0))).toThrow(/hex/);
  });
});

describe('stand-in board', () => {
  it('VERIFY with a wrong CRC discards the staged image and keeps the active model (E_VERIFY)', async () => {
    const [a, b] = fixtures();
    const { clock, device, host } = blobDevice({ activeImage: a!.image });
    const img = b!.image;
    for (let off = 0, seq = 1; off < img.length; off += 1016, seq++) host.send(encodeRequest({ kind: 'LOAD', offset: off, total: img.length, data: img.subarray(off, off + 1016) }, seq));
    host.send(encodeRequest({ kind: 'INFO' }, 100));
    host.send(encodeRequest({ kind: 'VERIFY', total: img.length, crc: (crc32(img) ^ 1) >>> 0 }, 101));
    host.send(encodeRequest({ kind: 'VERIFY', total: img.length, crc: crc32(img) }, 102));
    await settle(clock);
    expect(host.replies.at(-3)).toMatchObject({ kind: 'INFO', info: { state: 'staged', modelHash: a!.hash } });
    expect(host.replies.at(-2)).toMatchObject({ kind: 'ERROR', code: 7, seq: 101 });
    expect(host.replies.at(-1)).toMatchObject({ kind: 'ERROR', code: 8, seq: 102 });
    expect(device.activeImage).toEqual(a!.image);
  });

  it('an image body it cannot run is E_BAD_IMAGE; an image above storage E_TOO_BIG; LOAD on aot E_NOT_SUPPORTED', async () => {
    const { clock, host } = blobDevice();
    const img = buildImage({ bodyFormat: BodyFormat.LAYER_TABLE, modelHash: '0123456789abcdef', inputBytes: 1, outputBytes: 1, layers: 1 }, Uint8Array.of(1, 2, 3));
    host.send(encodeRequest({ kind: 'LOAD', offset: 0, total: img.length, data: img }, 1));
    host.send(encodeRequest({ kind: 'VERIFY', total: img.length, crc: crc32(img) }, 2));
    host.send(encodeRequest({ kind: 'LOAD', offset: 0, total: 1 << 20, data: new Uint8Array(0) }, 3));
    host.send(encodeRequest({ kind: 'RUN' }, 4));
    await settle(clock);
    expect(host.replies.map((r) => (r.kind === 'ERROR' ? r.code : r.kind))).toEqual(['LOAD', 9, 6, 8]);
  });

  it('LOAD at a wrong offset is E_BAD_OFFSET carrying the offset to resume at; a reset loses staging', async () => {
    const { clock, device, host } = blobDevice();
    const data = new Uint8Array(100);
    host.send(encodeRequest({ kind: 'LOAD', offset: 0, total: 300, data }, 1));
    host.send(encodeRequest({ kind: 'LOAD', offset: 200, total: 300, data }, 2));
    host.send(encodeRequest({ kind: 'VERIFY', total: 300, crc: 0 }, 3));
    await settle(clock);
    device.powerCycle();
    await settle(clock, 10);
    host.send(encodeRequest({ kind: 'LOAD', offset: 100, total: 300, data }, 4));
    await settle(clock);
    expect(host.replies).toMatchObject([
      { kind: 'LOAD', next: 100 },
      { kind: 'ERROR', code: 5, seq: 2, expected: 100 },
      { kind: 'ERROR', code: 5, seq: 3, expected: 100 },
      { kind: 'ERROR', code: 5, seq: 4, expected: 0 },
    ]);
  });

  it('a repeated request gets the same reply without acting twice', async () => {
    const { clock, host } = blobDevice();
    const req = encodeRequest({ kind: 'LOAD', offset: 0, total: 300, data: new Uint8Array(100) }, 9);
    host.send(req);
    host.send(req);
    host.send(encodeRequest({ kind: 'LOAD', offset: 100, total: 300, data: new Uint8Array(100) }, 10));
    await settle(clock);
    expect(host.replies).toEqual([
      { kind: 'LOAD', next: 100 },
      { kind: 'LOAD', next: 100 },
      { kind: 'LOAD', next: 200 },
    ]);
  });

  it('drops a partial frame 100 ms after its last byte, answers a damaged one E_BAD_CRC', async () => {
    const { clock, host } = blobDevice();
    const hello = encodeRequest({ kind: 'HELLO', version: 1 }, 5);
    host.send(hello.subarray(0, 6));
    await settle(clock, 150);
    host.send(encodeRequest({ kind: 'HELLO', version: 1 }, 6));
    const bad = hello.slice();
    bad[8]! ^= 0xff;
    host.send(bad);
    await settle(clock);
    expect(host.replies).toEqual([
      { kind: 'HELLO', version: 1, mode: 'blob' },
      { kind: 'ERROR', code: 2, seq: 5, message: 'CRC mismatch' },
    ]);
    expect(decodeFrame(hello).seq).toBe(5);
  });

  it('the flasher refuses a device below its protocol versions (QT604)', async () => {
    const clock = new SimClock();
    const link = memoryLink(clock);
    new SimDevice(link.device, clock, { mode: 'blob', protocolVersion: 0 });
    const e = await clock.run(new Flasher(link.host, { clock, firstSeq: 1 }).hello()).catch((x) => x);
    expect(e.message).toMatch(/QT604 the device speaks protocol version 0/);
  });
});
