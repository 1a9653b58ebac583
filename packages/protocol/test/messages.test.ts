import { describe, expect, it } from 'vitest';
import {
  acceptVersion,
  chooseVersion,
  decodeFrame,
  decodeReply,
  decodeRequest,
  encodeFrame,
  encodeReply,
  encodeRequest,
  ErrorCode,
  MAX_LOAD_DATA,
  MsgType,
  type Reply,
  type Request,
} from '../src/index.js';

// Every message of docs/protocol.md, "Messages": payload bytes as the table lays them out, and round trips.

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

const requests: Request[] = [
  { kind: 'HELLO', version: 1 },
  { kind: 'INFO' },
  { kind: 'LOAD', offset: 4096, total: 70000, data: bytes(MAX_LOAD_DATA) },
  { kind: 'LOAD', offset: 0, total: 0, data: new Uint8Array(0) },
  { kind: 'VERIFY', total: 70000, crc: 0xcbf43926 },
  { kind: 'INPUT', offset: 8, data: bytes(100) },
  { kind: 'RUN' },
  { kind: 'OUTPUT', offset: 1016, length: 1024 },
  { kind: 'READ', layer: 3, offset: 2048, length: 1020 },
  { kind: 'PROFILE' },
  { kind: 'RESET' },
];

const replies: Reply[] = [
  { kind: 'HELLO', version: 1, mode: 'blob' },
  {
    kind: 'INFO',
    info: { firmwareVersion: 0x0102, protocolVersion: 1, mode: 'aot', board: 'mps2-an386', modelHash: '0123456789abcdef', arenaBytes: 16000, storageBytes: 0, inputBytes: 784, outputBytes: 10, layers: 7, state: 'active' },
  },
  {
    kind: 'INFO',
    info: { firmwareVersion: 1, protocolVersion: 1, mode: 'blob', board: '', modelHash: '', arenaBytes: 0, storageBytes: 65536, inputBytes: 0, outputBytes: 0, layers: 0, state: 'none' },
  },
  { kind: 'LOAD', next: 5112 },
  { kind: 'VERIFY', crc: 0xdeadbeef },
  { kind: 'INPUT', held: 784 },
  { kind: 'RUN', status: 0, cycles: 123456, outputBytes: 10, output: bytes(10) },
  { kind: 'OUTPUT', data: bytes(1024) },
  { kind: 'READ', tensorBytes: 6272, data: bytes(1020) },
  { kind: 'PROFILE', cycles: [10, 20, 0xffffffff] },
  { kind: 'PROFILE', cycles: [] },
  { kind: 'RESET' },
  { kind: 'ERROR', code: ErrorCode.E_NO_MODEL, seq: 77, message: 'no model: load one first' },
  { kind: 'ERROR', code: ErrorCode.E_BAD_OFFSET, seq: 78, expected: 3072, message: 'LOAD at 4096, expected 3072' },
];

describe('messages', () => {
  it('every request round-trips through its frame', () => {
    requests.forEach((req, i) => {
      const f = decodeFrame(encodeRequest(req, 100 + i));
      expect(f.type).toBe(MsgType[req.kind]);
      expect(f.seq).toBe(100 + i);
      expect(decodeRequest(f)).toEqual({ ok: true, request: req });
    });
  });

  it('every reply round-trips through its frame (type = request | 0x80, errors 0xFF)', () => {
    replies.forEach((rep, i) => {
      const f = decodeFrame(encodeReply(rep, i));
      expect(f.type).toBe(rep.kind === 'ERROR' ? 0xff : MsgType[rep.kind] | 0x80);
      expect(decodeReply(f)).toEqual(rep);
    });
  });

  it('lays payloads out as the table says (little-endian)', () => {
    const payload = (b: Uint8Array) => Array.from(decodeFrame(b).payload);
    expect(payload(encodeRequest({ kind: 'HELLO', version: 1 }, 0))).toEqual([1]);
    expect(payload(encodeRequest({ kind: 'LOAD', offset: 0x01020304, total: 0x10, data: Uint8Array.of(0xaa) }, 0))).toEqual([4, 3, 2, 1, 0x10, 0, 0, 0, 0xaa]);
    expect(payload(encodeRequest({ kind: 'READ', layer: 2, offset: 0x100, length: 0x20 }, 0))).toEqual([2, 0, 0, 1, 0, 0, 0x20, 0]);
    expect(payload(encodeRequest({ kind: 'OUTPUT', offset: 5, length: 6 }, 0))).toEqual([5, 0, 0, 0, 6, 0]);
    expect(payload(encodeReply({ kind: 'HELLO', version: 1, mode: 'blob' }, 0))).toEqual([1, 1]);
    expect(payload(encodeReply({ kind: 'PROFILE', cycles: [1, 256] }, 0))).toEqual([2, 0, 1, 0, 0, 0, 0, 1, 0, 0]);
    expect(payload(encodeReply({ kind: 'ERROR', code: 8, seq: 0x0102, message: 'no' }, 0))).toEqual([8, 2, 1, 0x6e, 0x6f]);
    expect(payload(encodeReply({ kind: 'ERROR', code: 5, seq: 1, expected: 0x400, message: '' }, 0))).toEqual([5, 1, 0, 0, 4, 0, 0]);
    const info = payload(encodeReply(replies[1]!, 0));
    // u16 fw, u8 proto, u8 mode, u8 len + 'mps2-an386', 16 hash, 4x u32, u16 layers, u8 state
    expect(info.length).toBe(2 + 1 + 1 + 1 + 10 + 16 + 16 + 2 + 1);
    expect(info.slice(0, 5)).toEqual([2, 1, 1, 0, 10]);
    expect(String.fromCharCode(...info.slice(15, 31))).toBe('0123456789abcdef');
    expect(info.at(-1)).toBe(2);
  });

  it('a device answers an unknown type E_UNKNOWN_TYPE and a malformed payload E_BAD_LENGTH', () => {
    expect(decodeRequest({ type: 0x7e, flags: 0, seq: 1, payload: new Uint8Array(0) })).toMatchObject({ ok: false, code: ErrorCode.E_UNKNOWN_TYPE });
    expect(decodeRequest({ type: MsgType.HELLO, flags: 0, seq: 1, payload: new Uint8Array(0) })).toMatchObject({ ok: false, code: ErrorCode.E_BAD_LENGTH });
    expect(decodeRequest({ type: MsgType.INFO, flags: 0, seq: 1, payload: Uint8Array.of(1) })).toMatchObject({ ok: false, code: ErrorCode.E_BAD_LENGTH });
    expect(decodeRequest({ type: MsgType.LOAD, flags: 0, seq: 1, payload: bytes(7) })).toMatchObject({ ok: false, code: ErrorCode.E_BAD_LENGTH });
  });

  it('the host refuses a reply that does not match its layout (QT600)', () => {
    expect(() => decodeReply(decodeFrame(encodeFrame({ type: 0x81, flags: 0, seq: 0, payload: Uint8Array.of(1) })))).toThrow(/QT600|too short/);
    expect(() => decodeReply(decodeFrame(encodeFrame({ type: 0x91, flags: 0, seq: 0, payload: bytes(5) })))).toThrow(/trailing/);
    expect(() => decodeReply(decodeFrame(encodeFrame({ type: 0x01, flags: 0, seq: 0, payload: new Uint8Array(0) })))).toThrow(/no reply/);
  });

  it('refuses payloads that do not fit a frame', () => {
    expect(() => encodeRequest({ kind: 'LOAD', offset: 0, total: 0, data: bytes(MAX_LOAD_DATA + 1) }, 0)).toThrow(/MAX_PAYLOAD/);
  });
});

describe('version negotiation', () => {
  it('min of both; the host refuses a version outside what it speaks (QT604)', () => {
    expect(chooseVersion(3, 1)).toBe(1);
    expect(chooseVersion(1, 2)).toBe(1);
    expect(acceptVersion(1)).toBe(1);
    expect(() => acceptVersion(0)).toThrow(/QT604|update the board/);
    expect(() => acceptVersion(2)).toThrow(/above/);
  });
});
