import { Parser } from 'binary-parser';
import { fail } from '@qtool/ir';

// A payload layout is a list of fields. The same list drives a binary-parser Parser (decoding) and a writer
// (encoding), so a message's two directions cannot drift apart. All integers are little-endian.

export type Field =
  | { name: string; kind: 'u8' | 'u16' | 'u32' }
  /** exactly `length` raw bytes */
  | { name: string; kind: 'fixed'; length: number }
  /** u8 length, then that many ASCII bytes */
  | { name: string; kind: 'ascii8' }
  /** u32 values; their count is an earlier integer field */
  | { name: string; kind: 'u32s'; count: string }
  /** every remaining byte (last field only) */
  | { name: string; kind: 'rest' }
  /** every remaining byte as UTF-8 text (last field only) */
  | { name: string; kind: 'utf8' };

export interface Layout<T> {
  readonly name: string;
  readonly fields: readonly Field[];
  /** Parses exactly `bytes`; a short payload or trailing bytes throw QT600. */
  decode(bytes: Uint8Array): T;
  encode(value: T): Uint8Array;
}

const END = '$end';

export function layout<T>(name: string, fields: readonly Field[]): Layout<T> {
  fields.forEach((f, i) => {
    if ((f.kind === 'rest' || f.kind === 'utf8') && i !== fields.length - 1) throw new Error(`${name}: '${f.name}' must be the last field`);
  });
  let parser = new Parser().endianness('little');
  for (const f of fields) {
    switch (f.kind) {
      case 'u8': parser = parser.uint8(f.name); break;
      case 'u16': parser = parser.uint16le(f.name); break;
      case 'u32': parser = parser.uint32le(f.name); break;
      case 'fixed': parser = parser.buffer(f.name, { length: f.length }); break;
      case 'ascii8': parser = parser.uint8(`${f.name}$len`).string(f.name, { length: `${f.name}$len`, encoding: 'ascii' }); break;
      case 'u32s': parser = parser.array(f.name, { type: 'uint32le', length: f.count }); break;
      case 'rest': parser = parser.buffer(f.name, { readUntil: 'eof' }); break;
      // read as bytes: binary-parser's greedy string advances its offset by characters, not bytes
      case 'utf8': parser = parser.buffer(f.name, { readUntil: 'eof' }); break;
    }
  }
  parser = parser.saveOffset(END);

  const restLast = fields.at(-1)?.kind === 'rest' || fields.at(-1)?.kind === 'utf8';
  const decode = (bytes: Uint8Array): T => {
    let raw: Record<string, unknown>;
    try {
      raw = parser.parse(bytes) as Record<string, unknown>;
    } catch {
      fail('QT600', `${name}: payload of ${bytes.length} bytes is too short`);
    }
    // binary-parser leaves its offset before a `readUntil: 'eof'` buffer: a 'rest' field ends the payload anyway
    if (!restLast && raw[END] !== bytes.length) fail('QT600', `${name}: payload of ${bytes.length} bytes has ${bytes.length - (raw[END] as number)} unexpected trailing bytes`);
    const out: Record<string, unknown> = {};
    for (const f of fields) {
      const v = raw[f.name];
      // binary-parser hands out Buffers that share memory with the input: copy into plain Uint8Arrays.
      out[f.name] = f.kind === 'fixed' || f.kind === 'rest' ? Uint8Array.from(v as Uint8Array) : f.kind === 'utf8' ? new TextDecoder().decode(v as Uint8Array) : v;
    }
    return out as T;
  };

  const encode = (value: T): Uint8Array => {
    const v = value as Record<string, unknown>;
    const parts: { f: Field; bytes?: Uint8Array; n: number }[] = fields.map((f) => {
      const x = v[f.name];
      switch (f.kind) {
        case 'u8': return { f, n: 1 };
        case 'u16': return { f, n: 2 };
        case 'u32': return { f, n: 4 };
        case 'fixed': {
          const b = x as Uint8Array;
          if (b.length !== f.length) throw new Error(`${name}.${f.name}: ${b.length} bytes, the layout holds ${f.length}`);
          return { f, bytes: b, n: b.length };
        }
        case 'ascii8': {
          const b = new TextEncoder().encode(x as string);
          if (b.length > 255) throw new Error(`${name}.${f.name}: longer than 255 bytes`);
          return { f, bytes: b, n: 1 + b.length };
        }
        case 'u32s': {
          const list = x as number[];
          if (v[f.count] !== list.length) throw new Error(`${name}.${f.name}: ${list.length} values, '${f.count}' says ${String(v[f.count])}`);
          return { f, n: 4 * list.length };
        }
        case 'rest': return { f, bytes: x as Uint8Array, n: (x as Uint8Array).length };
        case 'utf8': {
          const b = new TextEncoder().encode(x as string);
          return { f, bytes: b, n: b.length };
        }
      }
    });
    const out = new Uint8Array(parts.reduce((s, p) => s + p.n, 0));
    const dv = new DataView(out.buffer);
    let at = 0;
    for (const { f, bytes, n } of parts) {
      const x = v[f.name];
      const int = (bits: number) => {
        const k = x as number;
        if (!Number.isInteger(k) || k < 0 || k >= 2 ** bits) throw new Error(`${name}.${f.name}: ${k} is not a u${bits}`);
        return k;
      };
      switch (f.kind) {
        case 'u8': dv.setUint8(at, int(8)); break;
        case 'u16': dv.setUint16(at, int(16), true); break;
        case 'u32': dv.setUint32(at, int(32), true); break;
        case 'u32s': (x as number[]).forEach((k, i) => dv.setUint32(at + 4 * i, k >>> 0, true)); break;
        case 'ascii8': dv.setUint8(at, bytes!.length); out.set(bytes!, at + 1); break;
        default: out.set(bytes!, at);
      }
      at += n;
    }
    return out;
  };

  return { name, fields, decode, encode };
}
