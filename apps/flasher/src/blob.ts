import { crc32, layout } from '@qtool/protocol';

// The model image that blob-mode firmware receives with LOAD (docs/protocol.md, "Model image"): a fixed header,
// then the body. The header lets the device check the image before it switches to it and report the model
// hash in INFO; the body's format is named by a code, so devices refuse bodies they cannot run (E_BAD_IMAGE).

export const IMAGE_MAGIC = 0x31425451; // 'QTB1' read as a little-endian u32
export const IMAGE_HEADER_BYTES = 48;

export const BodyFormat = {
  /** the integer artifact (qmodel.json text): devices that run the integer simulator (the TS stand-in board) */
  QMODEL_JSON: 1,
  /** a C layer table and weights for the resident runtime (reserved; defined with the runtime firmware) */
  LAYER_TABLE: 2,
} as const;

export interface ImageHeader {
  magic: number;
  headerBytes: number;
  bodyFormat: number;
  /** 16 ASCII hex digits: what INFO reports once the image is active */
  modelHash: Uint8Array;
  bodyBytes: number;
  bodyCrc: number;
  inputBytes: number;
  outputBytes: number;
  layers: number;
  reserved: number;
  reserved2: Uint8Array;
}

const headerLayout = layout<ImageHeader>('model image header', [
  { name: 'magic', kind: 'u32' },
  { name: 'headerBytes', kind: 'u16' },
  { name: 'bodyFormat', kind: 'u16' },
  { name: 'modelHash', kind: 'fixed', length: 16 },
  { name: 'bodyBytes', kind: 'u32' },
  { name: 'bodyCrc', kind: 'u32' },
  { name: 'inputBytes', kind: 'u32' },
  { name: 'outputBytes', kind: 'u32' },
  { name: 'layers', kind: 'u16' },
  { name: 'reserved', kind: 'u16' },
  { name: 'reserved2', kind: 'fixed', length: 4 },
]);
// 4 + 2 + 2 + 16 + 4 * 4 + 2 + 2 + 4 = 48, every field at an offset of its own alignment

export interface ImageInfo {
  bodyFormat: number;
  modelHash: string;
  inputBytes: number;
  outputBytes: number;
  layers: number;
}

export function buildImage(info: ImageInfo, body: Uint8Array): Uint8Array {
  if (!/^[0-9a-f]{16}$/.test(info.modelHash)) throw new Error(`model hash '${info.modelHash}' is not 16 lowercase hex digits`);
  const header = headerLayout.encode({
    magic: IMAGE_MAGIC,
    headerBytes: IMAGE_HEADER_BYTES,
    ...info,
    modelHash: new TextEncoder().encode(info.modelHash),
    bodyBytes: body.length,
    bodyCrc: crc32(body),
    reserved: 0,
    reserved2: new Uint8Array(4),
  });
  const out = new Uint8Array(header.length + body.length);
  out.set(header, 0);
  out.set(body, header.length);
  return out;
}

/** The header and body of an image, or why it is not one (the device answers E_BAD_IMAGE with that text). */
export function parseImage(image: Uint8Array): { ok: true; header: ImageHeader & { hash: string }; body: Uint8Array } | { ok: false; message: string } {
  if (image.length < IMAGE_HEADER_BYTES) return { ok: false, message: `image of ${image.length} bytes is shorter than its header` };
  let h: ImageHeader;
  try {
    h = headerLayout.decode(image.subarray(0, IMAGE_HEADER_BYTES));
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
  if (h.magic !== IMAGE_MAGIC) return { ok: false, message: 'image does not start with QTB1' };
  if (h.headerBytes !== IMAGE_HEADER_BYTES) return { ok: false, message: `image header of ${h.headerBytes} bytes (this device reads ${IMAGE_HEADER_BYTES})` };
  const hash = String.fromCharCode(...h.modelHash);
  if (!/^[0-9a-f]{16}$/.test(hash)) return { ok: false, message: 'image model hash is not 16 lowercase hex digits' };
  const body = image.subarray(IMAGE_HEADER_BYTES);
  if (h.bodyBytes !== body.length) return { ok: false, message: `image body is ${body.length} bytes, its header says ${h.bodyBytes}` };
  if (crc32(body) !== h.bodyCrc) return { ok: false, message: 'image body CRC does not match its header' };
  return { ok: true, header: { ...h, hash }, body };
}
