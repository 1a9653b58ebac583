import { inflateSync } from 'node:zlib';
import { fail } from '@qtool/ir';

// Minimal image decoders for calibration folders: PNG (8-bit; gray, gray+alpha, RGB, RGBA, palette; not
// interlaced) and BMP (uncompressed 8-bit palette, 24-bit and 32-bit). Pixels come out as bytes, HWC.

export interface Image {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function isPng(b: Uint8Array): boolean {
  return b.length >= 8 && PNG_MAGIC.every((v, i) => b[i] === v);
}

export function isBmp(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d;
}

export function decodePng(b: Uint8Array, file: string): Image {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let pos = 8;
  let width = 0, height = 0, depth = 0, color = 0, interlace = 0;
  let palette: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  while (pos + 8 <= b.length) {
    const len = dv.getUint32(pos);
    const type = String.fromCharCode(b[pos + 4]!, b[pos + 5]!, b[pos + 6]!, b[pos + 7]!);
    if (pos + 12 + len > b.length) fail('QT401', `PNG chunk '${type}' runs past the end of the file`, { file, offset: pos });
    const body = b.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = dv.getUint32(pos + 8);
      height = dv.getUint32(pos + 12);
      depth = body[8]!;
      color = body[9]!;
      interlace = body[12]!;
    } else if (type === 'PLTE') palette = body;
    else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  if (!width || !height) fail('QT401', 'PNG without a valid IHDR', { file, offset: 8 });
  if (depth !== 8 || interlace) fail('QT401', `PNG with bit depth ${depth}${interlace ? ', interlaced' : ''} is not supported (8-bit, non-interlaced)`, { file });
  const bpp = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[color];
  if (!bpp) fail('QT401', `PNG color type ${color} is not supported`, { file });
  if (width * height > 1 << 26) fail('QT401', `PNG of ${width}x${height} is too large for a calibration sample`, { file });
  let raw: Buffer;
  try {
    raw = inflateSync(Buffer.concat(idat));
  } catch (e) {
    fail('QT401', `PNG image data does not inflate: ${(e as Error).message}`, { file });
  }
  const stride = width * bpp;
  if (raw.length < height * (stride + 1)) fail('QT401', 'PNG image data is shorter than its size needs', { file });
  const px = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)]!;
    const src = y * (stride + 1) + 1;
    const dst = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? px[dst + x - bpp]! : 0;
      const up = y > 0 ? px[dst - stride + x]! : 0;
      const c = y > 0 && x >= bpp ? px[dst - stride + x - bpp]! : 0;
      let v = raw[src + x]!;
      if (f === 1) v += a;
      else if (f === 2) v += up;
      else if (f === 3) v += (a + up) >> 1;
      else if (f === 4) {
        const p = a + up - c;
        const pa = Math.abs(p - a), pb = Math.abs(p - up), pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? up : c;
      } else if (f !== 0) fail('QT401', `PNG row ${y} has unknown filter ${f}`, { file });
      px[dst + x] = v & 255;
    }
  }
  if (color === 3) {
    if (!palette) fail('QT401', 'palette PNG without PLTE', { file });
    const out = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) out.set(palette.subarray(px[i]! * 3, px[i]! * 3 + 3), i * 3);
    return { width, height, channels: 3, data: out };
  }
  // alpha is dropped: models take gray or RGB
  if (color === 4 || color === 6) {
    const ch = bpp - 1;
    const out = new Uint8Array(width * height * ch);
    for (let i = 0; i < width * height; i++) for (let k = 0; k < ch; k++) out[i * ch + k] = px[i * bpp + k]!;
    return { width, height, channels: ch, data: out };
  }
  return { width, height, channels: bpp, data: px };
}

export function decodeBmp(b: Uint8Array, file: string): Image {
  if (b.length < 54) fail('QT401', 'BMP header is truncated', { file, offset: b.length });
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dataOffset = dv.getUint32(10, true);
  const headerSize = dv.getUint32(14, true);
  const width = dv.getInt32(18, true);
  const rawHeight = dv.getInt32(22, true);
  const bits = dv.getUint16(28, true);
  const compression = dv.getUint32(30, true);
  if (compression !== 0 && !(compression === 3 && bits === 32)) fail('QT401', `compressed BMP (method ${compression}) is not supported`, { file, offset: 30 });
  if (width <= 0 || rawHeight === 0 || width * Math.abs(rawHeight) > 1 << 26) fail('QT401', `BMP size ${width}x${rawHeight} is not valid`, { file, offset: 18 });
  const height = Math.abs(rawHeight);
  const stride = Math.ceil((width * bits) / 32) * 4;
  if (dataOffset + stride * height > b.length) fail('QT401', 'BMP pixel data is shorter than its size needs', { file, offset: dataOffset });
  let palette: Uint8Array | undefined;
  if (bits === 8) palette = b.subarray(14 + headerSize, dataOffset);
  else if (bits !== 24 && bits !== 32) fail('QT401', `BMP with ${bits} bits per pixel is not supported (8, 24, 32)`, { file, offset: 28 });
  // an 8-bit BMP whose palette is all gray decodes to one channel
  const gray = bits === 8 && palette !== undefined && Array.from({ length: palette.length >> 2 }, (_, i) => i).every((i) => palette![i * 4] === palette![i * 4 + 1] && palette![i * 4] === palette![i * 4 + 2]);
  const channels = gray ? 1 : 3;
  const out = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (rawHeight > 0 ? height - 1 - y : y) * stride; // positive height: bottom-up
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * channels;
      if (bits === 8) {
        const p = b[row + x]! * 4;
        if (gray) out[o] = palette![p]!;
        else { out[o] = palette![p + 2]!; out[o + 1] = palette![p + 1]!; out[o + 2] = palette![p]!; }
      } else {
        const p = row + x * (bits / 8);
        out[o] = b[p + 2]!; out[o + 1] = b[p + 1]!; out[o + 2] = b[p]!; // BGR -> RGB
      }
    }
  }
  return { width, height, channels, data: out };
}
