import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { makeTensor, type DType } from '@qtool/ir';
import { encodeNpy } from '@qtool/frontend';
import { ascii, concatBytes, fillRange, flipBits, Rng, splice, truncate, writeU32 } from './damage.js';
import { tfliteSizeSites } from './flatbuffer-walk.js';
import { allFields, cloneTree, encodeMessage, parseMessage, readVarint, varint, type PbField } from './protobuf-tree.js';

// The damaged files: every variant is rebuilt from (source, kind, seed) alone, so its description reproduces it.

export type Kind =
  | 'truncate' | 'bitflip' | 'multi-bitflip' | 'zero-range' | 'ff-range' | 'huge-length' | 'huge-dim'
  | 'empty' | 'wrong-extension' | 'garbage' | 'sniff-edge' | 'path';

export interface Variant {
  id: number;
  kind: Kind;
  /** Source file (corpus-relative) or a made-up name for generated sources. */
  source: string;
  /** What was done, precisely enough to rebuild the file. */
  desc: string;
  /** File name to write (its extension is part of the test). */
  name: string;
  /** Which entry point reads it. */
  reader: 'model' | 'npy';
  /** The bytes; 'directory' / 'missing' test the path handling instead. */
  make: () => Uint8Array | 'directory' | 'missing';
}

export const SEED = 0x5eed2024;

export const modelSources = [
  'onnx-mnist8/model.onnx',
  'onnx-backend-tests/node/test_basic_conv_with_padding/model.onnx',
  'onnx-backend-tests/node/test_gemm_default_single_elem_vector_bias/model.onnx',
  'onnx-backend-tests/pytorch-converted/test_Conv2d_depthwise/model.onnx',
  'tflite-micro/examples/hello_world/models/hello_world_float.tflite',
  'tflite-micro/examples/hello_world/models/hello_world_int8.tflite',
  'mlperf-tiny/ic/pretrainedResnet_quant.tflite',
  'tflite-micro/models/person_detect.tflite',
];

/** Small valid .npy files (np.save layout, from encodeNpy). */
function npySources(): { name: string; bytes: Uint8Array }[] {
  const mk = (dtype: DType, shape: number[], f: (i: number) => number) => {
    const t = makeTensor(dtype, shape);
    for (let i = 0; i < t.data.length; i++) (t.data as unknown as (number | bigint)[])[i] = dtype === 'int64' ? BigInt(f(i)) : f(i);
    return encodeNpy(t);
  };
  return [
    { name: 'f32_2x3x4.npy', bytes: mk('float32', [2, 3, 4], (i) => i * 0.5 - 3) },
    { name: 'i8_1x28x28.npy', bytes: mk('int8', [1, 28, 28], (i) => (i % 256) - 128) },
    { name: 'i64_5.npy', bytes: mk('int64', [5], (i) => i * 1000 - 2) },
    { name: 'bool_3x3.npy', bytes: mk('bool', [3, 3], (i) => i % 2) },
  ];
}

/** Generates every variant, in a fixed order. `corpusRoot` is ../shared/corpus. */
export function buildVariants(corpusRoot: string): Variant[] {
  const out: Variant[] = [];
  const add = (v: Omit<Variant, 'id'>) => out.push({ ...v, id: out.length });

  modelSources.forEach((src, si) => {
    const bytes = new Uint8Array(readFileSync(`${corpusRoot}/${src}`));
    const ext = src.endsWith('.onnx') ? '.onnx' : '.tflite';
    const stem = basename(src).replace(/\.\w+$/, '') + (src.includes('onnx-backend-tests') ? `-${basename(src.slice(0, -11))}` : '');
    const name = `${stem}${ext}`;
    genericDamage(bytes, src, name, 'model', new Rng(SEED + 1000 * si), add);
    if (ext === '.onnx') onnxHuge(bytes, src, name, add);
    else tfliteHuge(bytes, src, name, add);
    const other = ext === '.onnx' ? '.tflite' : '.onnx';
    add({ kind: 'wrong-extension', source: src, desc: `intact ${ext} model named ${other}`, name: `${stem}${other}`, reader: 'model', make: () => bytes });
    add({ kind: 'wrong-extension', source: src, desc: `intact ${ext} model named .npy, read as a model`, name: `${stem}.npy`, reader: 'model', make: () => bytes });
    add({ kind: 'wrong-extension', source: src, desc: `intact ${ext} model named .npy, read with readNpy`, name: `${stem}.npy`, reader: 'npy', make: () => bytes });
    add({
      kind: 'wrong-extension', source: src, desc: `${ext} model truncated to half, named ${other}`, name: `${stem}${other}`, reader: 'model',
      make: () => truncate(bytes, bytes.length >> 1),
    });
  });

  npySources().forEach((s, si) => {
    genericDamage(s.bytes, s.name, s.name, 'npy', new Rng(SEED + 50_000 + 1000 * si), add);
    add({ kind: 'wrong-extension', source: s.name, desc: 'intact .npy named .onnx, read as a model', name: s.name.replace('.npy', '.onnx'), reader: 'model', make: () => s.bytes });
    add({ kind: 'wrong-extension', source: s.name, desc: 'intact .npy named .tflite, read as a model', name: s.name.replace('.npy', '.tflite'), reader: 'model', make: () => s.bytes });
  });
  npyHuge(npySources()[0]!.bytes, add);

  emptyAndGarbage(add);
  return out;
}

type Add = (v: Omit<Variant, 'id'>) => void;

/** Truncations, bit flips and overwritten ranges, biased towards the first bytes where the structure lives. */
function genericDamage(bytes: Uint8Array, source: string, name: string, reader: 'model' | 'npy', rng: Rng, add: Add): void {
  const n = bytes.length;
  const small = reader === 'npy';
  const v = (kind: Kind, desc: string, make: () => Uint8Array) => add({ kind, source, desc, name, reader, make });

  const cuts = new Set<number>([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 16, 24, 32, 48, 64, 100].filter((c) => c < n));
  cuts.add(n - 1);
  cuts.add(n >> 1);
  while (cuts.size < (small ? 22 : 26)) cuts.add(rng.int(1, n));
  for (const c of [...cuts].sort((a, b) => a - b)) v('truncate', `truncated to ${c} of ${n} bytes`, () => truncate(bytes, c));

  const head = Math.min(n, 512);
  for (let k = 0; k < (small ? 12 : 20); k++) {
    const pos = k % 2 === 0 || small ? rng.int(0, head) : rng.int(0, n);
    const bit = rng.int(0, 8);
    v('bitflip', `bit ${bit} of byte ${pos} flipped`, () => flipBits(bytes, [[pos, bit]]));
  }
  for (let k = 0; k < (small ? 3 : 6); k++) {
    const count = rng.int(2, 33);
    const flips: [number, number][] = [];
    for (let i = 0; i < count; i++) flips.push([rng.int(0, k % 2 ? head : n), rng.int(0, 8)]);
    v('multi-bitflip', `${count} bits flipped: ${flips.map(([p, b]) => `${p}.${b}`).join(' ')}`, () => flipBits(bytes, flips));
  }
  for (const [kind, value] of [['zero-range', 0x00], ['ff-range', 0xff]] as const) {
    v(kind, `bytes [0, 8) set to 0x${value.toString(16)}`, () => fillRange(bytes, 0, 8, value));
    for (let k = 0; k < (small ? 3 : 6); k++) {
      const len = rng.pick([1, 2, 4, 8, 16, 64, 256]);
      const start = k % 2 ? rng.int(0, head) : rng.int(0, n);
      v(kind, `bytes [${start}, ${start + len}) set to 0x${value.toString(16)}`, () => fillRange(bytes, start, len, value));
    }
  }
}

const HUGE_LENGTHS = [0x7fffffffn, 0xffffffffn, 1n << 40n, 1n << 62n];

/** ONNX: length prefixes of message/bytes fields set huge, and tensor / input dimensions set huge. */
function onnxHuge(bytes: Uint8Array, source: string, name: string, add: Add): void {
  const tree = parseMessage(bytes, 'Model');
  if (encodeMessage(tree).length !== bytes.length) throw new Error(`${source}: protobuf tree does not round-trip`);
  const located = allFields(tree);
  const patch = (idx: number, f: (p: PbField) => void) => () => {
    const t = cloneTree(tree);
    f(allFields(t)[idx]!.field);
    return encodeMessage(t);
  };
  // Length-delimited fields: the first ones in the file (headers of the model and graph) and a spread of the rest.
  const lens = located.map((l, i) => ({ ...l, i })).filter((l) => l.field.wire === 2);
  const chosen = new Set<number>(lens.slice(0, 8).map((l) => l.i));
  for (let k = 0; k < 8; k++) chosen.add(lens[Math.floor((k * lens.length) / 8)]!.i);
  // The largest bytes field (raw_data of the biggest initializer).
  const biggest = lens.reduce((a, b) => ((b.field.raw?.length ?? 0) > (a.field.raw?.length ?? 0) ? b : a));
  chosen.add(biggest.i);
  [...chosen].sort((a, b) => a - b).forEach((i, k) => {
    const { field, path } = located[i]!;
    const len = HUGE_LENGTHS[k % HUGE_LENGTHS.length]!;
    add({ kind: 'huge-length', source, desc: `length of ${path} (byte ${field.at}) set to ${len}`, name, reader: 'model', make: patch(i, (p) => (p.lengthOverride = len)) });
    if (k % 3 === 0) {
      // Just one byte too long: the smallest lie.
      const body = field.children ? encodeMessage(field.children).length : field.raw!.length;
      add({ kind: 'huge-length', source, desc: `length of ${path} (byte ${field.at}) set to ${body + 1} (one too many)`, name, reader: 'model', make: patch(i, (p) => (p.lengthOverride = BigInt(body + 1))) });
    }
  });
  // Raw length prefix patched in place in the first bytes (no re-encoding): a varint that runs to 10 bytes.
  const first = lens[0]!;
  const afterTag = first.field.at + varint(BigInt((first.field.no << 3) | 2)).length;
  const [, afterLen] = readVarint(bytes, afterTag);
  add({
    kind: 'huge-length', source, desc: `length varint of ${first.path} at byte ${afterTag} replaced by 10 bytes of 0xff`, name, reader: 'model',
    make: () => splice(bytes, afterTag, afterLen, new Uint8Array(10).fill(0xff)),
  });

  // Dimensions: initializer dims (Tensor field 1) and graph input dim_value (Dim field 1).
  const dims = located
    .map((l, i) => ({ ...l, i }))
    .filter((l) => l.field.wire === 0 && l.field.no === 1 && /(Tensor|Dim)\.1\[\d+\]$/.test(l.path));
  const tensorDims = dims.filter((d) => /Tensor\.1\[\d+\]$/.test(d.path)).slice(0, 3);
  const inputDims = dims.filter((d) => /Dim\.1\[\d+\]$/.test(d.path)).slice(0, 4);
  const HUGE_DIMS = [0x7fffffffn, 1n << 40n, -1n, 1n << 62n];
  // Integer attributes (kernel_shape, pads, strides, axis...): declared sizes too.
  const attrInts = located.map((l, i) => ({ ...l, i })).filter((l) => l.field.wire === 0 && /Attribute\.(3|8)\[\d+\]$/.test(l.path));
  const attrPick = [0, 1, 2, 3, 4, 5].map((k) => attrInts[Math.floor((k * attrInts.length) / 6)]).filter((x) => x !== undefined);
  [...tensorDims, ...inputDims, ...new Set(attrPick)].forEach((d, k) => {
    for (const value of [HUGE_DIMS[k % 4]!, HUGE_DIMS[(k + 1) % 4]!, 65536n]) {
      add({ kind: 'huge-dim', source, desc: `${d.path} (byte ${d.field.at}) set to ${value}`, name, reader: 'model', make: patch(d.i, (p) => (p.varint = value)) });
    }
  });
}

/** TFLite: offsets, vector lengths, dimensions and indices set huge. */
function tfliteHuge(bytes: Uint8Array, source: string, name: string, add: Add): void {
  tfliteSizeSites(bytes).forEach((s, k) => {
    const values = /shape\[/.test(s.what) ? [0x7fffffff, 0x40000000, 0xffffffff, 1 << 20] : [0x7fffffff, 0xfffffff0, s.value + 1];
    const kind: Kind = /shape\[/.test(s.what) ? 'huge-dim' : 'huge-length';
    for (const value of values.slice(0, s.what.startsWith('input') ? 4 : k % 3 === 0 ? 3 : 2)) {
      add({ kind, source, desc: `${s.what} (u32 at byte ${s.pos}, was ${s.value}) set to ${value}`, name, reader: 'model', make: () => writeU32(bytes, s.pos, value) });
    }
  });
}

/** .npy: header length and shape set huge or inconsistent. */
function npyHuge(valid: Uint8Array, add: Add): void {
  const source = 'f32_2x3x4.npy';
  const v = (kind: Kind, desc: string, make: () => Uint8Array) => add({ kind, source, desc, name: 'huge.npy', reader: 'npy', make });
  const patchU16 = (b: Uint8Array, pos: number, x: number) => {
    const o = b.slice();
    new DataView(o.buffer).setUint16(pos, x, true);
    return o;
  };
  v('huge-length', 'header length (u16) set to 0xffff', () => patchU16(valid, 8, 0xffff));
  v('huge-length', 'header length (u16) set to 0', () => patchU16(valid, 8, 0));
  v('huge-length', 'header length (u16) set to 1', () => patchU16(valid, 8, 1));
  v('huge-length', 'version set to 2.0 (the u32 header length now spans header text)', () => flipBits(valid, [[6, 0], [6, 1]]));
  v('huge-length', 'version 2.0 with header length 0xffffffff', () => concatBytes(valid.subarray(0, 6), Uint8Array.of(2, 0, 0xff, 0xff, 0xff, 0xff), valid.subarray(10)));
  v('huge-length', 'version 3.0 with header length 0x7fffffff', () => concatBytes(valid.subarray(0, 6), Uint8Array.of(3, 0, 0xff, 0xff, 0xff, 0x7f), valid.subarray(10)));
  const data = new Uint8Array(96); // the f32 [2,3,4] payload size
  const shapes = [
    '(9223372036854775807,)', '(4294967296, 4294967296)', '(1000000000000000000000000000000,)', '(-1,)', '(2147483647, 2)',
    '(3, 2, 4)', '(2, 3, 4, 0)', '()', `(${Array(65).fill('1').join(', ')})`, `(${Array(64).fill('2').join(', ')})`,
    '(99999999999999999999999999999999999999999,)', '(24.0,)', "('24',)", '(2**31,)', '(0,)',
  ];
  for (const shape of shapes) {
    v('huge-dim', `header shape ${shape.length > 40 ? `${shape.slice(0, 40)}...` : shape}`, () => npyFile(`{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`, data));
  }
  v('huge-dim', 'fortran_order True, <f8, shape (1073741824,): 8 GiB declared, 96 bytes present', () => npyFile("{'descr': '<f8', 'fortran_order': True, 'shape': (1073741824,), }", data));
  v('huge-dim', 'fortran_order True, shape (2, 3, 4) (valid: Fortran to C copy)', () => npyFile("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3, 4), }", data));
  v('huge-length', 'header nested 100000 parentheses deep', () => npyFile(`${'('.repeat(100_000)}${')'.repeat(100_000)}`, data, 2));
  v('huge-length', 'header of 1 MiB of spaces then the dict (version 2.0)', () => npyFile(`${' '.repeat(1 << 20)}{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }`, data, 2));
  v('huge-length', 'header string literal of 1 MiB never closed', () => npyFile(`{'descr': '${'a'.repeat(1 << 20)}`, data, 2));
  v('huge-length', 'header integer literal of 100000 digits', () => npyFile(`{'descr': '<f4', 'fortran_order': False, 'shape': (${'9'.repeat(100_000)},), }`, data, 2));
  v('huge-dim', "descr '<f99999999999'", () => npyFile("{'descr': '<f99999999999', 'fortran_order': False, 'shape': (2, 3, 4), }", data));
}

/** A .npy file from header text (padded to 64) and data, version 1 (u16 length) or 2 (u32). */
function npyFile(dict: string, data: Uint8Array, version = 1): Uint8Array {
  const prefix = version === 1 ? 10 : 12;
  const text = dict + ' '.repeat(63 - ((prefix + dict.length) % 64)) + '\n';
  const head = new Uint8Array(prefix);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const dv = new DataView(head.buffer);
  if (version === 1) dv.setUint16(8, text.length, true);
  else dv.setUint32(8, text.length, true);
  return concatBytes(head, ascii(text), data);
}

/** The empty file, random garbage, format-sniff edge cases and path edge cases. */
function emptyAndGarbage(add: Add): void {
  const rng = new Rng(SEED + 99_999);
  const m = (kind: Kind, desc: string, name: string, make: Variant['make']) => add({ kind, source: '-', desc, name, reader: 'model', make });
  const e = new Uint8Array(0);
  for (const name of ['empty.onnx', 'empty.tflite', 'empty', 'empty.npy']) m('empty', `0-byte file named ${name}, read as a model`, name, () => e);
  add({ kind: 'empty', source: '-', desc: '0-byte file read with readNpy', name: 'empty.npy', reader: 'npy', make: () => e });

  for (const len of [1, 2, 3, 7, 8, 9, 16, 64, 100, 1000, 4096, 65536, 1 << 20]) {
    for (const ext of ['.onnx', '.tflite']) {
      const seed = rng.u32();
      m('garbage', `${len} random bytes (rng seed ${seed}) named ${ext}`, `garbage-${len}${ext}`, () => new Rng(seed).bytes(len));
    }
    const seed = rng.u32();
    add({ kind: 'garbage', source: '-', desc: `${len} random bytes (rng seed ${seed}) read with readNpy`, name: `garbage-${len}.npy`, reader: 'npy', make: () => new Rng(seed).bytes(len) });
  }
  // Random bodies behind a plausible start: they get past the format sniff and into a reader.
  for (const len of [8, 12, 64, 512, 4096, 65536]) {
    for (const [label, start] of [
      ['TFL3 identifier', Uint8Array.of(0x10, 0, 0, 0, 0x54, 0x46, 0x4c, 0x33)],
      ['ONNX ir_version tag', Uint8Array.of(0x08, 0x07, 0x12)],
      ['ONNX graph tag', Uint8Array.of(0x3a)],
      ['.npy magic', Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0)],
    ] as const) {
      const seed = rng.u32();
      const make = () => concatBytes(start, new Rng(seed).bytes(Math.max(0, len - start.length)));
      m('garbage', `${label} then random bytes to ${len} (rng seed ${seed})`, `plausible-${len}.bin`, make);
      if (label === '.npy magic') add({ kind: 'garbage', source: '-', desc: `${label} then random bytes to ${len} (rng seed ${seed}), readNpy`, name: `plausible-${len}.npy`, reader: 'npy', make });
    }
  }
  const zeros = (n: number) => new Uint8Array(n);
  const ffs = (n: number) => new Uint8Array(n).fill(0xff);
  m('garbage', '4096 zero bytes', 'zeros.onnx', () => zeros(4096));
  m('garbage', '4096 0xff bytes', 'ffs.tflite', () => ffs(4096));
  m('garbage', 'a text file', 'readme.onnx', () => ascii('This is not a model.\n'));
  m('garbage', 'a JSON file', 'model.json.onnx', () => ascii('{"format": "onnx", "graph": {}}'));
  m('garbage', 'a PNG signature and IHDR', 'image.tflite', () => Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0));
  m('garbage', 'a gzip header', 'model.onnx.gz', () => Uint8Array.of(0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0));
  m('garbage', 'a zip local header (PyTorch .pt)', 'model.pt', () => concatBytes(ascii('PK\x03\x04'), zeros(60)));

  // Format sniffing: the identifier in the wrong place, too short, a tag that is valid but leads nowhere.
  const tfl3 = ascii('TFL3');
  m('sniff-edge', "'TFL3' alone (4 bytes)", 'tfl3-4.tflite', () => tfl3);
  m('sniff-edge', "'TFL3' at byte 0 of 8", 'tfl3-at0.tflite', () => concatBytes(tfl3, zeros(4)));
  m('sniff-edge', "7 bytes ending 'TFL' (identifier cut short)", 'tfl-7.tflite', () => concatBytes(zeros(4), ascii('TFL')));
  m('sniff-edge', "exactly 8 bytes: zero root offset then 'TFL3'", 'tfl3-8.tflite', () => concatBytes(zeros(4), tfl3));
  m('sniff-edge', "8 bytes: root offset 8 (one past the end) then 'TFL3'", 'tfl3-8b.tflite', () => concatBytes(Uint8Array.of(8, 0, 0, 0), tfl3));
  m('sniff-edge', "root offset 0xffffffff then 'TFL3'", 'tfl3-ff.tflite', () => concatBytes(ffs(4), tfl3, zeros(8)));
  m('sniff-edge', "'TFL3' at byte 4 with a root table pointing at itself", 'tfl3-self.tflite', () => concatBytes(Uint8Array.of(8, 0, 0, 0), tfl3, Uint8Array.of(0, 0, 0, 0), zeros(8)));
  m('sniff-edge', "'tfl3' lower case at byte 4", 'tfl3-lc.tflite', () => concatBytes(Uint8Array.of(0x10, 0, 0, 0), ascii('tfl3'), zeros(16)));
  for (const tag of [0x08, 0x0a, 0x12, 0x3a, 0x42, 0xa2]) {
    m('sniff-edge', `one byte 0x${tag.toString(16)} (a protobuf tag, nothing after it)`, `tag-${tag}.onnx`, () => Uint8Array.of(tag));
  }
  m('sniff-edge', 'tag 0x08 then an overlong 11-byte varint', 'varint.onnx', () => concatBytes(Uint8Array.of(0x08), ffs(10), Uint8Array.of(0x01)));
  m('sniff-edge', 'tag 0x3a (graph) with length 0: a model with an empty graph', 'emptygraph.onnx', () => Uint8Array.of(0x08, 0x07, 0x3a, 0x00));
  m('sniff-edge', 'ir_version only', 'irversion.onnx', () => Uint8Array.of(0x08, 0x07));
  m('sniff-edge', 'tag with field 0', 'field0.onnx', () => Uint8Array.of(0x02, 0x00));
  m('sniff-edge', 'tag with wire type 7', 'wire7.onnx', () => Uint8Array.of(0x0f, 0x00));
  m('sniff-edge', 'group start tag (wire type 3) of field 1', 'group.onnx', () => Uint8Array.of(0x0b, 0x0c));
  m('sniff-edge', 'field 19 (first byte 0x98) varint then nothing', 'field19.onnx', () => Uint8Array.of(0x98, 0x01));
  m('sniff-edge', '1000000 nested empty graph fields (tag 0x3a) with lengths that do not add up', 'nested.onnx', () => {
    const b = new Uint8Array(2_000_000);
    for (let i = 0; i < b.length; i += 2) [b[i], b[i + 1]] = [0x3a, 0x7f];
    return b;
  });

  m('path', 'a directory instead of a file', 'a-directory.onnx', () => 'directory');
  m('path', 'a path that does not exist', 'missing.onnx', () => 'missing');
  add({ kind: 'path', source: '-', desc: 'readNpy on a directory', name: 'a-directory.npy', reader: 'npy', make: () => 'directory' });
  add({ kind: 'path', source: '-', desc: 'readNpy on a missing path', name: 'missing.npy', reader: 'npy', make: () => 'missing' });
}
