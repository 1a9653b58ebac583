import { ByteBuffer } from 'flatbuffers';
import { fail } from '@qtool/ir';

// Bounds-checked FlatBuffers access. The `flatbuffers` runtime trusts every offset it reads (an out-of-range
// read yields undefined and NaN, a bad vector length a huge loop), so each access here first proves that the
// bytes it touches lie inside the file. A malformed file gives QT120 naming the field path and byte offset.
// FlatBuffers offsets to tables, vectors and strings are unsigned and point forward, so following them cannot
// loop; every vector length is bounded by the bytes left after it, so no read allocates more than the file.

/** One model file being read. */
export class FbFile {
  readonly bb: ByteBuffer;
  readonly size: number;

  constructor(
    readonly bytes: Uint8Array,
    readonly file: string,
  ) {
    this.bb = new ByteBuffer(bytes);
    this.size = bytes.length;
  }

  malformed(field: string, message: string, offset: number): never {
    fail('QT120', message, { file: this.file, offset, field });
  }

  /** Proves that `n` bytes at `pos` are inside the file. */
  need(pos: number, n: number, field: string, what: string): void {
    if (!(Number.isInteger(pos) && pos >= 0 && n >= 0 && pos + n <= this.size))
      this.malformed(field, `${what} (${n} bytes) past end of file (${this.size} bytes)`, Math.max(0, pos));
  }

  /** The root table, after checking the file identifier. */
  root(identifier: string, path: string): FbTable {
    if (this.size < 8) this.malformed(path, `file is ${this.size} bytes, too short for a FlatBuffer`, 0);
    const id = String.fromCharCode(...this.bytes.subarray(4, 8));
    if (id !== identifier) this.malformed(path, `file identifier is '${id}', expected '${identifier}'`, 4);
    return this.tableAt(this.bb.readUint32(0), path);
  }

  /** A table whose first byte is at `pos`; checks its vtable. */
  tableAt(pos: number, path: string): FbTable {
    this.need(pos, 4, path, 'table');
    const vtable = pos - this.bb.readInt32(pos);
    this.need(vtable, 4, path, 'vtable');
    const vtSize = this.bb.readUint16(vtable);
    const tableSize = this.bb.readUint16(vtable + 2);
    if (vtSize < 4 || vtSize % 2 !== 0) this.malformed(path, `vtable size ${vtSize} is invalid`, vtable);
    this.need(vtable, vtSize, path, 'vtable');
    if (tableSize < 4) this.malformed(path, `table size ${tableSize} is invalid`, vtable + 2);
    this.need(pos, tableSize, path, 'table');
    return new FbTable(this, pos, path, vtable, vtSize, tableSize);
  }
}

interface VectorRef {
  /** Byte position of element 0. */
  start: number;
  length: number;
}

/** A table of the schema. Slot numbers are field positions in the schema (a union takes two: type, value). */
export class FbTable {
  constructor(
    readonly fb: FbFile,
    readonly pos: number,
    readonly path: string,
    private readonly vtable: number,
    private readonly vtSize: number,
    private readonly tableSize: number,
  ) {}

  /** Absolute position of a field of `size` inline bytes, or 0 when absent. */
  private field(slot: number, size: number, name: string): number {
    const vo = 4 + 2 * slot;
    if (vo + 2 > this.vtSize) return 0;
    const off = this.fb.bb.readUint16(this.vtable + vo);
    if (off === 0) return 0;
    if (off < 4 || off + size > this.tableSize)
      this.fb.malformed(`${this.path}.${name}`, `field offset ${off} outside its ${this.tableSize}-byte table`, this.vtable + vo);
    return this.pos + off;
  }

  has(slot: number): boolean {
    const vo = 4 + 2 * slot;
    return vo + 2 <= this.vtSize && this.fb.bb.readUint16(this.vtable + vo) !== 0;
  }

  int8(slot: number, name: string, dflt = 0): number {
    const p = this.field(slot, 1, name);
    return p ? this.fb.bb.readInt8(p) : dflt;
  }

  uint8(slot: number, name: string, dflt = 0): number {
    const p = this.field(slot, 1, name);
    return p ? this.fb.bb.readUint8(p) : dflt;
  }

  bool(slot: number, name: string, dflt = false): boolean {
    const p = this.field(slot, 1, name);
    return p ? this.fb.bb.readUint8(p) !== 0 : dflt;
  }

  int32(slot: number, name: string, dflt = 0): number {
    const p = this.field(slot, 4, name);
    return p ? this.fb.bb.readInt32(p) : dflt;
  }

  uint32(slot: number, name: string, dflt = 0): number {
    const p = this.field(slot, 4, name);
    return p ? this.fb.bb.readUint32(p) : dflt;
  }

  float32(slot: number, name: string, dflt = 0): number {
    const p = this.field(slot, 4, name);
    return p ? this.fb.bb.readFloat32(p) : dflt;
  }

  /** A 64-bit unsigned field as a number; QT120 when it does not fit a double exactly. */
  uint64(slot: number, name: string): number {
    const p = this.field(slot, 8, name);
    if (!p) return 0;
    const v = this.fb.bb.readUint64(p);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fb.malformed(`${this.path}.${name}`, `value ${v} too large`, p);
    return Number(v);
  }

  /** Follows the uoffset stored in a field. */
  private indirect(slot: number, name: string): number {
    const p = this.field(slot, 4, name);
    if (!p) return 0;
    const target = p + this.fb.bb.readUint32(p);
    this.fb.need(target, 4, `${this.path}.${name}`, 'offset target');
    return target;
  }

  table(slot: number, name: string): FbTable | undefined {
    const t = this.indirect(slot, name);
    return t ? this.fb.tableAt(t, `${this.path}.${name}`) : undefined;
  }

  private vector(slot: number, name: string, elemSize: number): VectorRef | undefined {
    const v = this.indirect(slot, name);
    if (!v) return undefined;
    const length = this.fb.bb.readUint32(v);
    const start = v + 4;
    if (length * elemSize > this.fb.size - start)
      this.fb.malformed(`${this.path}.${name}`, `vector length ${length} past end of file`, v);
    return { start, length };
  }

  vectorLength(slot: number, name: string): number {
    return this.vector(slot, name, 1)?.length ?? 0;
  }

  int32s(slot: number, name: string): number[] | undefined {
    const v = this.vector(slot, name, 4);
    if (!v) return undefined;
    const out = new Array<number>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = this.fb.bb.readInt32(v.start + 4 * i);
    return out;
  }

  float32s(slot: number, name: string): number[] | undefined {
    const v = this.vector(slot, name, 4);
    if (!v) return undefined;
    const out = new Array<number>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = this.fb.bb.readFloat32(v.start + 4 * i);
    return out;
  }

  /** A vector of signed 64-bit integers as numbers; QT120 for a value beyond 2^53. */
  int64s(slot: number, name: string): number[] | undefined {
    const v = this.vector(slot, name, 8);
    if (!v) return undefined;
    const out = new Array<number>(v.length);
    for (let i = 0; i < v.length; i++) {
      const x = this.fb.bb.readInt64(v.start + 8 * i);
      if (x > BigInt(Number.MAX_SAFE_INTEGER) || x < BigInt(Number.MIN_SAFE_INTEGER))
        this.fb.malformed(`${this.path}.${name}[${i}]`, `value ${x} too large`, v.start + 8 * i);
      out[i] = Number(x);
    }
    return out;
  }

  /** A [ubyte] vector as a view into the file (no copy). */
  bytes(slot: number, name: string): Uint8Array | undefined {
    const v = this.vector(slot, name, 1);
    return v ? this.fb.bytes.subarray(v.start, v.start + v.length) : undefined;
  }

  string(slot: number, name: string): string | undefined {
    const b = this.bytes(slot, name);
    return b ? new TextDecoder().decode(b) : undefined;
  }

  tables(slot: number, name: string): FbTable[] {
    const v = this.vector(slot, name, 4);
    if (!v) return [];
    const out: FbTable[] = [];
    for (let i = 0; i < v.length; i++) {
      const p = v.start + 4 * i;
      out.push(this.fb.tableAt(p + this.fb.bb.readUint32(p), `${this.path}.${name}[${i}]`));
    }
    return out;
  }
}
