// NumPy .npy files (format spec: numpy/lib/format.py, "NPY format"):
//   bytes 0-5   magic "\x93NUMPY"
//   bytes 6-7   format version, major then minor (1.0, 2.0 or 3.0)
//   then        header length HEADER_LEN: u16 little endian in 1.0, u32 in 2.0 and 3.0
//   then        HEADER_LEN bytes: a Python dict literal (latin-1 in 1.0/2.0, UTF-8 in 3.0), space-padded, ending '\n'
//   then        the raw array data, C or Fortran order as the header says.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Parser } from 'binary-parser';
import { dtypeSize, fail, numel, QtError, type DType, type Location, type Tensor, type TypedArray } from '@qtool/ir';
import { parsePyLiteral, PyLiteralError, pyRepr, pyTuple, type PyValue } from './npy-header.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
// The spec pads the header so the data starts on a 64-byte boundary (ARRAY_ALIGN in format.py).
const ALIGN = 64;
// NumPy allows 32 dimensions (64 since 2.0); more is no tensor qtool handles.
const MAX_RANK = 64;
const GROWTH_AXIS_MAX_DIGITS = 21; // format.py

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** descr type code (kind + item size) -> dtype. Only these are read; float16, uint64, complex, strings are QT301. */
const dtypeOfCode: Record<string, DType> = {
  f4: 'float32',
  f8: 'float64',
  i1: 'int8',
  u1: 'uint8',
  i2: 'int16',
  u2: 'uint16',
  i4: 'int32',
  u4: 'uint32',
  i8: 'int64',
  b1: 'bool',
};

/** dtype -> the descr NumPy writes for it on a little-endian machine ('|' where byte order does not apply). */
const descrOf: Record<DType, string> = {
  float32: '<f4',
  float64: '<f8',
  int8: '|i1',
  uint8: '|u1',
  int16: '<i2',
  uint16: '<u2',
  int32: '<i4',
  uint32: '<u4',
  int64: '<i8',
  bool: '|b1',
};

// The fixed part of every version: magic, version, and the header length whose width depends on the version.
const preamble = new Parser()
  .endianness('little')
  .array('magic', { type: 'uint8', length: MAGIC.length })
  .uint8('major')
  .uint8('minor')
  .choice('headerLen', { tag: 'major', choices: { 1: 'uint16le', 2: 'uint32le', 3: 'uint32le' } });

interface Preamble {
  magic: number[];
  major: number;
  minor: number;
  headerLen: number;
}

/** The decoded header. */
export interface NpyHeader {
  version: [number, number];
  dtype: DType;
  littleEndian: boolean;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the array data. */
  dataOffset: number;
}

/** Reads the header of a .npy file. Throws QtError QT300 (malformed) or QT301 (unsupported dtype). */
export function parseNpyHeader(bytes: Uint8Array, file = '<bytes>'): NpyHeader {
  const at = (offset: number): Location => ({ file, offset });
  for (let i = 0; i < MAGIC.length; i++) {
    if (i >= bytes.length) fail('QT300', `file ends after ${bytes.length} bytes, inside the magic string`, at(bytes.length));
    if (bytes[i] !== MAGIC[i]) fail('QT300', 'not a .npy file: the magic string "\\x93NUMPY" is missing', at(i));
  }
  if (bytes.length < 8) fail('QT300', 'file ends before the format version', at(bytes.length));
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (major < 1 || major > 3 || minor !== 0) fail('QT300', `unknown .npy format version ${major}.${minor}`, at(6));
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) fail('QT300', 'file ends inside the header length', at(bytes.length));
  const pre = preamble.parse(bytes.subarray(0, 8 + lenBytes)) as Preamble;
  const headerStart = 8 + lenBytes;
  const dataOffset = headerStart + pre.headerLen;
  if (dataOffset > bytes.length) {
    fail('QT300', `header declares ${pre.headerLen} bytes but the file ends after ${bytes.length - headerStart}`, at(bytes.length));
  }
  const raw = bytes.subarray(headerStart, dataOffset);
  let text: string;
  try {
    text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1', { fatal: true }).decode(raw);
  } catch {
    fail('QT300', 'header is not valid UTF-8', at(headerStart));
  }
  // Byte offset of a character index (they differ only for non-ASCII text in a 3.0 header).
  const offsetOf = (i: number): number => headerStart + (major === 3 ? Buffer.byteLength(text.slice(0, i)) : i);
  const where = (v: { at: number }): Location => at(offsetOf(v.at));

  let dict: PyValue;
  try {
    dict = parsePyLiteral(text);
  } catch (e) {
    if (e instanceof PyLiteralError) fail('QT300', `header is not a Python literal: ${e.message}`, at(offsetOf(e.index)));
    throw e;
  }
  if (dict.kind !== 'dict') fail('QT300', `header is a ${dict.kind}, not a dict`, where(dict));
  const fields = new Map<string, PyValue>();
  for (const [k, v] of dict.entries) {
    if (k.kind !== 'str') fail('QT300', `header key is a ${k.kind}, not a string`, where(k));
    if (!['descr', 'fortran_order', 'shape'].includes(k.value)) fail('QT300', `unexpected header key '${k.value}'`, where(k));
    if (fields.has(k.value)) fail('QT300', `header key '${k.value}' appears twice`, where(k));
    fields.set(k.value, v);
  }
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!fields.has(key)) fail('QT300', `header has no '${key}'`, where(dict));
  }

  const descr = fields.get('descr')!;
  if (descr.kind !== 'str') fail('QT301', `descr is a ${descr.kind}: structured dtypes are not supported`, where(descr));
  const m = /^([<>|=])([a-zA-Z]\d+)$/.exec(descr.value);
  const dtype = m ? dtypeOfCode[m[2]!] : undefined;
  if (!m || !dtype) fail('QT301', `unsupported dtype '${descr.value}' (supported: ${supportedList()})`, where(descr));
  const order = m[1]!;
  if (dtypeSize[dtype] > 1 && order !== '<' && order !== '>') {
    fail('QT301', `dtype '${descr.value}' does not say its byte order ('<' or '>')`, where(descr));
  }

  const fortran = fields.get('fortran_order')!;
  if (fortran.kind !== 'bool') fail('QT300', `fortran_order is a ${fortran.kind}, not True or False`, where(fortran));

  const shapeV = fields.get('shape')!;
  if (shapeV.kind !== 'tuple') fail('QT300', `shape is a ${shapeV.kind}, not a tuple`, where(shapeV));
  if (shapeV.items.length > MAX_RANK) fail('QT301', `shape has ${shapeV.items.length} dimensions (at most ${MAX_RANK})`, where(shapeV));
  const shape = shapeV.items.map((d) => {
    if (d.kind !== 'int' || d.value < 0n) fail('QT300', 'shape entries must be non-negative integers', where(d));
    if (d.value > BigInt(Number.MAX_SAFE_INTEGER)) fail('QT300', `dimension ${d.value} is too large`, where(d));
    return Number(d.value);
  });

  return { version: [major, minor], dtype, littleEndian: order !== '>', fortranOrder: fortran.value, shape, dataOffset };
}

/** Reads a .npy file's bytes into a C-order tensor. Throws QtError QT300/QT301 with the byte offset of the problem. */
export function parseNpy(bytes: Uint8Array, file = '<bytes>'): Tensor {
  const h = parseNpyHeader(bytes, file);
  const size = dtypeSize[h.dtype];
  // Check the declared size against the bytes present before allocating anything (BigInt: shapes can overflow).
  const need = h.shape.reduce((a, d) => a * BigInt(d), 1n) * BigInt(size);
  const have = BigInt(bytes.length - h.dataOffset);
  if (need > have) {
    fail('QT300', `shape (${h.shape.join(', ')}) of ${h.dtype} needs ${need} data bytes but the file holds ${have}`, {
      file,
      offset: bytes.length,
    });
  }
  if (need < have) {
    fail('QT300', `${have - need} bytes after the array data (several arrays saved into one file?)`, {
      file,
      offset: h.dataOffset + Number(need),
    });
  }
  // Copy into a fresh, aligned buffer: the file's data offset need not be a multiple of the item size.
  const raw = new Uint8Array(bytes.subarray(h.dataOffset)); // a copy: Buffer#slice would be a view
  if (h.littleEndian !== HOST_LITTLE_ENDIAN) swapBytes(raw, size);
  if (h.dtype === 'bool') for (let i = 0; i < raw.length; i++) raw[i] = raw[i] ? 1 : 0;
  let data = view(h.dtype, raw.buffer);
  if (h.fortranOrder) data = fortranToC(data, h.shape);
  return { dtype: h.dtype, shape: h.shape, data };
}

/** Reads a .npy file. Throws QtError QT001 if it cannot be read, QT300/QT301 if it is not a supported .npy. */
export function readNpy(path: string): Tensor {
  let bytes: Uint8Array;
  try {
    if (!statSync(path).isFile()) fail('QT001', 'not a regular file', { file: path });
    bytes = readFileSync(path);
  } catch (e) {
    if (e instanceof QtError) throw e;
    fail('QT001', (e as Error).message, { file: path });
  }
  return parseNpy(bytes, basename(path));
}

/**
 * Encodes a tensor as a .npy file, C order, byte-identical to NumPy's np.save: version 1.0 (2.0 only if the header
 * needs more than 65535 bytes), little-endian descr.
 */
export function encodeNpy(t: Tensor): Uint8Array {
  const n = numel(t.shape);
  if (t.data.length !== n) fail('QT003', `tensor data holds ${t.data.length} elements, shape [${t.shape.join(',')}] needs ${n}`);
  let dict = `{'descr': ${pyRepr(descrOf[t.dtype])}, 'fortran_order': False, 'shape': ${pyTuple(t.shape)}, }`;
  // NumPy leaves room for the first dimension to grow to 21 digits, so a file can be appended to in place; doing
  // the same keeps our files byte-identical to np.save's.
  if (t.shape.length > 0) dict += ' '.repeat(GROWTH_AXIS_MAX_DIGITS - String(t.shape[0]).length);
  // Version 1.0 unless its u16 header length cannot hold the header (as format.py decides).
  const major = wrapHeader(dict, 10).length > 0xffff ? 2 : 1;
  const prefix = major === 1 ? 10 : 12;
  const header = wrapHeader(dict, prefix);
  const total = prefix + header.length;
  const size = dtypeSize[t.dtype];
  const out = new Uint8Array(total + n * size);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  if (major === 1) dv.setUint16(8, header.length, true);
  else dv.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[prefix + i] = header.charCodeAt(i);
  const body = out.subarray(total);
  body.set(new Uint8Array(t.data.buffer, t.data.byteOffset, n * size));
  if (!HOST_LITTLE_ENDIAN) swapBytes(body, size);
  if (t.dtype === 'bool') for (let i = 0; i < n; i++) body[i] = body[i] ? 1 : 0;
  return out;
}

/**
 * Writes a tensor as a .npy file. The bytes go to a temporary file in the same directory that is then renamed over
 * `path`, so a failure never leaves a half-written file. Throws QtError QT004 on any file system error.
 */
export function writeNpy(path: string, t: Tensor): void {
  const bytes = encodeNpy(t);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
  try {
    const fd = openSync(tmp, 'wx');
    try {
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // the temporary file was never created, or is already gone
    }
    fail('QT004', `cannot write .npy: ${(e as Error).message}`, { file: path });
  }
}

/**
 * Pads the header text with spaces and ends it with '\n' so the data starts on an ALIGN boundary. Like format.py's
 * _wrap_header this adds a whole ALIGN of spaces when the text alone would end exactly on a boundary.
 */
function wrapHeader(dict: string, prefix: number): string {
  return dict + ' '.repeat(ALIGN - ((prefix + dict.length + 1) % ALIGN)) + '\n';
}

function supportedList(): string {
  return Object.keys(dtypeOfCode).join(', ');
}

function swapBytes(b: Uint8Array, size: number): void {
  for (let i = 0; i < b.length; i += size) {
    for (let lo = i, hi = i + size - 1; lo < hi; lo++, hi--) {
      const x = b[lo]!;
      b[lo] = b[hi]!;
      b[hi] = x;
    }
  }
}

function view(dtype: DType, buf: ArrayBuffer): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(buf);
    case 'float64': return new Float64Array(buf);
    case 'int8': return new Int8Array(buf);
    case 'uint8': return new Uint8Array(buf);
    case 'bool': return new Uint8Array(buf);
    case 'int16': return new Int16Array(buf);
    case 'uint16': return new Uint16Array(buf);
    case 'int32': return new Int32Array(buf);
    case 'uint32': return new Uint32Array(buf);
    case 'int64': return new BigInt64Array(buf);
  }
}

/** Fortran (column-major) data of `shape` -> the same array in C (row-major) order. */
function fortranToC(src: TypedArray, shape: readonly number[]): TypedArray {
  const n = src.length;
  if (n === 0 || shape.length < 2) return src; // the two orders coincide
  const dst = new (src.constructor as new (n: number) => TypedArray)(n);
  // Fortran strides: the first axis is contiguous.
  const fStride = new Array<number>(shape.length);
  let acc = 1;
  for (let k = 0; k < shape.length; k++) {
    fStride[k] = acc;
    acc *= shape[k]!;
  }
  // Walk the C-order index like an odometer, last axis fastest, keeping the Fortran offset in step.
  const idx = new Array<number>(shape.length).fill(0);
  let f = 0;
  for (let c = 0; c < n; c++) {
    dst[c] = src[f]!;
    for (let k = shape.length - 1; k >= 0; k--) {
      if (++idx[k]! < shape[k]!) {
        f += fStride[k]!;
        break;
      }
      f -= (shape[k]! - 1) * fStride[k]!;
      idx[k] = 0;
    }
  }
  return dst;
}
