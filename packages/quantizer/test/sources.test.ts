import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { QtError, makeTensor, toNumbers, type TensorInfo } from '@qtool/ir';
import { encodeNpy } from '@qtool/frontend';
import { decodeBmp, decodePng, loadSamples } from '../src/index.js';

// Calibration sample sources. The PNG and BMP files are written here by small encoders of our own, straight from
// the formats' specifications (PNG: chunks, zlib stream, one filter byte per row; BMP: bottom-up or top-down rows
// padded to 4 bytes, BGR order), so the decoders are checked against independently produced bytes.

function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  dv.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}

/** Encodes 8-bit pixels (HWC) as PNG, row r filtered with filter `filters[r % filters.length]`. */
function png(w: number, h: number, colorType: number, channels: number, px: Uint8Array, filters: number[], palette?: Uint8Array): Uint8Array {
  const stride = w * channels;
  const raw = new Uint8Array(h * (stride + 1));
  const paeth = (a: number, b: number, c: number) => {
    const p = a + b - c;
    const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
  };
  for (let y = 0; y < h; y++) {
    const f = filters[y % filters.length]!;
    raw[y * (stride + 1)] = f;
    for (let x = 0; x < stride; x++) {
      const cur = px[y * stride + x]!;
      const left = x >= channels ? px[y * stride + x - channels]! : 0;
      const up = y > 0 ? px[(y - 1) * stride + x]! : 0;
      const ul = y > 0 && x >= channels ? px[(y - 1) * stride + x - channels]! : 0;
      const pred = [0, left, up, (left + up) >> 1, paeth(left, up, ul)][f]!;
      raw[y * (stride + 1) + 1 + x] = (cur - pred) & 255;
    }
  }
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, w);
  dv.setUint32(4, h);
  ihdr.set([8, colorType, 0, 0, 0], 8);
  const parts = [Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr)];
  if (palette) parts.push(chunk('PLTE', palette));
  const z = deflateSync(raw);
  // image data split over two IDAT chunks, as encoders do for large images
  parts.push(chunk('IDAT', z.subarray(0, z.length >> 1)), chunk('IDAT', z.subarray(z.length >> 1)), chunk('IEND', new Uint8Array(0)));
  return Uint8Array.from(parts.flatMap((p) => Array.from(p)));
}

/** 24-bit BMP (bottom-up unless topDown) from RGB pixels, HWC. */
function bmp24(w: number, h: number, rgb: Uint8Array, topDown = false): Uint8Array {
  const stride = Math.ceil((w * 3) / 4) * 4;
  const out = new Uint8Array(54 + stride * h);
  const dv = new DataView(out.buffer);
  out.set([0x42, 0x4d]);
  dv.setUint32(2, out.length, true);
  dv.setUint32(10, 54, true);
  dv.setUint32(14, 40, true);
  dv.setInt32(18, w, true);
  dv.setInt32(22, topDown ? -h : h, true);
  dv.setUint16(26, 1, true);
  dv.setUint16(28, 24, true);
  for (let y = 0; y < h; y++) {
    const row = 54 + (topDown ? y : h - 1 - y) * stride;
    for (let x = 0; x < w; x++) {
      const p = (y * w + x) * 3;
      out.set([rgb[p + 2]!, rgb[p + 1]!, rgb[p]!], row + x * 3);
    }
  }
  return out;
}

function pixels(n: number, seed: number): Uint8Array {
  let s = seed;
  return Uint8Array.from({ length: n }, () => (s = (s * 1103515245 + 12345) >>> 0) >>> 24);
}

describe('PNG decoder', () => {
  it('gray, RGB, gray+alpha and RGBA with every filter type give back the pixels', () => {
    for (const [color, ch] of [[0, 1], [2, 3], [4, 2], [6, 4]] as const) {
      const px = pixels(7 * 5 * ch, color + 1);
      const img = decodePng(png(7, 5, color, ch, px, [0, 1, 2, 3, 4]), 'x.png');
      const keep = color === 4 ? 1 : color === 6 ? 3 : ch; // alpha is dropped
      expect(img).toMatchObject({ width: 7, height: 5, channels: keep });
      const want = Array.from({ length: 35 * keep }, (_, i) => px[Math.floor(i / keep) * ch + (i % keep)]);
      expect(Array.from(img.data)).toEqual(want);
    }
  });

  it('palette images expand to RGB', () => {
    const palette = Uint8Array.from([10, 20, 30, 200, 100, 0, 1, 2, 3]);
    const idx = Uint8Array.from([0, 1, 2, 1, 0, 2]);
    const img = decodePng(png(3, 2, 3, 1, idx, [2], palette), 'p.png');
    expect(Array.from(img.data)).toEqual(Array.from(idx).flatMap((i) => Array.from(palette.subarray(i * 3, i * 3 + 3))));
  });

  it('refuses what it does not read with QT401 naming the file', () => {
    const good = png(2, 2, 0, 1, pixels(4, 3), [0]);
    const sixteen = good.slice();
    sixteen[8 + 8 + 8] = 16; // IHDR bit depth
    for (const [bytes, msg] of [[good.subarray(0, 30), 'runs past the end'], [sixteen, 'bit depth 16']] as const) {
      try {
        decodePng(bytes, 'bad.png');
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(QtError);
        expect((e as QtError).code).toBe('QT401');
        expect((e as QtError).message).toContain(msg);
      }
    }
  });
});

describe('BMP decoder', () => {
  it('24-bit bottom-up and top-down, rows padded to 4 bytes', () => {
    const rgb = pixels(5 * 3 * 3, 9);
    for (const topDown of [false, true]) {
      const img = decodeBmp(bmp24(5, 3, rgb, topDown), 'x.bmp');
      expect(img).toMatchObject({ width: 5, height: 3, channels: 3 });
      expect(Array.from(img.data)).toEqual(Array.from(rgb));
    }
  });
});

describe('loadSamples', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qtool-samples-'));

  it('a folder of PNG/BMP images: x = pixel * scale - mean, in the model input layout (NCHW or NHWC)', () => {
    const rgb = pixels(4 * 2 * 3, 5);
    writeFileSync(join(dir, 'a.bmp'), bmp24(4, 2, rgb));
    writeFileSync(join(dir, 'b.png'), png(4, 2, 2, 3, rgb, [4]));
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    const pre = { scale: 1 / 255, mean: [0.5, 0.25, 0] };
    const nchw: TensorInfo = { name: 'x', dtype: 'float32', shape: [1, 3, 2, 4] };
    const nhwc: TensorInfo = { name: 'x', dtype: 'float32', shape: [1, 2, 4, 3] };
    for (const input of [nchw, nhwc]) {
      const got = loadSamples(dir, input, pre);
      expect(got.length).toBe(2);
      for (const t of got) {
        expect(t.shape).toEqual(input.shape);
        for (let y = 0; y < 2; y++)
          for (let x = 0; x < 4; x++)
            for (let c = 0; c < 3; c++) {
              const i = input === nchw ? (c * 2 + y) * 4 + x : (y * 4 + x) * 3 + c;
              expect(t.data[i]).toBeCloseTo(rgb[(y * 4 + x) * 3 + c]! / 255 - pre.mean[c]!, 6);
            }
      }
    }
  });

  it('a .npy batch splits into samples; `limit` stops early; a wrong shape is QT401', () => {
    const f = join(dir, '..', `batch-${process.pid}.npy`);
    writeFileSync(f, encodeNpy(makeTensor('float32', [5, 2, 3], Float32Array.from({ length: 30 }, (_, i) => i))));
    const input: TensorInfo = { name: 'x', dtype: 'float32', shape: [1, 2, 3] };
    const got = loadSamples(f, input, undefined, 3);
    expect(got.map((t) => toNumbers(t))).toEqual([0, 1, 2].map((s) => Array.from({ length: 6 }, (_, i) => s * 6 + i)));
    expect(() => loadSamples(f, { ...input, shape: [1, 3, 2] })).toThrow(/QT401.*does not fit model input 'x'/);
  });

  it('a missing path is QT001; an image of the wrong size is QT401', () => {
    expect(() => loadSamples(join(dir, 'nope'), { name: 'x', dtype: 'float32', shape: [1, 1, 2, 2] })).toThrow(/QT001/);
    expect(() => loadSamples(join(dir, 'a.bmp'), { name: 'x', dtype: 'float32', shape: [1, 3, 8, 8] })).toThrow(/QT401.*4x2.*8x8/);
  });
});
