import { fail, QtError } from '@qtool/ir';
import { encodeFrame, MAX_PAYLOAD, type Frame } from './frame.js';
import { layout, type Layout } from './layout.js';

// The messages of docs/protocol.md, "Messages": one payload layout per request and per reply, each used for both
// encoding and decoding. A reply's type is its request's | 0x80; 0xFF is an error reply.

export const MsgType = {
  HELLO: 0x01,
  INFO: 0x02,
  LOAD: 0x10,
  VERIFY: 0x11,
  INPUT: 0x20,
  RUN: 0x21,
  OUTPUT: 0x22,
  READ: 0x30,
  PROFILE: 0x31,
  RESET: 0x40,
} as const;
export type RequestKind = keyof typeof MsgType;
export const REPLY_BIT = 0x80;
export const ERROR_TYPE = 0xff;

const kindOfType = new Map<number, RequestKind>(Object.entries(MsgType).map(([k, v]) => [v, k as RequestKind]));
export function requestKindOf(type: number): RequestKind | undefined {
  return kindOfType.get(type);
}

export const ErrorCode = {
  E_BAD_FRAME: 1,
  E_BAD_CRC: 2,
  E_UNKNOWN_TYPE: 3,
  E_BAD_LENGTH: 4,
  E_BAD_OFFSET: 5,
  E_TOO_BIG: 6,
  E_VERIFY: 7,
  E_NO_MODEL: 8,
  E_BAD_IMAGE: 9,
  E_NOT_SUPPORTED: 10,
} as const;
export type ErrorName = keyof typeof ErrorCode;
const errorNames = new Map<number, ErrorName>(Object.entries(ErrorCode).map(([k, v]) => [v, k as ErrorName]));
export function errorName(code: number): string {
  return errorNames.get(code) ?? `error ${code}`;
}

/** Payload room per message (MAX_PAYLOAD minus the fixed fields in front of the bytes). */
export const MAX_LOAD_DATA = MAX_PAYLOAD - 8; // u32 offset, u32 total
export const MAX_INPUT_DATA = MAX_PAYLOAD - 4; // u32 offset
export const MAX_RUN_OUTPUT = MAX_PAYLOAD - 12; // u32 status, cycles, output bytes
export const MAX_OUTPUT_DATA = MAX_PAYLOAD;
export const MAX_READ_DATA = MAX_PAYLOAD - 4; // u32 tensor bytes
export const MAX_PROFILE_LAYERS = (MAX_PAYLOAD - 2) >> 2;

export type Mode = 'aot' | 'blob';
export const modeCode: Record<Mode, number> = { aot: 0, blob: 1 };
export type ModelState = 'none' | 'staged' | 'active';
const stateCode: Record<ModelState, number> = { none: 0, staged: 1, active: 2 };

export type Request =
  | { kind: 'HELLO'; version: number }
  | { kind: 'INFO' }
  | { kind: 'LOAD'; offset: number; total: number; data: Uint8Array }
  | { kind: 'VERIFY'; total: number; crc: number }
  | { kind: 'INPUT'; offset: number; data: Uint8Array }
  | { kind: 'RUN' }
  | { kind: 'OUTPUT'; offset: number; length: number }
  | { kind: 'READ'; layer: number; offset: number; length: number }
  | { kind: 'PROFILE' }
  | { kind: 'RESET' };

export interface DeviceInfo {
  /** major << 8 | minor */
  firmwareVersion: number;
  protocolVersion: number;
  mode: Mode;
  board: string;
  /** 16 hex digits (the first 8 bytes of the model hash); '' when the device holds no model */
  modelHash: string;
  arenaBytes: number;
  /** blob storage; 0 in aot mode */
  storageBytes: number;
  inputBytes: number;
  outputBytes: number;
  layers: number;
  state: ModelState;
}

export type Reply =
  | { kind: 'HELLO'; version: number; mode: Mode }
  | { kind: 'INFO'; info: DeviceInfo }
  | { kind: 'LOAD'; next: number }
  | { kind: 'VERIFY'; crc: number }
  | { kind: 'INPUT'; held: number }
  | { kind: 'RUN'; status: number; cycles: number; outputBytes: number; output: Uint8Array }
  | { kind: 'OUTPUT'; data: Uint8Array }
  | { kind: 'READ'; tensorBytes: number; data: Uint8Array }
  | { kind: 'PROFILE'; cycles: number[] }
  | { kind: 'RESET' }
  | ErrorReply;

/**
 * An error reply. For E_BAD_OFFSET the payload carries the offset to resume at between the seq and the text
 * (u8 code, u16 seq, u32 expected offset, UTF-8 message): the layout docs/protocol.md implies with "the payload
 * says where to resume".
 */
export interface ErrorReply {
  kind: 'ERROR';
  code: number;
  seq: number;
  expected?: number;
  message: string;
}

type Payload<T> = Omit<T, 'kind'>;
type ReqOf<K extends RequestKind> = Extract<Request, { kind: K }>;
type RepOf<K extends RequestKind> = Extract<Reply, { kind: K }>;

const none = <T>(name: string) => layout<T>(name, []);

const requestLayouts: { [K in RequestKind]: Layout<Payload<ReqOf<K>>> } = {
  HELLO: layout('HELLO request', [{ name: 'version', kind: 'u8' }]),
  INFO: none('INFO request'),
  LOAD: layout('LOAD request', [{ name: 'offset', kind: 'u32' }, { name: 'total', kind: 'u32' }, { name: 'data', kind: 'rest' }]),
  VERIFY: layout('VERIFY request', [{ name: 'total', kind: 'u32' }, { name: 'crc', kind: 'u32' }]),
  INPUT: layout('INPUT request', [{ name: 'offset', kind: 'u32' }, { name: 'data', kind: 'rest' }]),
  RUN: none('RUN request'),
  OUTPUT: layout('OUTPUT request', [{ name: 'offset', kind: 'u32' }, { name: 'length', kind: 'u16' }]),
  READ: layout('READ request', [{ name: 'layer', kind: 'u16' }, { name: 'offset', kind: 'u32' }, { name: 'length', kind: 'u16' }]),
  PROFILE: none('PROFILE request'),
  RESET: none('RESET request'),
};

interface InfoWire {
  firmwareVersion: number;
  protocolVersion: number;
  mode: number;
  board: string;
  modelHash: Uint8Array;
  arenaBytes: number;
  storageBytes: number;
  inputBytes: number;
  outputBytes: number;
  layers: number;
  state: number;
}
const infoLayout = layout<InfoWire>('INFO reply', [
  { name: 'firmwareVersion', kind: 'u16' },
  { name: 'protocolVersion', kind: 'u8' },
  { name: 'mode', kind: 'u8' },
  { name: 'board', kind: 'ascii8' },
  { name: 'modelHash', kind: 'fixed', length: 16 },
  { name: 'arenaBytes', kind: 'u32' },
  { name: 'storageBytes', kind: 'u32' },
  { name: 'inputBytes', kind: 'u32' },
  { name: 'outputBytes', kind: 'u32' },
  { name: 'layers', kind: 'u16' },
  { name: 'state', kind: 'u8' },
]);
const helloLayout = layout<{ version: number; mode: number }>('HELLO reply', [{ name: 'version', kind: 'u8' }, { name: 'mode', kind: 'u8' }]);
const profileLayout = layout<{ layers: number; cycles: number[] }>('PROFILE reply', [{ name: 'layers', kind: 'u16' }, { name: 'cycles', kind: 'u32s', count: 'layers' }]);

type PlainReplyKind = Exclude<RequestKind, 'HELLO' | 'INFO' | 'PROFILE'>;
const replyLayouts: { [K in PlainReplyKind]: Layout<Payload<RepOf<K>>> } = {
  LOAD: layout('LOAD reply', [{ name: 'next', kind: 'u32' }]),
  VERIFY: layout('VERIFY reply', [{ name: 'crc', kind: 'u32' }]),
  INPUT: layout('INPUT reply', [{ name: 'held', kind: 'u32' }]),
  RUN: layout('RUN reply', [{ name: 'status', kind: 'u32' }, { name: 'cycles', kind: 'u32' }, { name: 'outputBytes', kind: 'u32' }, { name: 'output', kind: 'rest' }]),
  OUTPUT: layout('OUTPUT reply', [{ name: 'data', kind: 'rest' }]),
  READ: layout('READ reply', [{ name: 'tensorBytes', kind: 'u32' }, { name: 'data', kind: 'rest' }]),
  RESET: none('RESET reply'),
};

const errorLayout = layout<Omit<ErrorReply, 'kind' | 'expected'>>('error reply', [{ name: 'code', kind: 'u8' }, { name: 'seq', kind: 'u16' }, { name: 'message', kind: 'utf8' }]);
const badOffsetLayout = layout<Omit<ErrorReply, 'kind'> & { expected: number }>('E_BAD_OFFSET reply', [
  { name: 'code', kind: 'u8' },
  { name: 'seq', kind: 'u16' },
  { name: 'expected', kind: 'u32' },
  { name: 'message', kind: 'utf8' },
]);

function stripKind<T extends { kind: string }>(v: T): Payload<T> {
  const { kind: _kind, ...rest } = v;
  return rest;
}

function checkedFrame(type: number, seq: number, payload: Uint8Array, what: string): Uint8Array {
  if (payload.length > MAX_PAYLOAD) throw new Error(`${what}: payload of ${payload.length} bytes exceeds MAX_PAYLOAD (${MAX_PAYLOAD})`);
  return encodeFrame({ type, flags: 0, seq, payload });
}

export function encodeRequestPayload(req: Request): Uint8Array {
  return (requestLayouts[req.kind] as Layout<unknown>).encode(stripKind(req));
}

/** A request's frame bytes. Throws (a programming error) when the payload does not fit one frame. */
export function encodeRequest(req: Request, seq: number): Uint8Array {
  return checkedFrame(MsgType[req.kind], seq, encodeRequestPayload(req), `${req.kind} request`);
}

export type DecodedRequest = { ok: true; request: Request } | { ok: false; code: number; message: string };

/** A device's view of a request frame: the request, or the error code to answer with. */
export function decodeRequest(frame: Frame): DecodedRequest {
  const kind = requestKindOf(frame.type);
  if (!kind) return { ok: false, code: ErrorCode.E_UNKNOWN_TYPE, message: `unknown message type 0x${frame.type.toString(16).padStart(2, '0')}` };
  try {
    const body = (requestLayouts[kind] as Layout<object>).decode(frame.payload);
    return { ok: true, request: { kind, ...body } as Request };
  } catch (e) {
    return { ok: false, code: ErrorCode.E_BAD_LENGTH, message: e instanceof QtError ? e.diagnostics[0]!.message : String(e) };
  }
}

export function encodeReplyPayload(rep: Reply): Uint8Array {
  switch (rep.kind) {
    case 'HELLO':
      return helloLayout.encode({ version: rep.version, mode: modeCode[rep.mode] });
    case 'INFO': {
      const i = rep.info;
      const hash = new Uint8Array(16);
      if (i.modelHash) {
        if (!/^[0-9a-f]{16}$/.test(i.modelHash)) throw new Error(`INFO model hash '${i.modelHash}' is not 16 lowercase hex digits`);
        hash.set(new TextEncoder().encode(i.modelHash));
      }
      return infoLayout.encode({ ...i, mode: modeCode[i.mode], modelHash: hash, state: stateCode[i.state] });
    }
    case 'PROFILE':
      return profileLayout.encode({ layers: rep.cycles.length, cycles: rep.cycles });
    case 'ERROR':
      return rep.code === ErrorCode.E_BAD_OFFSET
        ? badOffsetLayout.encode({ code: rep.code, seq: rep.seq, expected: rep.expected ?? 0, message: rep.message })
        : errorLayout.encode({ code: rep.code, seq: rep.seq, message: rep.message });
    default:
      return (replyLayouts[rep.kind] as Layout<unknown>).encode(stripKind(rep));
  }
}

/** A reply's frame bytes (an error reply goes out as type 0xFF). */
export function encodeReply(rep: Reply, seq: number): Uint8Array {
  const type = rep.kind === 'ERROR' ? ERROR_TYPE : MsgType[rep.kind] | REPLY_BIT;
  return checkedFrame(type, seq, encodeReplyPayload(rep), `${rep.kind} reply`);
}

/** The host's view of a reply frame. A payload that does not match its layout throws QT600. */
export function decodeReply(frame: Frame): Reply {
  if (frame.type === ERROR_TYPE) {
    if (frame.payload.length >= 1 && frame.payload[0] === ErrorCode.E_BAD_OFFSET && frame.payload.length >= 7)
      return { kind: 'ERROR', ...badOffsetLayout.decode(frame.payload) };
    return { kind: 'ERROR', ...errorLayout.decode(frame.payload) };
  }
  const kind = (frame.type & REPLY_BIT) !== 0 ? requestKindOf(frame.type & ~REPLY_BIT) : undefined;
  if (!kind) fail('QT600', `frame type 0x${frame.type.toString(16).padStart(2, '0')} is no reply`);
  switch (kind) {
    case 'HELLO': {
      const h = helloLayout.decode(frame.payload);
      return { kind, version: h.version, mode: modeOf(h.mode, 'HELLO reply') };
    }
    case 'INFO': {
      const w = infoLayout.decode(frame.payload);
      const state = (['none', 'staged', 'active'] as const)[w.state];
      if (!state) fail('QT600', `INFO reply: unknown model state ${w.state}`);
      return { kind, info: { ...w, mode: modeOf(w.mode, 'INFO reply'), modelHash: hashText(w.modelHash), state } };
    }
    case 'PROFILE':
      return { kind, cycles: profileLayout.decode(frame.payload).cycles };
    default:
      return { kind, ...(replyLayouts[kind] as Layout<object>).decode(frame.payload) } as Reply;
  }
}

function modeOf(n: number, what: string): Mode {
  if (n === 0) return 'aot';
  if (n === 1) return 'blob';
  fail('QT600', `${what}: unknown mode ${n}`);
}

function hashText(b: Uint8Array): string {
  if (b.every((x) => x === 0)) return '';
  const s = String.fromCharCode(...b);
  if (!/^[0-9a-fA-F]{16}$/.test(s)) fail('QT600', `INFO reply: model hash is not 16 hex digits (${JSON.stringify(s)})`);
  return s.toLowerCase();
}
