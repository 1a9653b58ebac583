import { adjustedWeights, type RoundingMode, type WeightQuant } from '@qtool/ops';
import type { FixedMultiplier } from '@qtool/qmath';
import { cInt, type EmitContext } from '../kernel.js';
import type { Target } from '../target.js';
import { cStruct, emitRequant, type CField } from './mac_common.js';

// The fast MAC kernels (runtime/qt_mac_dsp.c for Cortex-M4/M7, runtime/qt_mac_mve.c for Cortex-M55): which
// layers they take, and their weights laid out at compile time for the inner loop. The integers are qt_mac.c's
// by algebra (qt_mac.h, "fast kernels"): acc = fbias + sum w * x + cw * sum x, adj = w + cw,
// fbias = bias + inputOffset * sum adj (mod 2^32). A layer the fast kernels cannot take keeps the portable one.

export type FastFamily = 'dsp' | 'mve';

export const fastFamily = (t: Target): FastFamily | undefined => (t.kernels === 'portable' ? undefined : t.kernels);

/** The runtime file of a family. */
export const fastSource = (f: FastFamily): string => (f === 'dsp' ? 'qt_mac_dsp.c' : 'qt_mac_mve.c');

/** int32 wrap-around (C's uint32 arithmetic): exact for any integer below 2^53 in magnitude. */
const wrap32 = (v: number): number => v | 0;

/** The fields the fast kernels share with the portable ones' output step. */
interface OutputParams {
  mode: RoundingMode;
  clampLo: number;
  clampHi: number;
  outputOffset: number;
  inputOffset: number;
  multipliers: FixedMultiplier[];
}

/**
 * The prepared multipliers of the fast kernels (qt_rqf_t, runtime/qt_mac.h): R(acc) = hi32(acc * m + K) >> sh,
 * K chosen by the sign of acc; sh = -1 where neither contract's shift allows it (the kernel calls qt_rq).
 */
export function rqfRecords(multipliers: FixedMultiplier[], mode: RoundingMode): string[] {
  const u32 = (v: bigint) => Number(BigInt.asUintN(32, v));
  const i32 = (v: bigint) => Number(BigInt.asIntN(32, v));
  return multipliers.map(({ multiplier: m, shift }) => {
    let sh = -1;
    let kPos = 0n;
    let kNeg = 0n;
    if (mode === 'tflite' && shift < 0) {
      const e = BigInt(-shift);
      kPos = (1n << 30n) + (1n << (30n + e)); // 2^30 (srdhm's nudge) + 2^(e-1) * 2^31 (rdivpot's half)
      kNeg = kPos - (1n << 31n); // rdivpot's -1 for negative values, times 2^31
      sh = -shift - 1;
    } else if (mode === 'qtool' && 31 - shift >= 32) {
      kPos = kNeg = 1n << BigInt(31 - shift - 1);
      sh = 31 - shift - 32;
    }
    const f = [m, shift, sh, u32(kPos), i32(kPos >> 32n), u32(kNeg), i32(kNeg >> 32n), 0];
    return `{ ${f.map(cInt).join(', ')} }`;
  });
}

/**
 * qt_gemm_s8_t.rqf_fast: whether every multiplier takes the family's shortcut, so the kernels skip the test per
 * output. DSP: the one-SMLAL path (qt_rqf_t sh >= 0: tflite shift < 0, qtool shift <= -1). Helium: the vector
 * requantization without a left shift (tflite shift < 0) or with VMULH / VRSHL (qtool shift <= -2).
 */
export const rqfAllFast = (multipliers: FixedMultiplier[], mode: RoundingMode, family: FastFamily = 'dsp'): number =>
  multipliers.every(({ shift }) => (mode === 'tflite' ? shift < 0 : shift <= (family === 'dsp' ? -1 : -2))) ? 1 : 0;

/**
 * Whether a DSP layer takes the doubled-accumulator requantization (qt_gemm_s8_t.rq2): tflite with every shift < 0,
 * every doubled adjusted weight in int16, and every channel's accumulator below 2^30 in magnitude for any input
 * (|bias| + max |x'| * sum |adj|, x' = x + inputOffset over int8 x), so that 2 acc fits int32 and srdhm(acc, m) is
 * SMMULR(2 acc, m) exactly. adj as rows [n][k].
 */
export function rq2Ok(adj: Int32Array, n: number, bias: Int32Array, p: OutputParams): boolean {
  if (p.mode !== 'tflite' || !p.multipliers.every(({ shift }) => shift < 0)) return false;
  const k = adj.length / n;
  const maxX = Math.max(Math.abs(-128 + p.inputOffset), Math.abs(127 + p.inputOffset));
  for (let c = 0; c < n; c++) {
    let s = 0;
    for (let i = c * k; i < (c + 1) * k; i++) {
      if (Math.abs(2 * adj[i]!) > 32767) return false;
      s += Math.abs(adj[i]!);
    }
    if (Math.abs(bias[c] ?? 0) + maxX * s >= 2 ** 30) return false;
  }
  return true;
}

/** The rq2 records (qt_rqf_t): m, shift, sh = e = -shift, k_lo0 = 2^(e-1) the rdivpot nudge. */
export function rq2Records(multipliers: FixedMultiplier[]): string[] {
  return multipliers.map(({ multiplier: m, shift }) => `{ ${[m, shift, -shift, 2 ** (-shift - 1), 0, 0, 0, 0].map(cInt).join(', ')} }`);
}

/** Adjusted weights as rows [n][k] (weights [n, ...] with k values an output channel). */
export function adjustedRows(w: WeightQuant, n: number): { adj: Int32Array; k: number } {
  return { adj: adjustedWeights(w), k: w.q.length / n };
}

/**
 * The DSP layout of qt_gemm_row_dsp (qt_mac_dsp.c): blocks of 4 output channels, then of 1; in a block, per group
 * of 4 taps and per channel, (w0, w2) (w1, w3); then the k % 4 last taps [tap][channel], padded to an even count.
 * undefined when an adjusted weight does not fit int16.
 */
export function dspGemmLayout(adj: Int32Array, n: number, k: number): Int16Array | undefined {
  for (const v of adj) if (v < -32768 || v > 32767) return undefined;
  const out: number[] = [];
  const k4 = k >> 2;
  const kt = k & 3;
  for (let c0 = 0; c0 < n; ) {
    const b = c0 + 4 <= n ? 4 : 1;
    for (let i = 0; i < k4; i++)
      for (let c = c0; c < c0 + b; c++) {
        const r = c * k + 4 * i;
        out.push(adj[r]!, adj[r + 2]!, adj[r + 1]!, adj[r + 3]!);
      }
    let tail = 0;
    for (let j = 0; j < kt; j++)
      for (let c = c0; c < c0 + b; c++, tail++) out.push(adj[c * k + 4 * k4 + j]!);
    if (tail & 1) out.push(0);
    c0 += b;
  }
  return Int16Array.from(out);
}

/** Whether the DSP gemm keeps these weights packed (qt_gemm_row_packed_dsp): stored q of 4 bits or fewer, unsigned,
 * per tensor or per output channel (axis 0). Packed, they take half a byte a weight in flash instead of the two bytes
 * of the widened layout, for about 1.5x the inner loop's instructions. */
export const dspPacked = (w: WeightQuant): boolean => w.bits <= 4 && !w.signed && (w.axis === undefined || w.axis === 0);

/**
 * The packed layout of qt_gemm_row_packed_dsp (qt_mac_dsp_impl.h), as int16 halves of little-endian words: blocks
 * of 4 output channels, then of 1; in a block, per 8 taps and channel one word of 8 nibbles q (taps 0..7 at bits
 * 0, 4, 16, 20, 8, 12, 24, 28: (word >> 4 j) & 0x000F000F is the SMLAD pair of the widened column's word j); then
 * the k % 8 last taps' adjusted weights [tap][channel], padded to an even count. Also the per-channel offsets o and
 * the sign (adj = sign q + o). undefined when a tail weight does not fit int16.
 */
export function dspPackedLayout(w: WeightQuant, n: number, k: number): { words: Int16Array; o: Int32Array; sign: number } | undefined {
  const adj = adjustedWeights(w);
  const sign = w.anchor === 'min' ? 1 : -1;
  const o = Int32Array.from({ length: n }, (_, c) => w.offset[w.axis === undefined ? 0 : c]!);
  const nib = [0, 4, 16, 20, 8, 12, 24, 28];
  const out: number[] = [];
  const k8 = k >> 3;
  const kt = k & 7;
  for (let c0 = 0; c0 < n; ) {
    const b = c0 + 4 <= n ? 4 : 1;
    for (let i = 0; i < k8; i++)
      for (let c = c0; c < c0 + b; c++) {
        let word = 0;
        for (let t = 0; t < 8; t++) word = (word | (w.q[c * k + 8 * i + t]! << nib[t]!)) >>> 0;
        out.push(word & 0xffff, word >>> 16);
      }
    let tail = 0;
    for (let t = 0; t < kt; t++)
      for (let c = c0; c < c0 + b; c++, tail++) {
        const v = adj[c * k + 8 * k8 + t]!;
        if (v < -32768 || v > 32767) return undefined; // a far offset: the tail's adjusted weights leave int16
        out.push(v);
      }
    if (tail & 1) out.push(0);
    c0 += b;
  }
  return { words: Int16Array.from(out), o, sign };
}

/**
 * The MVE layout of qt_gemm_row_mve (qt_mac_mve.c): int8 w with adj = w + cw[c]; cw[c] = 0 where the channel's
 * adjusted weights fit int8, else their minimum + 128. Each channel's taps are cut in chunks of 16 (the last padded
 * with zeros); blocks of 4 channels hold, per chunk, the 4 channels' 16 bytes one after the other (the kernel reads
 * one block with one pointer and small immediate offsets); the n % 4 last channels are their chunks in a row.
 * undefined when a channel spans more than 256 values.
 */
export function mveGemmLayout(adj: Int32Array, n: number, k: number): { w: Int8Array; cw: Int32Array } | undefined {
  const chunks = Math.ceil(k / 16);
  const w = new Int8Array(n * chunks * 16);
  const cw = new Int32Array(n);
  const n4 = n & ~3;
  for (let c = 0; c < n; c++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = c * k; i < (c + 1) * k; i++) {
      lo = Math.min(lo, adj[i]!);
      hi = Math.max(hi, adj[i]!);
    }
    if (hi - lo > 255) return undefined;
    cw[c] = lo >= -128 && hi <= 127 ? 0 : lo + 128;
    for (let t = 0; t < k; t++) {
      const at = c < n4 ? (c & ~3) * chunks * 16 + (t >> 4) * 64 + (c & 3) * 16 + (t & 15) : c * chunks * 16 + t;
      w[at] = adj[c * k + t]! - cw[c]!;
    }
  }
  return { w, cw };
}

/**
 * Declares a layer's multipliers in its family's form and returns the fields every fast params struct ends with
 * (qt_gemm_s8_t, qt_dwconv_fast_t): DSP reads the prepared qt_rqf_t only (rq2 records where the layer takes rq2),
 * Helium the plain qt_requant_t, which it requantizes in vectors.
 */
function outputStep(ctx: EmitContext, family: FastFamily, p: OutputParams, n: number, rq2: boolean): CField[] {
  const rq = family === 'dsp' ? 'NULL' : emitRequant(ctx, p.multipliers, n);
  const rqf = family === 'dsp' ? ctx.constRecords('rqf', 'qt_rqf_t', 32, rq2 ? rq2Records(p.multipliers) : rqfRecords(p.multipliers, p.mode)) : 'NULL';
  return [
    ['requant', rq],
    ['rqf', rqf, family === 'dsp' ? 'the multipliers prepared (qt_rqf_t)' : 'Helium reads requant'],
    ['per_channel_requant', p.multipliers.length > 1 ? 1 : 0],
    ['mode', p.mode === 'tflite' ? 'QT_MODE_TFLITE' : 'QT_MODE_QTOOL'],
    ['output_offset', p.outputOffset],
    ['act_min', p.clampLo],
    ['act_max', p.clampHi],
    ['rqf_fast', rqfAllFast(p.multipliers, p.mode, family)],
  ];
}

/** A qt_gemm_s8_t initializer as text, for a nested field or a struct of its own. */
const gemmInitializer = (fields: CField[]): string => cStruct('qt_gemm_s8_t', 'X', fields).replace(/^static const qt_gemm_s8_t X = /, '').replace(/;$/, '');

/**
 * Declares the weights, folded bias and requantization of a fast gemm and returns the qt_gemm_s8_t initializer
 * (as text, for a nested field or a struct of its own), or undefined when the family cannot take these weights.
 */
export function emitFastGemm(ctx: EmitContext, family: FastFamily, w: WeightQuant, bias: Int32Array, n: number, p: OutputParams): string | undefined {
  const { adj, k } = adjustedRows(w, n);
  let wName: string;
  let cwName = 'NULL';
  let packed: { words: Int16Array; o: Int32Array; sign: number } | undefined;
  // DSP, tflite: weights and folded bias doubled where the requantization may take SMMULR (rq2Ok)
  const rq2 = family === 'dsp' && !(dspPacked(w) && dspPackedLayout(w, n, k)) && rq2Ok(adj, n, bias, p);
  const scale = rq2 ? 2 : 1;
  if (family === 'dsp' && dspPacked(w) && (packed = dspPackedLayout(w, n, k))) {
    wName = ctx.constArray('wq', 'int16_t', packed.words);
    cwName = ctx.constArray('wo', 'int32_t', packed.o);
  } else if (family === 'dsp') {
    const layout = dspGemmLayout(rq2 ? adj.map((v) => 2 * v) : adj, n, k);
    if (!layout) return undefined;
    wName = ctx.constArray('wf', 'int16_t', layout);
  } else {
    const layout = mveGemmLayout(adj, n, k);
    if (!layout) return undefined;
    wName = ctx.constArray('wf', 'int8_t', layout.w);
    if (layout.cw.some((v) => v !== 0)) cwName = ctx.constArray('cw', 'int32_t', layout.cw);
  }
  // fbias = bias + inputOffset * sum_k adj, modulo 2^32 (C adds it in uint32 arithmetic)
  const fbias = new Int32Array(n);
  for (let c = 0; c < n; c++) {
    let s = 0;
    for (let i = c * k; i < (c + 1) * k; i++) s += adj[i]!;
    fbias[c] = wrap32(scale * wrap32(wrap32(bias[c] ?? 0) + wrap32(p.inputOffset * s)));
  }
  const fb = ctx.constArray('fbias', 'int32_t', fbias);
  const out = outputStep(ctx, family, p, n, rq2);
  const fields: CField[] = [
    ['k', k],
    ['n', n],
    [
      'w',
      wName,
      packed ? 'the stored q packed, 8 a word (qt_gemm_row_packed_dsp)' : family === 'dsp' ? 'int16 pairs in SMLAD order (qt_mac_dsp.c)' : 'int8 in chunks of 16 taps, 4 channels interleaved, adj = w + cw',
    ],
    ['bias', fb, 'bias + input_offset * sum adj, mod 2^32'],
    packed ? ['cw', cwName, "the weights' offsets o: adj = wsign * q + o"] : ['cw', cwName],
    ...out,
    ['packed', packed ? 1 : 0],
    ['wsign', packed?.sign ?? 1],
    ['rq2', rq2 ? 1 : 0, rq2 ? 'weights and bias doubled: R = rdivpot(SMMULR(2 acc, m))' : 'the prepared rqf'],
  ];
  return gemmInitializer(fields);
}

/**
 * Declares the layer's own function, `<prefix>_run(params)`, whose body is one of the family's QT_INLINE layer
 * bodies (runtime/qt_mac_*_impl.h) called on the layer's static const params: every shape, stride, padding,
 * rounding contract and clamp is a constant of that function, so gcc folds the loop bounds, tap offsets and
 * requantization branches (compile-time specialisation, at the price of one copy of the body per layer in flash).
 * Kept out of line (QT_LAYER_FN, qt_runtime.h): inlined into invoke(), the layers' register allocation degrades.
 * Returns the function's name.
 */
export function specialised(ctx: EmitContext, body: string, params: string): string {
  const name = `${ctx.prefix}_run`;
  ctx.declare(`QT_LAYER_FN void ${name}(${params}) { ${body}; }`);
  return name;
}

/** conv geometry, as conv.ts validated it (2-D; a 1-D conv has H = 1). */
export interface ConvGeometry {
  batches: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  dilH: number;
  dilW: number;
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
  groups: number;
}

/** Scratch bytes of a fully-connected layer: the widened row where the DSP gemm keeps packed weights, else none. */
export const fcScratch = (family: FastFamily | undefined, w: WeightQuant, k: number): number => (family === 'dsp' && dspPacked(w) ? gemmScratch('dsp', k) : 0);

/** Scratch bytes of a gemm row (qt_conv_s8_*, qt_fc_s8_*): DSP widens the column to int16, 8-byte aligned. */
export const gemmScratch = (family: FastFamily, k: number): number => (family === 'dsp' ? 2 * ((k + 3) & ~3) : 0);

/** (2G) of Winograd F(2x2, 3x3): U' = (2G) g (2G)^T = 4 G g G^T, integer (G has halves). */
const G2 = [
  [2, 0, 0],
  [1, 1, 1],
  [1, -1, 1],
  [0, 0, 2],
];

/**
 * The Winograd F(2x2, 3x3) weights of a 3x3 stride-1 conv for qt_wino_spec_dsp (qt_mac_dsp_impl.h): for each of
 * the 16 positions p = 4 i + j, U'[p][co][ci] = sum_ab G2[i][a] g[co][a][b][ci] G2[j][b] in the DSP gemm layout
 * (dspGemmLayout, n = out_c, k = in_c), the 16 concatenated. undefined where the kernel cannot take the layer or
 * cannot prove it exact: in_c % 4 != 0, a U' outside int16, or an output channel whose |4 Y| could reach 2^31
 * (4 * max |x + input_offset| * sum |adj| over its taps, for any int8 input).
 */
export function winogradWeights(g: ConvGeometry, w: WeightQuant, inputOffset: number): Int16Array | undefined {
  if (g.groups !== 1 || g.kH !== 3 || g.kW !== 3 || g.strideH !== 1 || g.strideW !== 1 || g.dilH !== 1 || g.dilW !== 1) return undefined;
  if (g.inC % 4 !== 0 || g.outH < 2 || g.outW < 2) return undefined;
  const adj = adjustedWeights(w);
  const C = g.inC;
  const N = g.outC;
  const maxX = Math.max(Math.abs(-128 + inputOffset), Math.abs(127 + inputOffset));
  for (let co = 0; co < N; co++) {
    let s = 0;
    for (let i = co * 9 * C; i < (co + 1) * 9 * C; i++) s += Math.abs(adj[i]!);
    if (4 * maxX * s >= 2 ** 31) return undefined;
  }
  const out = new Int16Array(16 * N * C);
  for (let i = 0; i < 4; i++)
    for (let j = 0; j < 4; j++) {
      const u = new Int32Array(N * C);
      for (let co = 0; co < N; co++)
        for (let ci = 0; ci < C; ci++) {
          let v = 0;
          for (let a = 0; a < 3; a++)
            for (let b = 0; b < 3; b++) v += G2[i]![a]! * adj[((co * 3 + a) * 3 + b) * C + ci]! * G2[j]![b]!;
          u[co * C + ci] = v;
        }
      const layout = dspGemmLayout(u, N, C);
      if (!layout) return undefined;
      out.set(layout, (4 * i + j) * N * C);
    }
  return out;
}

/** Scratch bytes of qt_wino_spec_dsp: V [16][in_c] int16, then M [16][QT_WINO_CHUNK = 16] int32. */
const winogradScratch = (inC: number): number => 32 * inC + 16 * 16 * 4;

/**
 * Which fast conv kernel a layer takes on a target, and the scratch it needs; undefined: the portable one. With the
 * weights and input offset, a 3x3 stride-1 conv on the DSP family takes Winograd where winogradWeights proves it.
 */
export function fastConvKind(
  family: FastFamily | undefined,
  g: ConvGeometry,
  w?: WeightQuant,
  inputOffset?: number,
): { kind: 'gemm' | 'depthwise' | 'winograd'; direct: boolean; scratch: number } | undefined {
  if (!family) return undefined;
  if (family === 'dsp' && w && inputOffset !== undefined && winogradWeights(g, w, inputOffset))
    return { kind: 'winograd', direct: false, scratch: winogradScratch(g.inC) };
  if (g.groups === 1) {
    const direct = g.kH === 1 && g.kW === 1 && g.padTop === 0 && g.padLeft === 0;
    const k = g.kH * g.kW * g.inC;
    // im2col columns: one (DSP), two (Helium takes output pixels in pairs)
    return { kind: 'gemm', direct, scratch: gemmScratch(family, k) + (direct ? 0 : family === 'mve' ? 2 * k : k) };
  }
  if (g.groups === g.inC && g.outC === g.inC) return { kind: 'depthwise', direct: false, scratch: 0 };
  return undefined;
}

/** The fast conv of a layer: declarations through ctx, returns the call, or undefined (keep the portable kernel). */
export function emitFastConv(ctx: EmitContext, g: ConvGeometry, w: WeightQuant, bias: Int32Array, p: OutputParams, describe: string): string | undefined {
  const family = fastFamily(ctx.target);
  const kind = fastConvKind(family, g, w, p.inputOffset);
  if (!family || !kind) return undefined;
  const { prefix, node } = ctx;
  const geom: CField[] = [
    ['batches', g.batches],
    ['in_h', g.inH],
    ['in_w', g.inW],
  ];
  const inPtr = ctx.ptr(node.inputs[0]!);
  const outPtr = ctx.ptr(node.outputs[0]!);
  if (kind.kind === 'winograd') {
    const u = winogradWeights(g, w, p.inputOffset)!;
    const wName = ctx.constArray('wu', 'int16_t', u);
    const b = ctx.constArray('bias', 'int32_t', Int32Array.from({ length: g.outC }, (_, c) => bias[c] ?? 0));
    const gemm: CField[] = [
      ['k', g.inC],
      ['n', g.outC],
      ['w', wName, "U' = (2G) g (2G)^T per position, DSP gemm layout"],
      ['bias', b, 'the plain bias (the input offset is inside V)'],
      ['cw', 'NULL'],
      ...outputStep(ctx, 'dsp', p, g.outC, false),
    ];
    ctx.declare(
      cStruct('qt_wino_fast_t', `${prefix}_fp`, [
        ...geom,
        ['in_c', g.inC],
        ['out_h', g.outH],
        ['out_w', g.outW],
        ['pad_top', g.padTop],
        ['pad_left', g.padLeft],
        ['input_offset', p.inputOffset],
        ['g', gemmInitializer(gemm).replace(/\n/g, '\n  ')],
      ]),
    );
    const run = specialised(ctx, `qt_wino_spec_dsp(&${prefix}_fp, in, out, scratch)`, 'const int8_t *in, int8_t *out, int8_t *scratch');
    return `${run}(${inPtr}, ${outPtr}, qt_scratch); /* ${describe}, Winograd F(2x2, 3x3) */`;
  }
  if (kind.kind === 'gemm') {
    const gemm = emitFastGemm(ctx, family, w, bias, g.outC, p);
    if (!gemm) return undefined;
    ctx.declare(
      cStruct('qt_conv_fast_t', `${prefix}_fp`, [
        ...geom,
        ['in_c', g.inC],
        ['out_h', g.outH],
        ['out_w', g.outW],
        ['k_h', g.kH],
        ['k_w', g.kW],
        ['stride_h', g.strideH],
        ['stride_w', g.strideW],
        ['dil_h', g.dilH],
        ['dil_w', g.dilW],
        ['pad_top', g.padTop],
        ['pad_left', g.padLeft],
        ['pad_value', -p.inputOffset, 'the input zero point'],
        ['direct', kind.direct ? 1 : 0, kind.direct ? '1x1, no padding: reads the input in place' : 'im2col column in qt_scratch'],
        ['g', gemm.replace(/\n/g, '\n  ')],
      ]),
    );
    const run = specialised(ctx, `qt_conv_spec_${family}(&${prefix}_fp, in, out, scratch)`, 'const int8_t *in, int8_t *out, int8_t *scratch');
    return `${run}(${inPtr}, ${outPtr}, ${kind.scratch ? 'qt_scratch' : 'NULL'}); /* ${describe} */`;
  }
  // depthwise, multiplier 1: adjusted weights [tap][c] (from [c][tap]), DSP: each quad of channels as 0, 2, 1, 3
  const adj = adjustedWeights(w);
  const taps = g.kH * g.kW;
  const c = g.inC;
  for (const v of adj) if (v < -32768 || v > 32767) return undefined;
  const cw = (c + 3) & ~3; // whole quads: the kernel loads 4 channels' weights with one LDRD
  const wt = new Int16Array(taps * cw);
  // DSP [quad][tap][4] (a whole quad as 0, 2, 1, 3: SXTB16's lanes), Helium [tap][c rounded up to 4]
  const order = family === 'dsp' ? [0, 2, 1, 3] : [0, 1, 2, 3];
  // DSP, tflite: weights, bias and folded bias doubled where the requantization may take SMMULR (rq2Ok)
  const rq2 = family === 'dsp' && rq2Ok(adj, c, bias, p);
  const scale = rq2 ? 2 : 1;
  for (let t = 0; t < taps; t++)
    for (let ch = 0; ch < c; ch++) {
      const src = ch < (c & ~3) ? (ch & ~3) + order[ch & 3]! : ch;
      wt[family === 'dsp' ? (ch & ~3) * taps + t * 4 + (ch & 3) : t * cw + ch] = scale * adj[src * taps + t]!;
    }
  const wName = ctx.constArray('wf', 'int16_t', wt);
  // Helium's gather path: [c][taps rounded up to 8], zero padded
  let wcName = 'NULL';
  if (family === 'mve') {
    const tp = (taps + 7) & ~7;
    const wc = new Int16Array(c * tp);
    for (let ch = 0; ch < c; ch++) for (let t = 0; t < taps; t++) wc[ch * tp + t] = adj[ch * taps + t]!;
    wcName = ctx.constArray('wc', 'int16_t', wc);
  }
  const b = bias.every((v) => v === 0) ? 'NULL' : ctx.constArray('bias', 'int32_t', bias.map((v) => wrap32(scale * v)));
  // a window inside the input: bias + inputOffset * sum over the taps of adj, mod 2^32
  const fbias = Int32Array.from({ length: c }, (_, ch) => {
    let s = 0;
    for (let t = 0; t < taps; t++) s += adj[ch * taps + t]!;
    return wrap32(scale * wrap32(wrap32(bias[ch] ?? 0) + wrap32(p.inputOffset * s)));
  });
  const fb = ctx.constArray('fbias', 'int32_t', fbias);
  const out = outputStep(ctx, family, p, c, rq2);
  ctx.declare(
    cStruct('qt_dwconv_fast_t', `${prefix}_fp`, [
      ...geom,
      ['c', c],
      ['out_h', g.outH],
      ['out_w', g.outW],
      ['k_h', g.kH],
      ['k_w', g.kW],
      ['stride_h', g.strideH],
      ['stride_w', g.strideW],
      ['dil_h', g.dilH],
      ['dil_w', g.dilW],
      ['pad_top', g.padTop],
      ['pad_left', g.padLeft],
      ['input_offset', p.inputOffset],
      ['w', wName, family === 'dsp' ? 'adjusted [quad][tap][4], whole quads as 0, 2, 1, 3' : 'adjusted [tap][c]'],
      ['wc', wcName, family === 'mve' ? 'adjusted [c][taps rounded up to 8]: the gather path' : 'Helium only'],
      ['bias', b, 'a window crossing the padding'],
      ['fbias', fb, 'a window inside the input: bias + input_offset * sum adj'],
      ...out,
      ['rq2', rq2 ? 1 : 0],
    ]),
  );
  const run = specialised(ctx, `qt_dwconv_spec_${family}(&${prefix}_fp, in, out)`, 'const int8_t *in, int8_t *out');
  return `${run}(${inPtr}, ${outPtr}); /* ${describe} */`;
}
