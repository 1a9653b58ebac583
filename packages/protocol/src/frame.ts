import { fail } from '@qtool/ir';
import { crc32 } from './crc32.js';
import { layout } from './layout.js';

// Frames (docs/protocol.md, "Frames"):
//   0  2  sync A5 5A | 2  1  type | 3  1  flags (0) | 4  2  seq | 6  2  length | 8  n  payload | 8+n  4  crc32
// The CRC covers bytes 2 .. 8+n-1 (type through payload). Integers are little-endian.

export const SYNC0 = 0xa5;
export const SYNC1 = 0x5a;
export const HEADER_BYTES = 8;
export const CRC_BYTES = 4;
export const MAX_PAYLOAD = 1024;
export const MAX_FRAME = HEADER_BYTES + MAX_PAYLOAD + CRC_BYTES;

export interface Frame {
  type: number;
  flags: number;
  seq: number;
  payload: Uint8Array;
}

export interface FrameHeader {
  sync: number;
  type: number;
  flags: number;
  seq: number;
  length: number;
}

/** The 8 header bytes. `sync` read as a little-endian u16 is 0x5AA5 (bytes A5 5A). */
export const headerLayout = layout<FrameHeader>('frame header', [
  { name: 'sync', kind: 'u16' },
  { name: 'type', kind: 'u8' },
  { name: 'flags', kind: 'u8' },
  { name: 'seq', kind: 'u16' },
  { name: 'length', kind: 'u16' },
]);
export const SYNC_WORD = SYNC0 | (SYNC1 << 8);

/** One frame's bytes on the wire. */
export function encodeFrame(f: Frame): Uint8Array {
  if (f.payload.length > MAX_PAYLOAD) throw new Error(`payload of ${f.payload.length} bytes exceeds MAX_PAYLOAD (${MAX_PAYLOAD})`);
  const n = f.payload.length;
  const out = new Uint8Array(HEADER_BYTES + n + CRC_BYTES);
  out.set(headerLayout.encode({ sync: SYNC_WORD, type: f.type, flags: f.flags, seq: f.seq, length: n }), 0);
  out.set(f.payload, HEADER_BYTES);
  new DataView(out.buffer).setUint32(HEADER_BYTES + n, crc32(out, 0, 2, HEADER_BYTES + n), true);
  return out;
}

/** Parses exactly one whole frame (tests and tools; a byte stream goes through FrameDecoder). Throws QT600. */
export function decodeFrame(bytes: Uint8Array): Frame {
  if (bytes.length < HEADER_BYTES + CRC_BYTES) fail('QT600', `frame of ${bytes.length} bytes is shorter than header + CRC`);
  const h = headerLayout.decode(bytes.subarray(0, HEADER_BYTES));
  if (h.sync !== SYNC_WORD) fail('QT600', 'frame does not start with the sync bytes A5 5A');
  if (h.length > MAX_PAYLOAD) fail('QT600', `frame length ${h.length} exceeds MAX_PAYLOAD (${MAX_PAYLOAD})`);
  if (bytes.length !== HEADER_BYTES + h.length + CRC_BYTES) fail('QT600', `frame says ${h.length} payload bytes, holds ${bytes.length - HEADER_BYTES - CRC_BYTES}`);
  const want = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(HEADER_BYTES + h.length, true);
  const got = crc32(bytes, 0, 2, HEADER_BYTES + h.length);
  if (want !== got) fail('QT600', `frame CRC 0x${hex32(want)} does not match its bytes (0x${hex32(got)})`);
  return { type: h.type, flags: h.flags, seq: h.seq, payload: bytes.slice(HEADER_BYTES, HEADER_BYTES + h.length) };
}

export function hex32(v: number): string {
  return (v >>> 0).toString(16).padStart(8, '0');
}
