import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeTensor, type Graph, type Node, type Tensor, type TensorInfo } from '@qtool/ir';
import { INT32_MAX, quantizeMultiplier, type FixedMultiplier } from '@qtool/qmath';
import { adjustedWeights, registry, type ConvParams, type MacParams, type MatmulParams, type QuantizeContext, type RoundingMode, type WeightQuant } from '@qtool/ops';
import { quantizeWeights } from '../../quantizer/src/weights.js';
import { cList, type EmitContext, type KernelEmitter } from '../src/kernel.js';
import { targets } from '../src/target.js';
import { convEmitter, fullyConnectedEmitter, matmulBatch, matmulEmitter, packBits } from '../src/kernels/mac.js';
import { requireCommand, STRICT, tempDir } from './cc.js';

// runtime/qt_mac.c against the integer references (evalInt of conv, fully_connected, matmul), bit for bit.
// Each case is a random layer: its C declarations come from the layer's emitter (so the emitters are tested too),
// its expected output from evalInt. Many cases share one C program to keep compiler runs few.

const RUNTIME = fileURLToPath(new URL('../runtime/', import.meta.url));

/** mulberry32: a small seeded generator, deterministic across runs. */
function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)); // inclusive
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)]!;
  const chance = (p: number) => next() < p;
  return { next, int, pick, chance };
}
type Rng = ReturnType<typeof rng>;

interface Case {
  name: string;
  emitter: KernelEmitter;
  node: Node;
  inputs: Tensor[];
  expected: Tensor;
}

const int8 = (r: Rng, n: number) => Int8Array.from({ length: n }, () => r.int(-128, 127));

/** Random stored weights of any format the runtime reads, per tensor or per output channel. */
function randomWeights(r: Rng, shape: number[]): WeightQuant {
  const cout = shape[0]!;
  const n = shape.reduce((a, b) => a * b, 1);
  const perChannel = r.chance(0.6);
  const channels = perChannel ? cout : 1;
  const signed = r.chance(0.3);
  const bits = signed ? r.pick([8, 8, 4]) : r.int(2, 8);
  const lo = signed ? -(2 ** (bits - 1)) : 0;
  const hi = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  const q = Int16Array.from({ length: n }, () => r.int(lo, hi));
  // TFLite's signed weights have offset 0; the runtime takes any offset, so sometimes give them one
  const offset = Array.from({ length: channels }, () => (signed && r.chance(0.7) ? 0 : r.int(-(2 ** bits), 2 ** bits)));
  return {
    bits,
    signed,
    anchor: signed ? 'min' : r.pick(['min', 'max'] as const),
    axis: perChannel ? 0 : undefined,
    scale: new Array<number>(channels).fill(1),
    offset,
    shape,
    q,
  };
}

/** A multiplier that maps an accumulator of typical size `typical` to about +-2^e, e random (saturating at times). */
function randomMultiplier(r: Rng, typical: number): FixedMultiplier {
  const kind = r.next();
  // R near INT32_MAX / INT32_MIN (saturated), where R + outputOffset must not wrap
  if (kind < 0.06) return quantizeMultiplier(2 ** r.int(20, 29) * (1 + r.next() * 0.9));
  const target = kind < 0.12 ? 2 ** r.int(8, 20) : kind < 0.18 ? 2 ** -r.int(1, 8) : 2 ** (r.next() * 5 + 3);
  return quantizeMultiplier(target / Math.max(1, typical));
}

function randomOutput(r: Rng): Pick<MacParams, 'outputOffset' | 'clampLo' | 'clampHi'> {
  const outputOffset = r.int(-128, 127);
  let clampLo = -128;
  let clampHi = 127;
  if (r.chance(0.35)) clampLo = r.chance(0.5) ? outputOffset : r.int(-128, 0); // relu-like or arbitrary
  if (r.chance(0.25)) clampHi = r.int(Math.max(clampLo, 0), 127);
  return { outputOffset, clampLo, clampHi };
}

/** The proof the quantizer makes (QT400); the random cases must satisfy it to be valid layers. */
function assertAccumulatorBound(p: MacParams): void {
  const adj = adjustedWeights(p.weights);
  const cout = p.weights.shape[0]!;
  const per = adj.length / cout;
  const maxX = Math.max(Math.abs(-128 + p.inputOffset), Math.abs(127 + p.inputOffset));
  for (let c = 0; c < cout; c++) {
    let s = Math.abs(p.bias[c]!);
    for (let i = c * per; i < (c + 1) * per; i++) s += Math.abs(adj[i]!) * maxX;
    if (s > INT32_MAX) throw new Error('random case breaks the accumulator bound');
  }
}

function macParams(r: Rng, w: WeightQuant, mode: RoundingMode): MacParams {
  const cout = w.shape[0]!;
  const per = w.q.length / cout;
  const inputOffset = r.chance(0.2) ? 128 : r.chance(0.1) ? -127 : r.int(-127, 128);
  const adj = adjustedWeights(w);
  let meanAbs = 0;
  for (const a of adj) meanAbs += Math.abs(a);
  meanAbs /= adj.length;
  const typical = Math.sqrt(per) * meanAbs * 74 + 1; // |x'| about 74 on average for uniform int8
  const biasMag = r.pick([0, 8, 12, 16, 20]);
  const bias = Int32Array.from({ length: cout }, () => (biasMag === 0 ? 0 : r.int(-(2 ** biasMag), 2 ** biasMag)));
  const perChannelRq = r.chance(0.5);
  const multipliers = Array.from({ length: perChannelRq ? cout : 1 }, () => randomMultiplier(r, typical));
  const p: MacParams = { mode, inputOffset, weights: w, bias, multipliers, ...randomOutput(r) };
  assertAccumulatorBound(p);
  return p;
}

function evalCase(name: string, emitter: KernelEmitter, node: Node, inputs: Tensor[]): Case {
  const expected = registry[node.op]!.evalInt!(node, inputs)[0]!;
  return { name, emitter, node, inputs, expected };
}

/** Random valid conv geometry, 1-D or 2-D, with groups of every kind. */
function convCase(r: Rng, i: number, fromQuantize: boolean): Case {
  const rank = r.chance(0.25) ? 1 : 2;
  const kind = r.pick(['dense', 'dense', 'grouped', 'depthwise', 'depthwise'] as const);
  let groups = 1;
  let cinG: number;
  let coutG: number;
  if (kind === 'dense') {
    cinG = r.int(1, 6);
    coutG = r.int(1, 6);
  } else if (kind === 'grouped') {
    groups = r.int(2, 3);
    cinG = r.int(1, 3);
    coutG = r.int(1, 3);
  } else {
    groups = r.int(1, 6); // = Cin
    cinG = 1;
    coutG = r.int(1, 3); // channel multiplier
  }
  const cin = groups * cinG;
  const cout = groups * coutG;
  const kernel: number[] = [];
  const strides: number[] = [];
  const dilations: number[] = [];
  const begins: number[] = [];
  const ends: number[] = [];
  const spatial: number[] = [];
  for (let a = 0; a < rank; a++) {
    const k = r.pick([1, 2, 3, 3, 4, 5]);
    const d = r.chance(0.7) ? 1 : r.int(2, 3);
    const pb = r.chance(0.4) ? 0 : r.int(0, 3);
    const pe = r.chance(0.4) ? 0 : r.int(0, 3);
    const ek = (k - 1) * d + 1;
    const n = Math.max(1, ek - pb - pe) + r.int(0, 7);
    kernel.push(k);
    strides.push(r.int(1, 3));
    dilations.push(d);
    begins.push(pb);
    ends.push(pe);
    spatial.push(n);
  }
  const pads = [...begins, ...ends];
  const batch = r.chance(0.25) ? 2 : 1;
  const wShape = [cout, ...kernel, cinG];
  const mode: RoundingMode = r.chance(0.5) ? 'qtool' : 'tflite';
  const xShape = [batch, ...spatial, cin];
  const node: Node = { name: `conv_${i}`, op: 'conv', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: { strides, dilations, pads, groups } };
  let params: ConvParams;
  if (fromQuantize) {
    // the op's own Prepare through a small QuantizeContext with the real weight scheme
    const n = wShape.reduce((a, b) => a * b, 1);
    const wf = Float32Array.from({ length: n }, () => (r.next() - 0.5) * 2 * (r.chance(0.1) ? 0 : 1));
    if (r.chance(0.2)) wf.fill(0.25, 0, n / cout); // a degenerate first channel: adjusted weight exactly +-1
    const bits = r.int(2, 8);
    const ctx: QuantizeContext = {
      options: { mode, bits, granularity: r.chance(0.5) ? 'channel' : 'tensor', anchor: r.pick(['min', 'max'] as const), rounding: r.pick(['offset', 'shifted'] as const) },
      act: (t) => (t === 'x' ? { dtype: 'int8', scale: 0.02 + r.next() * 0.1, zeroPoint: r.int(-128, 127) } : { dtype: 'int8', scale: 0.05 + r.next(), zeroPoint: r.int(-128, 127) }),
      weights: (t, axis) => quantizeWeights(wf, wShape, { bits, anchor: ctx.options.anchor, rounding: ctx.options.rounding, axis: ctx.options.granularity === 'channel' ? axis : undefined }),
      constant: () => new Float32Array(0),
      bias: (t, scales, channels) => Int32Array.from({ length: channels }, (_, c) => Math.round((r.next() - 0.5) / scales[scales.length === 1 ? 0 : c]!)),
      multiplier: quantizeMultiplier,
    };
    if (r.chance(0.5)) node.attrs = { ...node.attrs, actMin: 0, ...(r.chance(0.5) ? { actMax: 6 } : {}) };
    params = registry.conv!.quantize!(node, ctx) as ConvParams;
  } else {
    params = { ...macParams(r, randomWeights(r, wShape), mode), kernel, strides, dilations, pads, groups };
  }
  node.params = params;
  const x = makeTensor('int8', xShape, int8(r, xShape.reduce((a, b) => a * b, 1)));
  const desc = `conv#${i} ${rank}-D x[${xShape}] w[${wShape}] s[${strides}] d[${dilations}] p[${pads}] g${groups} ${mode} ` +
    `${params.weights.signed ? 's' : 'u'}${params.weights.bits} ${params.weights.anchor} ${params.multipliers.length > 1 ? 'per-channel' : 'per-tensor'}`;
  return evalCase(desc, convEmitter, node, [x]);
}

function fcCase(r: Rng, i: number): Case {
  const k = r.pick([1, 2, 3, 7, 16, 33, 64, 100]);
  const n = r.int(1, 12);
  const lead = r.pick([[1], [3], [2, 2], [2, 1, 3]]);
  const mode: RoundingMode = r.chance(0.5) ? 'qtool' : 'tflite';
  const node: Node = { name: `fc_${i}`, op: 'fully_connected', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: {} };
  const p = macParams(r, randomWeights(r, [n, k]), mode);
  node.params = p;
  const xShape = [...lead, k];
  const x = makeTensor('int8', xShape, int8(r, xShape.reduce((a, b) => a * b, 1)));
  const desc = `fc#${i} x[${xShape}] w[${n},${k}] ${mode} ${p.weights.signed ? 's' : 'u'}${p.weights.bits} ${p.weights.anchor}`;
  return evalCase(desc, fullyConnectedEmitter, node, [x]);
}

function matmulCase(r: Rng, i: number): Case {
  const m = r.int(1, 5);
  const k = r.int(1, 24);
  const n = r.int(1, 5);
  // batch axes with broadcasting (either side may be 1 or missing), 1-D operands sometimes
  const rank = r.int(0, 3);
  const full = Array.from({ length: rank }, () => r.int(1, 3));
  const aB = full.map((d) => (r.chance(0.3) ? 1 : d)).slice(r.int(0, rank));
  const bB = full.map((d) => (r.chance(0.3) ? 1 : d)).slice(r.int(0, rank));
  const aShape = rank === 0 && r.chance(0.3) ? [k] : [...aB, m, k];
  const bShape = rank === 0 && r.chance(0.3) ? [k] : [...bB, k, n];
  const mode: RoundingMode = r.chance(0.5) ? 'qtool' : 'tflite';
  const inputOffsetA = r.int(-127, 128);
  const inputOffsetB = r.int(-127, 128);
  const maxAbs = (o: number) => Math.max(Math.abs(-128 + o), Math.abs(127 + o));
  const p: MatmulParams = {
    mode,
    inputOffsetA,
    inputOffsetB,
    multiplier: randomMultiplier(r, Math.sqrt(k) * 74 * 74),
    maxK: Math.floor(INT32_MAX / (maxAbs(inputOffsetA) * maxAbs(inputOffsetB))),
    ...randomOutput(r),
  };
  const node: Node = { name: `matmul_${i}`, op: 'matmul', inputs: ['a', 'b'], outputs: ['y'], attrs: {}, params: p };
  const a = makeTensor('int8', aShape, int8(r, aShape.reduce((x, y) => x * y, 1)));
  const b = makeTensor('int8', bShape, int8(r, bShape.reduce((x, y) => x * y, 1)));
  return evalCase(`matmul#${i} a[${aShape}] b[${bShape}] ${mode}`, matmulEmitter, node, [a, b]);
}

/** The layer's C text through its emitter, with the case's data as arrays named after the prefix. */
function emitCase(c: Case, prefix: string): { decls: string; call: string } {
  const decls: string[] = [];
  const names = new Map<string, string>();
  const tensors = new Map<string, TensorInfo>();
  c.node.inputs.forEach((v, j) => {
    const t = c.inputs[j];
    if (!t) return;
    tensors.set(v, { name: v, dtype: 'int8', shape: t.shape });
    names.set(v, `${prefix}_in${j}`);
    decls.push(`static const int8_t ${prefix}_in${j}[${t.data.length}] = {\n${cList(t.data as Int8Array)}\n};`);
  });
  const y = c.node.outputs[0]!;
  tensors.set(y, { name: y, dtype: 'int8', shape: c.expected.shape });
  names.set(y, `${prefix}_out`);
  decls.push(`static int8_t ${prefix}_out[${c.expected.data.length}];`);
  const graph: Graph = { name: 't', inputs: [], outputs: [], tensors, initializers: new Map(), nodes: [c.node] };
  const ctx: EmitContext = {
    graph,
    node: c.node,
    target: targets.host,
    prefix,
    ptr: (v) => names.get(v)!,
    constArray(suffix, ctype, values) {
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
  const call = c.emitter.emit(ctx);
  return { decls: decls.join('\n'), call };
}

/** Substitutes for sibling kernel headers qt_kernels.h includes that are not written yet (only when missing). */
function stubDir(dir: string): string {
  const stubs = join(dir, 'stubs');
  mkdirSync(stubs, { recursive: true });
  for (const h of ['qt_elementwise.h', 'qt_pool.h', 'qt_softmax.h', 'qt_move.h'])
    if (!existsSync(join(RUNTIME, h))) writeFileSync(join(stubs, h), `/* stub for the mac test: ${h} not written yet */\n`);
  return stubs;
}

/** Builds one C program for all cases, runs it, returns each case's output values. */
function runInC(cases: Case[], tag: string): number[][] {
  const dir = tempDir(`mac-${tag}`);
  const parts = cases.map((c, i) => emitCase(c, `c${i}`));
  const src = [
    '#include <stdio.h>',
    '#include "qt_mac.h"',
    '',
    ...parts.map((p) => p.decls),
    '',
    'static void dump(const int8_t *v, int n) {',
    '  int i;',
    '  for (i = 0; i < n; i++) printf(i ? " %d" : "%d", v[i]);',
    '  printf("\\n");',
    '}',
    '',
    'int main(void) {',
    ...parts.map((p, i) => `  ${p.call}\n  dump(c${i}_out, ${cases[i]!.expected.data.length});`),
    '  return 0;',
    '}',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'main.c'), src);
  const exe = join(dir, 'a.out');
  execFileSync('cc', [...STRICT, `-I${RUNTIME}`, `-I${stubDir(dir)}`, '-o', exe, join(dir, 'main.c'), join(RUNTIME, 'qt_mac.c')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = execFileSync(exe, [], { encoding: 'utf8', maxBuffer: 1 << 28 }).split('\n');
  return cases.map((_, i) => (out[i] ?? '').split(' ').filter((s) => s !== '').map(Number));
}

function checkAll(cases: Case[], tag: string): void {
  const got = runInC(cases, tag);
  let mismatches = 0;
  cases.forEach((c, i) => {
    const want = Array.from(c.expected.data as Int8Array);
    if (got[i]!.join() !== want.join()) {
      mismatches++;
      if (mismatches <= 3) expect(got[i], c.name).toEqual(want);
    }
  });
  expect(mismatches, `${mismatches} of ${cases.length} cases differ`).toBe(0);
}

describe('qt_mac.c equals evalInt bit for bit', () => {
  it('conv: 2-D and 1-D, strides, dilations, asymmetric pads, grouped and depthwise, 2..8-bit weights (240 cases)', { timeout: 120_000 }, () => {
    requireCommand('cc');
    const r = rng(20240611);
    const cases = Array.from({ length: 240 }, (_, i) => convCase(r, i, i % 5 === 4));
    // coverage the random draw must reach, so that a change of generator cannot quietly drop a feature
    const ps = cases.map((c) => c.node.params as ConvParams);
    expect(ps.some((p) => p.kernel.length === 1)).toBe(true);
    // depthwise with a channel multiplier: one input channel per group, more output channels than groups
    expect(ps.some((p) => p.groups > 1 && p.weights.shape.at(-1) === 1 && p.weights.shape[0]! > p.groups)).toBe(true);
    for (const bits of [2, 3, 4, 5, 6, 7, 8]) expect(ps.some((p) => p.weights.bits === bits && !p.weights.signed), `u${bits}`).toBe(true);
    expect(ps.some((p) => p.weights.signed)).toBe(true);
    expect(ps.some((p) => p.weights.anchor === 'max')).toBe(true);
    expect(ps.some((p) => p.mode === 'tflite') && ps.some((p) => p.mode === 'qtool')).toBe(true);
    expect(ps.some((p) => p.multipliers.length > 1) && ps.some((p) => p.multipliers.length === 1)).toBe(true);
    expect(ps.some((p) => p.strides.includes(3) && p.dilations.some((d) => d > 1))).toBe(true);
    expect(ps.some((p) => p.clampLo > -128) && ps.some((p) => p.clampHi < 127)).toBe(true);
    checkAll(cases, 'conv');
  });

  it('fully_connected: batched rows, every weight format (80 cases)', { timeout: 60_000 }, () => {
    requireCommand('cc');
    const r = rng(7);
    checkAll(Array.from({ length: 80 }, (_, i) => fcCase(r, i)), 'fc');
  });

  it('matmul: broadcast batch axes, 1-D operands, both modes (80 cases)', { timeout: 60_000 }, () => {
    requireCommand('cc');
    const r = rng(99);
    checkAll(Array.from({ length: 80 }, (_, i) => matmulCase(r, i)), 'matmul');
  });
});

describe('mac emitters', () => {
  it('pack weights as qt_weight_q reads them, with one padding byte', () => {
    const r = rng(3);
    for (let bits = 2; bits <= 7; bits++) {
      const q = Array.from({ length: 37 }, () => r.int(0, 2 ** bits - 1));
      const p = packBits(q, bits);
      expect(p.length).toBe(Math.ceil((37 * bits) / 8) + 1);
      // qt_weight_q, written out
      const read = (i: number) => {
        const bit = i * bits;
        const two = p[bit >> 3]! | (p[(bit >> 3) + 1]! << 8);
        return (two >> (bit & 7)) & ((1 << bits) - 1);
      };
      expect(q.map((_, i) => read(i))).toEqual(q);
      expect(p[p.length - 1]).toBe(0);
    }
  });

  it('fold matmul batch axes: broadcast strides, merged axes', () => {
    expect(matmulBatch([], [])).toEqual({ shape: [], aStride: [], bStride: [] });
    expect(matmulBatch([2, 3], [2, 3])).toEqual({ shape: [6], aStride: [1], bStride: [1] });
    expect(matmulBatch([3, 1], [3, 4])).toEqual({ shape: [3, 4], aStride: [1, 0], bStride: [4, 1] });
    expect(matmulBatch([1], [2, 1, 5])).toEqual({ shape: [10], aStride: [0], bStride: [1] });
    expect(matmulBatch([2], [3])).toBe('batch axes [2] and [3] do not broadcast');
  });

  it('emit deterministic text', () => {
    const a = emitCase(convCase(rng(5), 0, false), 'l0');
    const b = emitCase(convCase(rng(5), 0, false), 'l0');
    expect(a).toEqual(b);
    expect(a.call).toMatch(/^qt_conv_s8\(&l0_p, l0_in0, l0_out\); \/\* conv /);
  });
});

describe('qt_mac.c builds for every Cortex-M target', () => {
  it('arm-none-eabi-gcc -Werror for cortex-m0plus, m3, m4, m55', { timeout: 120_000 }, () => {
    requireCommand('arm-none-eabi-gcc');
    const dir = tempDir('mac-arm');
    const stubs = stubDir(dir);
    for (const t of ['cortex-m0plus', 'cortex-m3', 'cortex-m4', 'cortex-m55'] as const) {
      const flags = targets[t].cpuFlags;
      expect(() =>
        execFileSync('arm-none-eabi-gcc', [...STRICT, ...flags, `-I${RUNTIME}`, `-I${stubs}`, '-c', join(RUNTIME, 'qt_mac.c'), '-o', join(dir, `${t}.o`)], {
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      ).not.toThrow();
    }
  });
});
