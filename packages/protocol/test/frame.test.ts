import { describe, expect, it } from 'vitest';
import { QtError } from '@qtool/ir';
import { crc32, decodeFrame, encodeFrame, FrameDecoder, HEADER_BYTES, MAX_PAYLOAD, type DecoderEvent, type Frame } from '../src/index.js';

// docs/protocol.md, "Frames" and "Receiving".

const ascii = (s: string) => new TextEncoder().encode(s);

/** a small seeded PRNG (mulberry32) so every failure reproduces */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomFrame(r: () => number): Frame {
  const n = Math.floor(r() * r() * (MAX_PAYLOAD + 1));
  return { type: 1 + Math.floor(r() * 0xfe), flags: 0, seq: Math.floor(r() * 0x10000), payload: Uint8Array.from({ length: n }, () => Math.floor(r() * 256)) };
}

const framesOf = (events: DecoderEvent[]) => events.filter((e) => e.kind === 'frame').map((e) => (e as { frame: Frame }).frame);

describe('crc32', () => {
  it('matches the CRC-32 check value (IEEE 802.3 / zlib)', () => {
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(ascii('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
  });

  it('continues a running checksum and honours start/end', () => {
    const all = ascii('123456789');
    expect(crc32(all.subarray(4), crc32(all.subarray(0, 4)))).toBe(0xcbf43926);
    expect(crc32(ascii('xx123456789yy'), 0, 2, 11)).toBe(0xcbf43926);
  });
});

describe('frames', () => {
  it('round-trip through encodeFrame/decodeFrame, header laid out as the spec says', () => {
    const f: Frame = { type: 0x21, flags: 0, seq: 0x1234, payload: Uint8Array.of(1, 2, 3) };
    const b = encodeFrame(f);
    expect(Array.from(b.subarray(0, HEADER_BYTES))).toEqual([0xa5, 0x5a, 0x21, 0x00, 0x34, 0x12, 0x03, 0x00]);
    const crc = crc32(b, 0, 2, HEADER_BYTES + 3);
    expect(Array.from(b.subarray(HEADER_BYTES + 3))).toEqual([crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24]);
    expect(decodeFrame(b)).toEqual(f);
    const r = rng(1);
    for (let i = 0; i < 200; i++) {
      const g = randomFrame(r);
      expect(decodeFrame(encodeFrame(g))).toEqual(g);
    }
    const max = { type: 0x10, flags: 0, seq: 0xffff, payload: new Uint8Array(MAX_PAYLOAD).fill(7) };
    expect(decodeFrame(encodeFrame(max))).toEqual(max);
  });

  it('refuses a payload above MAX_PAYLOAD, a bad CRC, a short frame, a missing sync (QT600)', () => {
    expect(() => encodeFrame({ type: 1, flags: 0, seq: 0, payload: new Uint8Array(MAX_PAYLOAD + 1) })).toThrow(/MAX_PAYLOAD/);
    const b = encodeFrame({ type: 1, flags: 0, seq: 5, payload: Uint8Array.of(9) });
    for (let i = 2; i < b.length; i++) {
      const bad = b.slice();
      bad[i]! ^= 0x10;
      expect(() => decodeFrame(bad)).toThrow(QtError);
    }
    expect(() => decodeFrame(b.subarray(0, 10))).toThrow(/shorter|holds/);
    const nosync = b.slice();
    nosync[0] = 0;
    expect(() => decodeFrame(nosync)).toThrow(/sync/);
  });
});

describe('FrameDecoder', () => {
  const r = rng(7);
  const frames = Array.from({ length: 6 }, () => randomFrame(r));
  const wire = concat(frames.map(encodeFrame));

  it('decodes several frames from one chunk', () => {
    const d = new FrameDecoder();
    expect(framesOf(d.push(wire))).toEqual(frames);
    expect(d.pending).toBe(0);
  });

  it('decodes frames split at every byte boundary', () => {
    const small = concat([encodeFrame({ type: 2, flags: 0, seq: 1, payload: Uint8Array.of(0xa5, 0x5a, 0xa5) }), encodeFrame({ type: 3, flags: 0, seq: 2, payload: new Uint8Array(0) })]);
    for (let cut = 0; cut <= small.length; cut++) {
      const d = new FrameDecoder();
      const got = framesOf([...d.push(small.subarray(0, cut)), ...d.push(small.subarray(cut))]);
      expect(got.map((f) => f.seq), `cut at ${cut}`).toEqual([1, 2]);
    }
    // and byte by byte, and in random pieces
    const d = new FrameDecoder();
    const got: Frame[] = [];
    for (const x of wire) got.push(...framesOf(d.push(Uint8Array.of(x))));
    expect(got).toEqual(frames);
    const d2 = new FrameDecoder();
    const got2: Frame[] = [];
    for (let at = 0; at < wire.length; ) {
      const n = 1 + Math.floor(r() * 50);
      got2.push(...framesOf(d2.push(wire.subarray(at, at + n))));
      at += n;
    }
    expect(got2).toEqual(frames);
  });

  it('resyncs after garbage, including garbage full of false syncs', () => {
    const garbage = Uint8Array.of(0x00, 0xa5, 0xa5, 0x5a, 0x01, 0x00, 0xa5, 0x5a, 0xff, 0xff, 0x13, 0xa5);
    const d = new FrameDecoder();
    const got = framesOf(d.push(concat([garbage, wire, garbage, encodeFrame(frames[0]!)])));
    // a false sync may swallow the bytes up to a later sync; the decoder rescans them, so every frame comes out
    expect(got).toEqual([...frames, frames[0]]);
    for (let seed = 0; seed < 50; seed++) {
      const rr = rng(100 + seed);
      const junk = Uint8Array.from({ length: 1 + Math.floor(rr() * 64) }, () => (rr() < 0.3 ? 0xa5 : rr() < 0.5 ? 0x5a : Math.floor(rr() * 256)));
      const d3 = new FrameDecoder();
      const g3 = framesOf(d3.push(concat([junk, wire])));
      // the junk may end in a header whose length swallows the real frames until a CRC fails; expire() ends it
      if (g3.length < frames.length) g3.push(...framesOf(d3.expire()));
      expect(g3.slice(-frames.length), `seed ${seed}`).toEqual(frames);
    }
  });

  it('rejects a bad CRC and keeps going', () => {
    const b = encodeFrame(frames[1]!);
    b[HEADER_BYTES] = (b[HEADER_BYTES]! + 1) & 0xff;
    const d = new FrameDecoder();
    const ev = d.push(concat([b, encodeFrame(frames[2]!)]));
    expect(ev.filter((e) => e.kind === 'error').map((e) => (e as { fault: string }).fault)).toEqual(['bad-crc']);
    expect(framesOf(ev)).toEqual([frames[2]]);
    expect(d.stats.badCrc).toBe(1);
  });

  it('rejects an oversize length without waiting for its body', () => {
    const header = Uint8Array.of(0xa5, 0x5a, 0x01, 0x00, 0x07, 0x00, (MAX_PAYLOAD + 1) & 0xff, (MAX_PAYLOAD + 1) >> 8);
    const d = new FrameDecoder();
    const ev = d.push(concat([header, encodeFrame(frames[3]!)]));
    expect(ev[0]).toMatchObject({ kind: 'error', fault: 'bad-length', header: { seq: 7, length: MAX_PAYLOAD + 1 } });
    expect(framesOf(ev)).toEqual([frames[3]]);
  });

  it('reports reserved flag bits as bad-flags, not as a frame', () => {
    const b = encodeFrame({ type: 1, flags: 0x40, seq: 3, payload: new Uint8Array(0) });
    const d = new FrameDecoder();
    expect(d.push(b)).toEqual([{ kind: 'error', fault: 'bad-flags', header: { sync: 0x5aa5, type: 1, flags: 0x40, seq: 3, length: 0 } }]);
  });

  it('expire() drops a partial frame and finds a frame hidden inside it', () => {
    const d = new FrameDecoder();
    // a truncated header claiming 1000 bytes, then a complete small frame that it swallows
    const trunc = Uint8Array.of(0xa5, 0x5a, 0x01, 0x00, 0x01, 0x00, 0xe8, 0x03);
    const inner = encodeFrame({ type: 9, flags: 0, seq: 9, payload: Uint8Array.of(1) });
    expect(framesOf(d.push(concat([trunc, inner])))).toEqual([]);
    expect(d.pending).toBeGreaterThan(0);
    expect(framesOf(d.expire()).map((f) => f.seq)).toEqual([9]);
    expect(d.pending).toBe(0);
  });
});

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
