import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTensor, QtError, type DType, type Tensor } from '@qtool/ir';
import { encodeNpy, parseNpy, readNpy, writeNpy } from '../src/npy.js';

const ALL: DType[] = ['float32', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'bool'];

/** Values that reach each dtype's extremes, so a wrong width or sign shows. */
function sample(dtype: DType, shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = (i: number): number | bigint => {
    switch (dtype) {
      case 'float32': return [0, -1.5, 3.25, Math.fround(1e30), -0][i % 5]! + i;
      case 'float64': return i * 0.1 - 1e300 * (i % 2);
      case 'int8': return [-128, 127, 0, -1][i % 4]!;
      case 'uint8': return [0, 255, 128, 1][i % 4]!;
      case 'int16': return [-32768, 32767, 0, -2][i % 4]!;
      case 'uint16': return [0, 65535, 256, 1][i % 4]!;
      case 'int32': return [-2147483648, 2147483647, 0, -3][i % 4]!;
      case 'uint32': return [0, 4294967295, 65536, 7][i % 4]!;
      case 'int64': return [-(2n ** 63n), 2n ** 63n - 1n, 0n, -4n][i % 4]!;
      case 'bool': return i % 3 === 0 ? 1 : 0;
    }
  };
  const t = makeTensor(dtype, shape);
  for (let i = 0; i < n; i++) (t.data as unknown as (number | bigint)[])[i] = v(i);
  return t;
}

/** A file from its parts, as the format spec lays them out. */
function npyBytes(header: string, data: number[] = [], version = 1): Uint8Array {
  const lenBytes = version === 1 ? 2 : 4;
  const out = new Uint8Array(8 + lenBytes + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  new DataView(out.buffer).setUint32(8, header.length, true);
  if (version === 1) out[10] = out[11] = 0; // u16: overwrite the u32's high bytes with the header
  for (let i = 0; i < header.length; i++) out[8 + lenBytes + i] = header.charCodeAt(i);
  out.set(data, 8 + lenBytes + header.length);
  return out;
}

function qtError(f: () => unknown): QtError {
  try {
    f();
  } catch (e) {
    if (e instanceof QtError) return e;
    throw new Error(`expected a QtError, got ${String(e)}`);
  }
  throw new Error('expected a QtError, nothing was thrown');
}

const tmp = mkdtempSync(join(tmpdir(), 'qtool-npy-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('round trip', () => {
  for (const dtype of ALL) {
    it(dtype, () => {
      for (const shape of [[2, 3, 4], [5], [], [0, 3]]) {
        const t = sample(dtype, shape);
        const back = parseNpy(encodeNpy(t));
        expect(back.dtype).toBe(dtype);
        expect(back.shape).toEqual(shape);
        expect(back.data).toEqual(t.data);
        expect(back.data.constructor).toBe(t.data.constructor);
      }
    });
  }

  it('through a file, leaving no temporary file behind', () => {
    const t = sample('int16', [3, 2]);
    const path = join(tmp, 'rt.npy');
    writeNpy(path, t);
    writeNpy(path, t); // replacing an existing file works too
    expect(readNpy(path)).toEqual(t);
    expect(readdirSync(tmp).filter((f) => f.includes('rt.npy'))).toEqual(['rt.npy']);
  });

  it('a failed write leaves the old file intact and reports QT004', () => {
    const path = join(tmp, 'keep.npy');
    writeFileSync(path, 'old');
    const dirAsTarget = join(tmp, 'a-dir');
    mkdirSync(dirAsTarget);
    expect(qtError(() => writeNpy(dirAsTarget, sample('int8', [2]))).code).toBe('QT004');
    expect(qtError(() => writeNpy(join(tmp, 'missing', 'x.npy'), sample('int8', [2]))).code).toBe('QT004');
    expect(readFileSync(path, 'latin1')).toBe('old');
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('readNpy of a missing file is QT001', () => {
    expect(qtError(() => readNpy(join(tmp, 'nope.npy'))).code).toBe('QT001');
  });
});

describe('byte layout', () => {
  it('matches a header written by hand from the format spec', () => {
    // int16 [1, -2]: magic, version 1.0, u16 header length 118 (10 + 118 = 128, a multiple of 64), the dict, spaces
    // (NumPy keeps 21 digits of room for the first dimension, then pads to the boundary), '\n', then data LE.
    const dict = "{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }";
    const expected = [0x93, ...Buffer.from('NUMPY'), 1, 0, 118, 0, ...Buffer.from(dict), ...Array(127 - 10 - dict.length).fill(0x20), 0x0a, 0x01, 0x00, 0xfe, 0xff];
    expect(expected.length).toBe(132);
    expect(Array.from(encodeNpy(makeTensor('int16', [2], [1, -2])))).toEqual(expected);
  });

  it('writes 1-byte dtypes with "|", rank 0 as (), and every header 64-aligned', () => {
    const text = (t: Tensor) => Buffer.from(encodeNpy(t)).toString('latin1');
    expect(text(makeTensor('uint8', [1, 28, 28]))).toContain("{'descr': '|u1', 'fortran_order': False, 'shape': (1, 28, 28), }");
    expect(text(makeTensor('bool', [3]))).toContain("'descr': '|b1'");
    expect(text(makeTensor('float64', [], [2]))).toContain("'shape': (), }");
    for (const dtype of ALL) {
      const b = encodeNpy(sample(dtype, [7, 3]));
      const hlen = b[8]! | (b[9]! << 8);
      expect((10 + hlen) % 64).toBe(0);
      expect(b[10 + hlen - 1]).toBe(0x0a);
    }
  });

  it('reads big-endian data', () => {
    const h = "{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }\n";
    const t = parseNpy(npyBytes(h, [0x00, 0x00, 0x01, 0x02, 0xff, 0xff, 0xff, 0xfe]));
    expect(t).toEqual({ dtype: 'int32', shape: [2], data: new Int32Array([0x0102, -2]) });
    const f = parseNpy(npyBytes("{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", [0x3f, 0xf8, 0, 0, 0, 0, 0, 0]));
    expect(Array.from(f.data as Float64Array)).toEqual([1.5]);
    const l = parseNpy(npyBytes("{'descr': '>i8', 'fortran_order': False, 'shape': (1,), }", [0x80, 0, 0, 0, 0, 0, 0, 1]));
    expect(l.data).toEqual(new BigInt64Array([-(2n ** 63n) + 1n]));
  });

  it('transposes Fortran-order data to C order', () => {
    // The 2x3 array [[0,1,2],[3,4,5]] stored column by column: 0 3 1 4 2 5.
    const h = "{'descr': '|u1', 'fortran_order': True, 'shape': (2, 3), }";
    expect(parseNpy(npyBytes(h, [0, 3, 1, 4, 2, 5]))).toEqual({ dtype: 'uint8', shape: [2, 3], data: new Uint8Array([0, 1, 2, 3, 4, 5]) });
    // 2x3x2, C value = 100*i + 10*j + k, laid out with the first index fastest.
    const data: number[] = [];
    for (let k = 0; k < 2; k++) for (let j = 0; j < 3; j++) for (let i = 0; i < 2; i++) data.push(100 * i + 10 * j + k);
    const le = data.flatMap((v) => [v & 0xff, v >> 8]);
    const t = parseNpy(npyBytes("{'descr': '<u2', 'fortran_order': True, 'shape': (2, 3, 2), }", le));
    expect(Array.from(t.data as Uint16Array)).toEqual([0, 1, 10, 11, 20, 21, 100, 101, 110, 111, 120, 121]);
  });

  it('reads versions 2.0 and 3.0, keys in any order, double quotes, Python 2 longs, and normalizes bools', () => {
    const h = '{"shape": (2L,), "fortran_order": False, "descr": "|b1"}';
    expect(parseNpy(npyBytes(h, [0, 7], 2))).toEqual({ dtype: 'bool', shape: [2], data: new Uint8Array([0, 1]) });
    expect(parseNpy(npyBytes(h, [1, 0], 3)).data).toEqual(new Uint8Array([1, 0]));
  });
});

describe('malformed input is QT300/QT301 with the byte offset', () => {
  const ok = "{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }";
  const cases: [string, Uint8Array, string, number][] = [
    ['empty file', new Uint8Array(0), 'QT300', 0],
    ['bad magic', new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x5a, 1, 0, 0, 0]), 'QT300', 5],
    ['a PNG', new Uint8Array([0x89, 0x50, 0x4e, 0x47]), 'QT300', 0],
    ['truncated magic', new Uint8Array([0x93, 0x4e]), 'QT300', 2],
    ['no version', npyBytes(ok).subarray(0, 7), 'QT300', 7],
    ['version 4.0', (() => { const b = npyBytes(ok); b[6] = 4; return b; })(), 'QT300', 6],
    ['version 1.1', (() => { const b = npyBytes(ok); b[7] = 1; return b; })(), 'QT300', 6],
    ['truncated header length', npyBytes(ok).subarray(0, 9), 'QT300', 9],
    ['truncated header', npyBytes(ok).subarray(0, 40), 'QT300', 40],
    ['header length past the end (u32)', (() => { const b = npyBytes(ok, [], 2); b[11] = 0xff; return b; })(), 'QT300', b2len(ok)],
    ['header not a dict', npyBytes("['descr', '<i2']"), 'QT300', 10],
    ['header not a literal', npyBytes("{'descr': '<i2', 'fortran_order': False, 'shape': (2,) 7}"), 'QT300', 10 + 55],
    ['unclosed string', npyBytes("{'descr': '<i2}"), 'QT300', 10 + 10],
    ['nested too deep', npyBytes('{"shape": ' + '('.repeat(5000)), 'QT300', 10 + 10 + 32],
    ['missing shape', npyBytes("{'descr': '<i2', 'fortran_order': False}"), 'QT300', 10],
    ['extra key', npyBytes("{'descr': '<i2', 'fortran_order': False, 'shape': (2,), 'x': 1}"), 'QT300', 10 + 56],
    ['fortran_order not a bool', npyBytes("{'descr': '<i2', 'fortran_order': 0, 'shape': (2,)}"), 'QT300', 10 + 34],
    ['shape not a tuple', npyBytes("{'descr': '<i2', 'fortran_order': False, 'shape': 2}", [1, 0]), 'QT300', 10 + 50],
    ['negative dimension', npyBytes("{'descr': '<i2', 'fortran_order': False, 'shape': (-2,)}"), 'QT300', 10 + 51],
    ['float dimension', npyBytes("{'descr': '<i2', 'fortran_order': False, 'shape': (2.0,)}"), 'QT300', 10 + 51],
    ['unknown descr', npyBytes("{'descr': '<f2', 'fortran_order': False, 'shape': (2,)}", [0, 0, 0, 0]), 'QT301', 10 + 10],
    ['uint64', npyBytes("{'descr': '<u8', 'fortran_order': False, 'shape': ()}", Array(8).fill(0)), 'QT301', 10 + 10],
    ['string dtype', npyBytes("{'descr': '<U3', 'fortran_order': False, 'shape': ()}"), 'QT301', 10 + 10],
    ['structured dtype', npyBytes("{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': ()}"), 'QT301', 10 + 10],
    ['no byte order', npyBytes("{'descr': '|i4', 'fortran_order': False, 'shape': ()}", [0, 0, 0, 0]), 'QT301', 10 + 10],
    ['data too short', npyBytes(ok, [1, 0, 2]), 'QT300', npyBytes(ok).length + 3],
    ['data too long', npyBytes(ok, [1, 0, 2, 0, 9]), 'QT300', npyBytes(ok).length + 4],
    ['huge shape', npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (9007199254740991, 9007199254740991)}", [0]), 'QT300', 0],
    ['dimension past 2^53', npyBytes("{'descr': '|u1', 'fortran_order': False, 'shape': (18446744073709551616, 0)}"), 'QT300', 10 + 51],
    ['bad UTF-8 in a 3.0 header', npyBytes("{'descr': '\xff'}", [], 3), 'QT300', 12],
  ];
  for (const [name, bytes, code, offset] of cases) {
    it(name, () => {
      const e = qtError(() => parseNpy(bytes, 'x.npy'));
      expect(e.code, e.message).toBe(code);
      expect(e.diagnostics[0]!.where?.file).toBe('x.npy');
      // 'huge shape' fails at the end of the file, whatever its length: check against that instead.
      expect(e.diagnostics[0]!.where?.offset, e.message).toBe(name === 'huge shape' ? bytes.length : offset);
    });
  }

  function b2len(h: string): number {
    return 12 + h.length;
  }
});

// NumPy is the reference: it writes files for us to read exactly, and reads ours (which must be byte-identical to its own).
describe('against NumPy', () => {
  const python = '/usr/bin/python3';
  it('reads what numpy writes, and numpy reads what we write', () => {
    const probe = spawnSync(python, ['-c', 'import numpy'], { encoding: 'utf8' });
    if (!existsSync(python) || probe.status !== 0) {
      throw new Error(`${python} with numpy is required for this test (Debian: apt-get install python3-numpy; tools/setup-system.sh does it): ${probe.stderr || probe.error}`);
    }
    const dir = mkdtempSync(join(tmp, 'np-'));
    const script = `
import sys, numpy as np
d = sys.argv[1]
a = np.arange(24).reshape(2, 3, 4)
files = {
  'float32': (a * 0.5 - 3.25).astype('<f4'), 'float64': (a / 7).astype('<f8'),
  'int8': (a * 11 - 128).astype('i1'), 'uint8': (a * 11).astype('u1'),
  'int16': (a * 2500 - 32768).astype('<i2'), 'uint16': (a * 2800).astype('<u2'),
  'int32': (a * 186000000 - 2147483648).astype('<i4'), 'uint32': (a * 186000000).astype('<u4'),
  'int64': (a * 400000000000000000 - 2**62).astype('<i8'), 'bool': (a % 3 == 0),
  'be_f4': (a * 0.5 - 3.25).astype('>f4'), 'be_i8': (a * 400000000000000000 - 2**62).astype('>i8'),
  'fortran': np.asfortranarray((a * 2500 - 32768).astype('<i2')),
  'scalar': np.float64(2.5), 'empty': np.zeros((0, 3), 'u1'),
}
for k, v in files.items(): np.save(f'{d}/np_{k}.npy', v)
with open(f'{d}/np_v2.npy', 'wb') as f: np.lib.format.write_array(f, a.astype('<i4'), version=(2, 0))
with open(f'{d}/np_v3.npy', 'wb') as f: np.lib.format.write_array(f, a.astype('<i4'), version=(3, 0))
if sys.argv[2] == 'check':
  for k, v in files.items():
    if k.startswith('be_') or k == 'fortran': continue
    ours = np.load(f'{d}/ts_{k}.npy')
    assert ours.dtype == np.asarray(v).dtype.newbyteorder('<') or ours.dtype == np.asarray(v).dtype, (k, ours.dtype)
    assert ours.shape == np.shape(v) and np.array_equal(ours, v), (k, ours, v)
    assert open(f'{d}/ts_{k}.npy', 'rb').read() == open(f'{d}/np_{k}.npy', 'rb').read(), ('bytes differ', k)
  print('numpy ok')
`;
    const run = (mode: string) => {
      const r = spawnSync(python, ['-c', script, dir, mode], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
    run('write');
    const a = Array.from({ length: 24 }, (_, i) => i);
    const expected: Record<string, [DType, number[], (number | bigint)[]]> = {
      float32: ['float32', [2, 3, 4], a.map((i) => i * 0.5 - 3.25)],
      float64: ['float64', [2, 3, 4], a.map((i) => i / 7)],
      int8: ['int8', [2, 3, 4], a.map((i) => i * 11 - 128)],
      uint8: ['uint8', [2, 3, 4], a.map((i) => i * 11)],
      int16: ['int16', [2, 3, 4], a.map((i) => i * 2500 - 32768)],
      uint16: ['uint16', [2, 3, 4], a.map((i) => i * 2800)],
      int32: ['int32', [2, 3, 4], a.map((i) => i * 186000000 - 2147483648)],
      uint32: ['uint32', [2, 3, 4], a.map((i) => i * 186000000)],
      int64: ['int64', [2, 3, 4], a.map((i) => BigInt(i) * 400000000000000000n - 2n ** 62n)],
      bool: ['bool', [2, 3, 4], a.map((i) => (i % 3 === 0 ? 1 : 0))],
      be_f4: ['float32', [2, 3, 4], a.map((i) => i * 0.5 - 3.25)],
      be_i8: ['int64', [2, 3, 4], a.map((i) => BigInt(i) * 400000000000000000n - 2n ** 62n)],
      fortran: ['int16', [2, 3, 4], a.map((i) => i * 2500 - 32768)],
      scalar: ['float64', [], [2.5]],
      empty: ['uint8', [0, 3], []],
      v2: ['int32', [2, 3, 4], a],
      v3: ['int32', [2, 3, 4], a],
    };
    for (const [name, [dtype, shape, values]] of Object.entries(expected)) {
      const t = readNpy(join(dir, `np_${name}.npy`));
      expect({ name, dtype: t.dtype, shape: t.shape }).toEqual({ name, dtype, shape });
      expect(Array.from(t.data as ArrayLike<number | bigint>), name).toEqual(dtype === 'float32' ? values.map((v) => Math.fround(Number(v))) : values);
      if (!name.startsWith('be_') && name !== 'fortran' && name !== 'v2' && name !== 'v3') writeNpy(join(dir, `ts_${name}.npy`), t);
    }
    expect(run('check')).toContain('numpy ok');
  });
});
