import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '@qtool/ir';

// Reads the C the kernel emitters write, so the model image holds exactly what the generated C holds: the
// runtime headers give each params struct's layout (every field a 32-bit word on a 32-bit Arm core: int32_t,
// a pointer, or a struct of those) and the macro constants; the emitters' declarations and calls are parsed
// as C initializers and call statements. Anything else is QT500: the image writer never guesses.

/** The portable runtime headers whose structs and prototypes a model image may use. */
export const PORTABLE_HEADERS = ['qt_math.h', 'qt_runtime.h', 'qt_mac.h', 'qt_move.h', 'qt_elementwise.h', 'qt_pool.h', 'qt_softmax.h'];

export type FieldType = { kind: 'int' } | { kind: 'ptr'; to: string } | { kind: 'struct'; name: string };

export interface Field {
  name: string;
  type: FieldType;
  /** array length; 1 for a scalar */
  count: number;
  /** byte offset in the struct (32-bit target) */
  offset: number;
}

export interface StructLayout {
  name: string;
  fields: Field[];
  bytes: number;
}

export interface RuntimeC {
  structs: Map<string, StructLayout>;
  macros: Map<string, number>;
}

const stripComments = (s: string): string => s.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');

/** Struct layouts and integer macros of the given runtime headers, as a 32-bit Arm compiler lays them out. */
export function readRuntimeC(dir: string, headers = PORTABLE_HEADERS): RuntimeC {
  const macros = new Map<string, number>();
  const structs = new Map<string, StructLayout>();
  const text = headers.map((h) => stripComments(readFileSync(join(dir, h), 'utf8'))).join('\n');
  for (const m of text.matchAll(/^\s*#define\s+(QT_\w+)\s+(-?\d+)\s*$/gm)) macros.set(m[1]!, Number(m[2]));
  for (const m of text.matchAll(/typedef\s+struct\s*\{([^}]*)\}\s*(\w+)\s*;/g)) {
    const name = m[2]!;
    const fields: Field[] = [];
    let offset = 0;
    for (const decl of m[1]!.split(';').map((d) => d.trim()).filter(Boolean)) {
      const dm = /^(const\s+)?(\w+)\s+(.*)$/s.exec(decl);
      if (!dm) fail('QT500', `runtime header: cannot read the field '${decl}' of ${name}`);
      const base = dm[2]!;
      for (const part of dm[3]!.split(',').map((p) => p.trim())) {
        const pm = /^(\*?)\s*(\w+)\s*(?:\[\s*(\w+)\s*\])?$/.exec(part);
        if (!pm) fail('QT500', `runtime header: cannot read the field '${part}' of ${name}`);
        const count = pm[3] === undefined ? 1 : /^\d+$/.test(pm[3]) ? Number(pm[3]) : macros.get(pm[3]);
        if (count === undefined) fail('QT500', `runtime header: unknown array size ${pm[3]} in ${name}`);
        let type: FieldType;
        let size: number;
        if (pm[1]) {
          type = { kind: 'ptr', to: base };
          size = 4;
        } else if (base === 'int32_t' || base === 'uint32_t') {
          type = { kind: 'int' };
          size = 4;
        } else if (structs.has(base)) {
          type = { kind: 'struct', name: base };
          size = structs.get(base)!.bytes;
        } else fail('QT500', `runtime header: field ${pm[2]} of ${name} has type ${base}, which a model image cannot hold (32-bit words only)`);
        fields.push({ name: pm[2]!, type, count, offset });
        offset += size * count;
      }
    }
    structs.set(name, { name, fields, bytes: offset });
  }
  return { structs, macros };
}

// ---- C expressions of the emitters' output ----

/** A parsed initializer or argument. */
export type CExpr =
  | { kind: 'int'; value: number }
  | { kind: 'name'; name: string; address: boolean }
  | { kind: 'sum'; name: string; plus: number }
  | { kind: 'list'; items: CExpr[] }
  | { kind: 'designated'; fields: [string, CExpr][] };

type Tok = { t: 'punct'; v: string } | { t: 'int'; v: number } | { t: 'id'; v: string };

function tokenize(src: string): Tok[] {
  // cInt writes INT32_MIN as (-2147483647 - 1) and values above INT32_MAX with a u suffix
  const s = stripComments(src).replace(/\(\s*-2147483647\s*-\s*1\s*\)/g, ' -2147483648 ');
  const out: Tok[] = [];
  const re = /\s*(?:(-?\d+)[uU]?|([A-Za-z_]\w*)|(\S))/y;
  let m: RegExpExecArray | null;
  while (re.lastIndex < s.length && (m = re.exec(s))) {
    if (m[1] !== undefined) out.push({ t: 'int', v: Number(m[1]) });
    else if (m[2] !== undefined) out.push({ t: 'id', v: m[2] });
    else if (m[3] !== undefined) out.push({ t: 'punct', v: m[3] });
  }
  return out;
}

class Reader {
  i = 0;
  constructor(
    private toks: Tok[],
    private what: string,
  ) {}
  peek(): Tok | undefined {
    return this.toks[this.i];
  }
  next(): Tok {
    const t = this.toks[this.i++];
    if (!t) this.error('unexpected end');
    return t;
  }
  is(v: string): boolean {
    const t = this.peek();
    return t !== undefined && t.t !== 'int' && t.v === v;
  }
  expect(v: string): void {
    const t = this.next();
    if (t.t === 'int' || t.v !== v) this.error(`expected '${v}', found '${t.v}'`);
  }
  id(): string {
    const t = this.next();
    if (t.t !== 'id') this.error(`expected a name, found '${t.v}'`);
    return t.v;
  }
  /** after an item of a list closed by `close`: a comma, or the close itself (left for the caller) */
  separator(close: string): void {
    if (this.is(',')) this.next();
    else if (!this.is(close)) this.error(`expected ',' or '${close}'`);
  }
  done(): boolean {
    return this.i >= this.toks.length;
  }
  error(msg: string): never {
    fail('QT500', `model image: cannot read the emitted C (${msg}) in: ${this.what.slice(0, 200)}`);
  }
  expr(): CExpr {
    if (this.is('{')) {
      this.next();
      if (this.is('.')) {
        const fields: [string, CExpr][] = [];
        while (!this.is('}')) {
          this.expect('.');
          const f = this.id();
          this.expect('=');
          fields.push([f, this.expr()]);
          this.separator('}');
        }
        this.next();
        return { kind: 'designated', fields };
      }
      const items: CExpr[] = [];
      while (!this.is('}')) {
        items.push(this.expr());
        this.separator('}');
      }
      this.next();
      return { kind: 'list', items };
    }
    const address = this.is('&');
    if (address) this.next();
    const t = this.next();
    if (t.t === 'int') {
      if (address) this.error('& of a number');
      return { kind: 'int', value: t.v };
    }
    if (t.t !== 'id') this.error(`unexpected '${t.v}'`);
    if (this.is('+')) {
      this.next();
      const n = this.next();
      if (n.t !== 'int') this.error('expected a number after +');
      return { kind: 'sum', name: t.v, plus: n.v };
    }
    return { kind: 'name', name: t.v, address };
  }
}

/** `static const <type> <name> = <init>;` (one or more, as ctx.declare received them). */
export function parseDeclarations(text: string): { type: string; name: string; init: CExpr }[] {
  const r = new Reader(tokenize(text), text);
  const out: { type: string; name: string; init: CExpr }[] = [];
  while (!r.done()) {
    r.expect('static');
    r.expect('const');
    if (r.is('QT_ALIGN')) r.error('arrays are declared through constArray, not declare');
    const type = r.id();
    const name = r.id();
    r.expect('=');
    out.push({ type, name, init: r.expr() });
    r.expect(';');
  }
  return out;
}

/** The statements an emitter returned for invoke(): `fn(arg, ...);` each. */
export function parseCalls(text: string): { fn: string; args: CExpr[] }[] {
  const r = new Reader(tokenize(text), text);
  const out: { fn: string; args: CExpr[] }[] = [];
  while (!r.done()) {
    const fn = r.id();
    r.expect('(');
    const args: CExpr[] = [];
    while (!r.is(')')) {
      args.push(r.expr());
      r.separator(')');
    }
    r.next();
    r.expect(';');
    out.push({ fn, args });
  }
  return out;
}

/** One C expression (a pointer as emitModel's ptr() writes it). */
export function parseExpr(text: string): CExpr {
  const r = new Reader(tokenize(text), text);
  const e = r.expr();
  if (!r.done()) r.error('trailing text');
  return e;
}
