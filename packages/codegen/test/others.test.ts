import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTensor, numel, type Graph, type Node, type Tensor, type TensorInfo } from '@qtool/ir';
import { registry, type ActQuant, type QuantizeContext, type RoundingMode } from '@qtool/ops';
import { quantizeMultiplier, roundingDivideByPOT } from '@qtool/qmath';
import { expOnNegativeValuesQ5, oneOverOnePlusX, roundingHalfSum, satShiftLeft } from '../../ops/src/ops/int_fixedpoint.js';
import { runtimeDir } from '../src/emit.js';
import { cList, type CType, type EmitContext } from '../src/kernel.js';
import { otherEmitters } from '../src/kernels/others.js';
import { targets } from '../src/target.js';
import { requireCommand, runExe, STRICT, tempDir } from './cc.js';

// The non-MAC kernels (runtime/qt_{elementwise,pool,softmax,move}.c) against the integer references (evalInt):
// seeded random cases per op family, parameters built by each op's real `quantize` through a small fake
// QuantizeContext, each case emitted by its KernelEmitter into one C program per family, compiled with the strict
// flags, run, and every output byte compared exactly.

const SOURCES = ['qt_elementwise.c', 'qt_pool.c', 'qt_softmax.c', 'qt_move.c'];
const emitters = new Map(otherEmitters.map((e) => [e.op, e]));

function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)); // inclusive
  const pick = <T>(a: readonly T[]): T => a[Math.floor(next() * a.length)]!;
  const scale = (lo: number, hi: number) => lo * (hi / lo) ** next(); // log-uniform
  const aq = (lo = 0.005, hi = 0.2): ActQuant => ({ dtype: 'int8', scale: scale(lo, hi), zeroPoint: int(-128, 127) });
  return { next, int, pick, aq, chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof rng>;

function fakeCtx(acts: Record<string, ActQuant>, mode: RoundingMode, consts: Record<string, Float32Array> = {}): QuantizeContext {
  return {
    options: { mode, bits: 8, granularity: 'tensor', anchor: 'min', rounding: 'offset' },
    act: (t) => acts[t] ?? (() => { throw new Error(`no act for ${t}`); })(),
    weights: () => {
      throw new Error('no weights here');
    },
    constant: (t) => consts[t] ?? (() => { throw new Error(`${t} is not a constant`); })(),
    bias: () => new Int32Array(0),
    multiplier: quantizeMultiplier,
  };
}

/** One kernel case: a node, its activation parameters, input shapes; values are drawn by the harness. */
interface Spec {
  op: string;
  attrs?: Node['attrs'];
  inputs: number[][];
  acts: ActQuant[]; // one per input, then the output
  mode: RoundingMode;
  consts?: Record<string, Float32Array>;
  /** extra inputs that are constants (prelu's slope): names only, no buffer */
  constInputs?: string[];
  /** the output overwrites input 0 (the planner's in-place placement) */
  inPlace?: boolean;
  /** input values; random when absent */
  values?: number[][];
}

interface Built {
  label: string;
  decls: string[];
  body: string[];
  expected: Int8Array;
}

/** Prepare + Eval through the registry, then the emitter; null when the op's own rules refuse the spec. */
function build(k: number, s: Spec, r: Rng): Built | null {
  const names = s.inputs.map((_, i) => `x${i}`);
  const node: Node = { name: `${s.op}_${k}`, op: s.op, inputs: [...names, ...(s.constInputs ?? [])], outputs: ['y'], attrs: s.attrs ?? {} };
  const acts: Record<string, ActQuant> = { y: s.acts[s.inputs.length]! };
  names.forEach((n, i) => (acts[n] = s.acts[i]!));
  const xs: Tensor[] = s.inputs.map((shape, i) => makeTensor('int8', shape, Int8Array.from(s.values?.[i] ?? Array.from({ length: numel(shape) }, () => r.int(-128, 127)))));
  let y: Tensor;
  try {
    const def = registry[s.op]!;
    node.params = def.quantize!(node, fakeCtx(acts, s.mode, s.consts));
    y = def.evalInt!(node, xs)[0]!;
  } catch {
    return null; // a geometry or scale the op refuses (QT201/QT400): draw again
  }
  const tensors = new Map<string, TensorInfo>();
  names.forEach((n, i) => tensors.set(n, { name: n, dtype: 'int8', shape: s.inputs[i]! }));
  tensors.set('y', { name: 'y', dtype: 'int8', shape: y.shape });
  const graph: Graph = { name: 't', inputs: names, outputs: ['y'], tensors, initializers: new Map(), nodes: [node] };
  const prefix = `c${k}`;
  const buf = (v: string) => `${prefix}_${v}`;
  const decls: string[] = [];
  const ctx: EmitContext = {
    graph,
    node,
    target: targets.host,
    prefix,
    ptr: (v) => (s.inPlace && v === 'y' ? buf('x0') : buf(v)),
    constArray(suffix: string, ctype: CType, values: ArrayLike<number>) {
      const id = `${prefix}_${suffix}`;
      decls.push(`static const QT_ALIGN(16) ${ctype} ${id}[${Math.max(values.length, 1)}] = {\n${values.length ? cList(values) : '  0'}\n};`);
      return id;
    },
    constRecords(suffix: string, ctype: string, _bytes: number, records: string[]) {
      const id = `${prefix}_${suffix}`;
      decls.push(`static const ${ctype} ${id}[${records.length}] = { ${records.join(', ')} };`);
      return id;
    },
    declare: (text) => decls.push(text),
  };
  const call = emitters.get(s.op)!.emit(ctx);
  xs.forEach((x, i) => decls.push(`static int8_t ${buf(names[i]!)}[${Math.max(x.data.length, 1)}] = {\n${x.data.length ? cList(x.data as Int8Array) : '  0'}\n};`));
  const out = s.inPlace ? buf('x0') : buf('y');
  if (!s.inPlace) decls.push(`static int8_t ${out}[${Math.max(y.data.length, 1)}];`);
  const label = `#${k} ${s.op} ${s.mode} ${s.inputs.map((d) => `[${d}]`).join(' ')} ${JSON.stringify(s.attrs ?? {})}${s.inPlace ? ' in place' : ''}`;
  // an empty concat input has no call that reads it
  const unused = names.map((n) => `(void)${buf(n)};`).join(' ');
  return { label, decls, body: [call, `${unused} fwrite(${out}, 1, ${y.data.length}, stdout);`], expected: y.data as Int8Array };
}

/** Builds `count` cases from `draw`, compiles one program, runs it; returns per-case mismatches. */
function runFamily(family: string, seed: number, count: number, draw: (r: Rng, k: number) => Spec): { cases: number; failures: string[] } {
  requireCommand('cc');
  const r = rng(seed);
  const built: Built[] = [];
  for (let k = 0; built.length < count; k++) {
    if (k > count * 20) throw new Error(`${family}: too many refused specs`);
    const b = build(k, draw(r, built.length), r);
    if (b) built.push(b);
  }
  const main = [
    '#include <stdio.h>',
    '#include "qt_runtime.h"',
    ...built.flatMap((b) => b.decls),
    'int main(void) {',
    ...built.flatMap((b) => b.body.map((l) => `  ${l}`)),
    '  return 0;',
    '}',
    '',
  ].join('\n');
  const dir = tempDir(`others-${family}`);
  writeFileSync(join(dir, 'main.c'), main);
  const exe = join(dir, 'a.out');
  execFileSync('cc', [...STRICT, `-I${runtimeDir}`, '-o', exe, join(dir, 'main.c'), ...SOURCES.map((s) => join(runtimeDir, s))], { stdio: ['ignore', 'pipe', 'pipe'] });
  const got = new Int8Array(runExe(exe, new Uint8Array(0)));
  const failures: string[] = [];
  let at = 0;
  for (const b of built) {
    const g = got.subarray(at, at + b.expected.length);
    at += b.expected.length;
    const bad = b.expected.findIndex((v, i) => g[i] !== v);
    if (bad >= 0 || g.length !== b.expected.length) failures.push(`${b.label}: element ${bad} is ${g[bad]}, evalInt ${b.expected[bad]}`);
  }
  if (at !== got.length) failures.push(`${family}: ${got.length} output bytes, expected ${at}`);
  return { cases: built.length, failures };
}

/** A random shape of rank lo..hi with extents 1..maxDim. */
const shapeOf = (r: Rng, lo: number, hi: number, maxDim: number) => Array.from({ length: r.int(lo, hi) }, () => r.int(1, maxDim));

/** A shape that broadcasts with `y`: a suffix of it with some extents set to 1. */
function broadcastFrom(r: Rng, y: number[]): number[] {
  const drop = r.chance(0.3) ? r.int(0, y.length) : 0;
  return y.slice(drop).map((d) => (r.chance(0.3) ? 1 : d));
}

const modeOf = (r: Rng): RoundingMode => (r.chance(0.5) ? 'qtool' : 'tflite');

function fusedAct(r: Rng): Node['attrs'] {
  const v = r.next();
  if (v < 0.5) return {};
  if (v < 0.75) return { actMin: 0 };
  return { actMin: r.pick([0, -1]), actMax: r.pick([6, 1, 0.5]) };
}

const LUT_OPS: [string, (r: Rng) => Node['attrs']][] = [
  ['relu', () => ({})],
  ['clip', (r) => ({ min: -r.next() * 3, max: r.next() * 6 })],
  ['leaky_relu', (r) => ({ alpha: r.next() * 0.3 })],
  ['sigmoid', () => ({})],
  ['tanh', () => ({})],
  ['hard_sigmoid', (r) => ({ alpha: 0.1 + r.next() * 0.2, beta: 0.5 })],
  ['hard_swish', () => ({})],
];

function drawElementwise(r: Rng, k: number): Spec {
  const kind = k % 10;
  const mode = modeOf(r);
  if (kind < 6) {
    const op = r.pick(['add', 'sub', 'mul']);
    const y = shapeOf(r, 1, 5, 5);
    // both operands come from y, so they broadcast; in place, input 1 has the output's shape
    const inPlace = kind === 5;
    let a = inPlace || r.chance(0.4) ? y : broadcastFrom(r, y);
    let b = broadcastFrom(r, y);
    if (!inPlace && r.chance(0.5)) [a, b] = [b, a];
    const ys = op === 'mul' ? r.aq(0.0005, 0.05) : r.aq();
    return { op, attrs: fusedAct(r), inputs: [a, b], acts: [r.aq(), r.aq(), ys], mode, inPlace };
  }
  if (kind < 9) {
    const [op, attrs] = r.pick(LUT_OPS);
    return { op, attrs: attrs(r), inputs: [shapeOf(r, 1, 4, 6)], acts: [r.aq(0.01, 0.1), r.aq(0.005, 0.05)], mode, inPlace: kind === 8 };
  }
  // prelu: a scalar slope, or one per channel of the last axis
  const x = shapeOf(r, 2, 4, 6);
  const c = x[x.length - 1]!;
  const slope = Float32Array.from({ length: r.chance(0.25) ? 1 : c }, () => r.next() - 0.3);
  return { op: 'prelu', inputs: [x], constInputs: ['s'], consts: { s: slope }, acts: [r.aq(0.01, 0.1), r.aq(0.005, 0.05)], mode, inPlace: r.chance(0.3) };
}

function drawPool(r: Rng, k: number): Spec {
  const mode = modeOf(r);
  if (k % 3 === 2) {
    // mean over normalised axes
    const x = shapeOf(r, 1, 5, 6);
    const axes = x.map((_, i) => i).filter(() => r.chance(0.5));
    const xq = r.aq();
    const yq = r.chance(0.5) ? xq : r.aq();
    return { op: 'mean', attrs: { axes, keepDims: r.chance(0.5) }, inputs: [x], acts: [xq, yq], mode };
  }
  const op = r.chance(0.5) ? 'max_pool' : 'avg_pool';
  const sp = r.chance(0.3) ? 1 : 2;
  const spatial = Array.from({ length: sp }, () => r.int(1, 9));
  const kernel = spatial.map((d) => r.int(1, Math.min(d + 1, 4)));
  const strides = spatial.map(() => r.int(1, 3));
  const dilations = spatial.map(() => (r.chance(0.2) ? 2 : 1));
  const pads = [...spatial, ...spatial].map(() => (r.chance(0.5) ? r.int(0, 2) : 0));
  const xq = r.aq();
  const yq = r.chance(0.8) ? xq : r.aq();
  const attrs = { kernel, strides, dilations, pads, ceilMode: r.chance(0.4), countIncludePad: r.chance(0.5), ...(r.chance(0.3) ? { actMin: 0 } : {}) };
  return { op, attrs, inputs: [[r.int(1, 2), ...spatial, r.int(1, 5)]], acts: [xq, yq], mode };
}

function drawSoftmax(r: Rng, k: number): Spec {
  const mode = modeOf(r);
  const x = shapeOf(r, 1, 4, 6);
  // long rows: sums of 2^28 and more drive TFLite's final shift past 31
  if (k % 8 === 7) x[x.length - 1] = r.pick([520, 1000, 2500, 4000]);
  const axis = r.chance(0.6) ? -1 : r.int(0, x.length - 1);
  const fixed: ActQuant = { dtype: 'int8', scale: 1 / 256, zeroPoint: -128 };
  const yq = mode === 'tflite' || r.chance(0.8) ? fixed : r.aq(0.002, 0.01);
  const n = numel(x);
  // narrow value ranges make many cells near the max (large sums); wide ones exercise diff_min
  const spread = r.pick([1, 4, 40, 256]);
  const base = r.int(-128, 127 - Math.min(spread - 1, 255));
  const values = [Array.from({ length: n }, () => Math.min(127, base + r.int(0, spread - 1)))];
  return { op: 'softmax', attrs: { axis, beta: r.pick([1, 1, 0.5, 2.5]) }, inputs: [x], acts: [r.aq(0.01, 0.5), yq], mode, values };
}

function drawMove(r: Rng, k: number): Spec {
  const mode = modeOf(r);
  const kind = k % 5;
  const xq = r.aq();
  const yq = r.chance(0.6) ? xq : r.aq();
  if (kind === 0) {
    const x = shapeOf(r, 1, 4, 5);
    const flat = numel(x);
    const shape = r.chance(0.5) ? [flat] : [1, flat];
    return { op: 'reshape', attrs: { shape }, inputs: [x], acts: [xq, yq], mode, inPlace: r.chance(0.3) };
  }
  if (kind === 1) {
    const x = shapeOf(r, 1, 6, 4);
    const perm = x.map((_, i) => i);
    for (let i = perm.length - 1; i > 0; i--) {
      const j = r.int(0, i);
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    return { op: 'transpose', attrs: r.chance(0.1) ? {} : { perm }, inputs: [x], acts: [xq, yq], mode };
  }
  if (kind === 2) {
    const base = shapeOf(r, 1, 4, 5);
    const axis = r.int(0, base.length - 1);
    const n = r.int(1, 4);
    const inputs = Array.from({ length: n }, () => base.map((d, i) => (i === axis ? r.int(0, 4) : d)));
    if (inputs.every((s) => s[axis] === 0)) inputs[0]![axis] = 1;
    const acts = [...inputs.map(() => (r.chance(0.5) ? xq : r.aq())), xq];
    return { op: 'concat', attrs: { axis: r.chance(0.3) ? axis - base.length : axis }, inputs, acts, mode };
  }
  if (kind === 3) {
    const x = shapeOf(r, 1, 4, 5);
    const padMode = r.pick(['constant', 'constant', 'reflect', 'edge']);
    const pads = [...x, ...x].map((_, i) => {
      const d = x[i % x.length]!;
      const v = r.next();
      if (v < 0.4) return 0;
      if (v < 0.55 && d > 1) return -r.int(1, Math.floor((d - 1) / 2)); // crop, leaving at least one value
      return r.int(1, padMode === 'reflect' ? Math.max(1, d) : 3);
    });
    return { op: 'pad', attrs: { pads, mode: padMode, value: r.chance(0.5) ? 0 : r.next() * 4 - 2 }, inputs: [x], acts: [xq, yq], mode };
  }
  const q2 = r.chance(0.85) ? r.aq() : xq;
  return { op: 'quantize', attrs: { dtype: 'int8', scale: [q2.scale], zeroPoint: [q2.zeroPoint] }, inputs: [shapeOf(r, 1, 3, 8)], acts: [xq, q2], mode, inPlace: r.chance(0.4) };
}

function expectAllExact(res: { cases: number; failures: string[] }, min: number): void {
  expect(res.cases).toBeGreaterThanOrEqual(min);
  expect(res.failures.slice(0, 5)).toEqual([]);
}

describe('non-MAC C kernels equal evalInt bit for bit', () => {
  it('add, sub, mul (broadcasting, fused clamps, in place) and table lookups (relu .. hard_swish, prelu)', () => {
    expectAllExact(runFamily('elementwise', 11, 160, drawElementwise), 160);
  });

  it('max_pool, avg_pool (1-D, 2-D, pads, strides, dilations, ceil mode, count_include_pad) and mean', () => {
    expectAllExact(runFamily('pool', 22, 150, drawPool), 150);
  });

  it('softmax, qtool table and TFLite fixed point, any axis, long rows', () => {
    expectAllExact(runFamily('softmax', 33, 100, drawSoftmax), 100);
  });

  it('reshape, transpose, concat (per-input requant), pad (constant, reflect, edge, crops), quantize (in place)', () => {
    expectAllExact(runFamily('move', 44, 150, drawMove), 150);
  });
});

describe('qt_fp_* equal int_fixedpoint.ts', () => {
  it('on random arguments of every helper', () => {
    requireCommand('cc');
    const program = `#include <stdio.h>
#include "qt_runtime.h"
int main(void) {
  int32_t a[3];
  while (fread(a, sizeof a, 1, stdin) == 1) {
    int32_t r;
    switch (a[0]) {
      case 0: r = qt_fp_exp_neg_q5(a[1]); break;
      case 1: r = qt_fp_recip(a[1]); break;
      case 2: r = qt_fp_rdivpot_wide(a[1], a[2]); break;
      case 3: r = qt_fp_sat_shl(a[1], a[2]); break;
      default: r = qt_fp_half_sum(a[1], a[2]); break;
    }
    fwrite(&r, sizeof r, 1, stdout);
  }
  return 0;
}
`;
    const dir = tempDir('qtfp');
    writeFileSync(join(dir, 'main.c'), program);
    const exe = join(dir, 'a.out');
    execFileSync('cc', [...STRICT, `-I${runtimeDir}`, '-o', exe, join(dir, 'main.c')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const r = rng(5);
    const n = 200_000;
    const args = new Int32Array(n * 3);
    const expected = new Int32Array(n);
    const i32 = () => (Math.floor(r.next() * 2 ** 32) - 2 ** 31) | 0;
    for (let k = 0; k < n; k++) {
      const f = k % 5;
      let x = i32();
      let e = 0;
      if (f === 0) {
        x = r.chance(0.5) ? -Math.floor(r.next() * 2 ** 31) : -Math.floor(r.next() * 2 ** 28); // a <= 0, Q5.26
        if (k % 1000 === 0) x = r.pick([0, -2147483648, -1]);
        expected[k] = expOnNegativeValuesQ5(x);
      } else if (f === 1) {
        x = Math.floor(r.next() * 2 ** 31);
        expected[k] = oneOverOnePlusX(x);
      } else if (f === 2) {
        e = r.int(0, 40);
        if (k % 997 === 2) x = -2147483648;
        expected[k] = roundingDivideByPOT(x, e);
      } else if (f === 3) {
        e = r.int(1, 31);
        x = r.chance(0.5) ? x : x >> r.int(0, 31);
        expected[k] = satShiftLeft(x, e);
      } else {
        e = i32();
        expected[k] = roundingHalfSum(x, e);
      }
      args.set([f, x, e], k * 3);
    }
    const out = runExe(exe, new Uint8Array(args.buffer));
    const got = new Int32Array(out.buffer, out.byteOffset, out.byteLength / 4);
    let bad = -1;
    for (let k = 0; k < n && bad < 0; k++) if (got[k] !== expected[k]) bad = k;
    expect(bad < 0 ? null : { args: Array.from(args.subarray(bad * 3, bad * 3 + 3)), got: got[bad], expected: expected[bad] }).toBeNull();
    expect(got.length).toBe(n);
  });
});

describe('the non-MAC runtime cross-compiles', () => {
  it('for cortex-m0plus, m3, m4 and m55 with -Werror', () => {
    requireCommand('arm-none-eabi-gcc');
    const dir = tempDir('others-arm');
    for (const t of ['cortex-m0plus', 'cortex-m3', 'cortex-m4', 'cortex-m55'] as const)
      for (const s of SOURCES)
        execFileSync(targets[t].cc, [...STRICT, ...targets[t].cpuFlags, `-I${runtimeDir}`, '-c', join(runtimeDir, s), '-o', join(dir, `${t}-${s}.o`)], { stdio: ['ignore', 'pipe', 'pipe'] });
  });
});
