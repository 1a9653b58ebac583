// The .npy header is a Python dict literal (NumPy format spec, numpy/lib/format.py), for example
//   {'descr': '<f4', 'fortran_order': False, 'shape': (1, 28, 28), }
// NumPy reads it with ast.literal_eval. This reads the part of that syntax a header can hold: strings, integers,
// True/False/None, tuples, lists and dicts. Anything else is a syntax error at a character index.

export type PyValue =
  | { kind: 'str'; value: string; at: number }
  | { kind: 'int'; value: bigint; at: number }
  | { kind: 'bool'; value: boolean; at: number }
  | { kind: 'none'; at: number }
  | { kind: 'tuple' | 'list'; items: PyValue[]; at: number }
  | { kind: 'dict'; entries: [PyValue, PyValue][]; at: number };

/** A syntax error in the literal; `index` is a character index into the text. */
export class PyLiteralError extends Error {
  constructor(message: string, readonly index: number) {
    super(message);
  }
}

// Deeper nesting than this is no header NumPy writes; the limit keeps a hostile file from overflowing the stack.
const MAX_DEPTH = 32;

/** Parses one Python literal that fills `text` (surrounding whitespace allowed). */
export function parsePyLiteral(text: string): PyValue {
  const p = new LiteralParser(text);
  const v = p.value(0);
  p.skipSpace();
  if (p.i < text.length) throw new PyLiteralError(`unexpected ${describe(text, p.i)} after the literal`, p.i);
  return v;
}

/** Python's repr() of a str, as NumPy writes it (single quotes). */
export function pyRepr(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Python's repr() of a tuple of ints: () for rank 0, (5,) for rank 1. */
export function pyTuple(dims: readonly number[]): string {
  return dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
}

class LiteralParser {
  i = 0;
  constructor(private readonly s: string) {}

  skipSpace(): void {
    while (this.i < this.s.length && ' \t\r\n'.includes(this.s[this.i]!)) this.i++;
  }

  value(depth: number): PyValue {
    if (depth > MAX_DEPTH) throw new PyLiteralError(`literal nested deeper than ${MAX_DEPTH} levels`, this.i);
    this.skipSpace();
    const at = this.i;
    const c = this.s[at];
    if (c === undefined) throw new PyLiteralError('literal ends early', at);
    if (c === "'" || c === '"') return { kind: 'str', value: this.string(), at };
    if (c === '{') return this.dict(depth);
    if (c === '(' || c === '[') return this.sequence(depth);
    if (c === '-' || c === '+' || (c >= '0' && c <= '9')) return { kind: 'int', value: this.int(), at };
    const word = /^[A-Za-z_]\w*/.exec(this.s.slice(at, at + 16))?.[0];
    if (word === 'True' || word === 'False') {
      this.i += word.length;
      return { kind: 'bool', value: word === 'True', at };
    }
    if (word === 'None') {
      this.i += 4;
      return { kind: 'none', at };
    }
    throw new PyLiteralError(`expected a value, found ${describe(this.s, at)}`, at);
  }

  private string(): string {
    const quote = this.s[this.i]!;
    const start = this.i++;
    let out = '';
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined || c === '\n') throw new PyLiteralError('string literal not closed', start);
      this.i++;
      if (c === quote) return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.s[this.i++];
      if (e === undefined) throw new PyLiteralError('string literal not closed', start);
      out += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e === '0' ? '\0' : e;
    }
  }

  private int(): bigint {
    const m = /^[-+]?\d+/.exec(this.s.slice(this.i, this.i + 40));
    if (!m) throw new PyLiteralError(`expected an integer, found ${describe(this.s, this.i)}`, this.i);
    if (m[0].length >= 40) throw new PyLiteralError('integer literal too long', this.i);
    if (this.s[this.i + m[0].length] === '.') throw new PyLiteralError('expected an integer, found a float', this.i);
    this.i += m[0].length;
    // Python 2 wrote long integers with an L suffix, and NumPy still reads such headers.
    if (this.s[this.i] === 'L') this.i++;
    return BigInt(m[0]);
  }

  private sequence(depth: number): PyValue {
    const at = this.i;
    const open = this.s[this.i++]!;
    const close = open === '(' ? ')' : ']';
    const items: PyValue[] = [];
    let sawComma = false;
    for (;;) {
      this.skipSpace();
      if (this.s[this.i] === close) {
        this.i++;
        break;
      }
      items.push(this.value(depth + 1));
      this.skipSpace();
      const c = this.s[this.i];
      if (c === ',') {
        this.i++;
        sawComma = true;
      } else if (c !== close) throw new PyLiteralError(`expected ',' or '${close}', found ${describe(this.s, this.i)}`, this.i);
    }
    // (x) is just x in Python; only a comma makes a one-element tuple.
    if (open === '(' && items.length === 1 && !sawComma) return items[0]!;
    return { kind: open === '(' ? 'tuple' : 'list', items, at };
  }

  private dict(depth: number): PyValue {
    const at = this.i++;
    const entries: [PyValue, PyValue][] = [];
    for (;;) {
      this.skipSpace();
      if (this.s[this.i] === '}') {
        this.i++;
        return { kind: 'dict', entries, at };
      }
      const key = this.value(depth + 1);
      this.skipSpace();
      if (this.s[this.i] !== ':') throw new PyLiteralError(`expected ':', found ${describe(this.s, this.i)}`, this.i);
      this.i++;
      entries.push([key, this.value(depth + 1)]);
      this.skipSpace();
      const c = this.s[this.i];
      if (c === ',') this.i++;
      else if (c !== '}') throw new PyLiteralError(`expected ',' or '}', found ${describe(this.s, this.i)}`, this.i);
    }
  }
}

function describe(s: string, i: number): string {
  return i >= s.length ? 'the end of the header' : JSON.stringify(s.slice(i, i + 12));
}
