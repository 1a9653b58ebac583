import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { targets } from '../src/target.js';
import { dspGemmLayout, dspPackedLayout, mveGemmLayout, rq2Records, rqfRecords } from '../src/kernels/mac_fast.js';
import { buildHost, requireCommand, runExe, STRICT, tempDir } from './cc.js';

// The pieces of the fast MAC kernels (runtime/qt_mac_dsp.c, qt_mac_mve.c, helpers in qt_mac.h) that can be held
// apart from whole layers: the shortened requantization against qt_rq (qt_math.h, itself held against @qtool/qmath),
// and the compile-time weight layouts. Whole layers: test/kernels (host twins of the instructions, and the boards).

const RUNTIME = fileURLToPath(new URL('../runtime/', import.meta.url));

describe('qt_rq_fast (qt_mac.h) equals qt_rq', () => {
  it('both modes, every shift, 24.8M cases with the edges (INT32_MIN/MAX, m = 0, m = 2^31 - 1)', { timeout: 120_000 }, () => {
    requireCommand('cc');
    const main = `#define QT_MAC_FAST_IMPL
#include "qt_runtime.h"
#include <stdio.h>
static uint64_t s = 88172645463325252ull;
static uint32_t rnd(void) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return (uint32_t)s; }
int main(void) {
  long bad = 0, n = 0;
  int mode, shift, i;
  for (mode = 0; mode < 2; mode++)
    for (shift = -31; shift <= 30; shift++)
      for (i = 0; i < 200000; i++) {
        int32_t m = (int32_t)((1u << 30) | (rnd() & 0x3fffffffu)), x = (int32_t)rnd(), a, b;
        if (i % 97 == 0) m = 0;
        if (i % 89 == 0) m = 0x7fffffff;
        if (i % 3 == 0) x >>= (rnd() % 31);
        if (i % 101 == 0) x = INT32_MIN;
        if (i % 103 == 0) x = INT32_MAX;
        if (mode == QT_MODE_QTOOL && 31 - shift > 62) continue; /* outside the contract's r in [1, 62] */
        a = qt_rq(mode, x, m, shift);
        b = qt_rq_fast(mode, x, m, shift);
        n++;
        if (a != b && bad++ < 5) printf("mode %d x %d m %d shift %d: qt_rq %d, qt_rq_fast %d\\n", mode, x, m, shift, a, b);
      }
  printf("%ld %ld\\n", n, bad);
  return 0;
}
`;
    const exe = buildHost(tempDir('rq-fast'), { 'main.c': main }, 'main.c', [RUNTIME]);
    const out = runExe(exe, new Uint8Array()).toString().trim().split('\n');
    const [n, bad] = out.at(-1)!.split(' ').map(Number);
    expect(out.slice(0, -1)).toEqual([]);
    expect(bad).toBe(0);
    expect(n).toBeGreaterThan(24_000_000);
  });
});

describe('prepared multipliers (qt_rqf_t, rqfRecords) through qt_out equal qt_rq', () => {
  it('both modes, every shift, random multipliers, 2^20 accumulators each incl. the edges', { timeout: 120_000 }, () => {
    requireCommand('cc');
    let seed = 7;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0), seed);
    const cases: { mode: 'qtool' | 'tflite'; m: number; shift: number }[] = [];
    for (const mode of ['qtool', 'tflite'] as const)
      for (let shift = -31; shift <= 30; shift++)
        for (const m of [0, 2 ** 30, 2 ** 31 - 1, 2 ** 30 + (rnd() % 2 ** 30), 2 ** 30 + (rnd() % 2 ** 30)])
          if (!(mode === 'qtool' && 31 - shift > 62)) cases.push({ mode, m, shift });
    const records = cases.map((c) => rqfRecords([{ multiplier: c.m, shift: c.shift }], c.mode)[0]);
    const main = `#define QT_MAC_FAST_IMPL
#include "qt_runtime.h"
#include <stdio.h>
static const qt_rqf_t rqf[${cases.length}] = { ${records.join(', ')} };
static const int32_t modes[${cases.length}] = { ${cases.map((c) => (c.mode === 'tflite' ? 1 : 0)).join(', ')} };
static uint64_t s = 88172645463325252ull;
static uint32_t rnd(void) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return (uint32_t)s; }
int main(void) {
  long bad = 0, n = 0, fast = 0;
  int c, i;
  for (c = 0; c < ${cases.length}; c++) {
    const qt_requant_t rq = { rqf[c].m, rqf[c].shift };
    qt_out_t o;
    o.rq = &rq; o.rqf = &rqf[c]; o.per_channel = 0; o.mode = modes[c]; o.offset = 0; o.lo = -128; o.hi = 127; o.full = 0;
    o.fast = rqf[c].sh >= 0; /* as a layer whose every multiplier is prepared (rqf_fast) */
    o.rq2 = 0;
    if (rqf[c].sh >= 0) fast++;
    for (i = 0; i < (1 << 20); i++) {
      int32_t x = (int32_t)rnd(), want, got;
      if (i % 3 == 0) x >>= (rnd() % 31);
      if (i < 4) x = i == 0 ? INT32_MIN : i == 1 ? INT32_MAX : i == 2 ? 0 : -1;
      want = qt_clamp(qt_sat32((int64_t)qt_rq(modes[c], x, rq.multiplier, rq.shift)), -128, 127);
      got = qt_out(x, &o, 0);
      n++;
      if (want != got && bad++ < 5) printf("mode %d m %d shift %d x %d: qt_rq %d, qt_out %d\\n", modes[c], rq.multiplier, rq.shift, x, want, got);
    }
  }
  printf("%ld %ld %ld\\n", n, bad, fast);
  return 0;
}
`;
    const exe = buildHost(tempDir('rqf'), { 'main.c': main }, 'main.c', [RUNTIME]);
    const out = runExe(exe, new Uint8Array()).toString().trim().split('\n');
    const [n, bad, fast] = out.at(-1)!.split(' ').map(Number);
    expect(out.slice(0, -1)).toEqual([]);
    expect(bad).toBe(0);
    expect(n).toBe(cases.length * 2 ** 20);
    // the prepared path takes every negative shift (the usual case: M < 1/2), qt_rq the others
    expect(fast).toBe(cases.filter((c) => c.shift < 0).length);
  });

  it('rq2: on the doubled accumulator (SMMULR, then rdivpot), tflite, every shift < 0, |acc| < 2^30 incl. the edges', { timeout: 120_000 }, () => {
    requireCommand('cc');
    let seed = 11;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0), seed);
    const cases: { m: number; shift: number }[] = [];
    for (let shift = -31; shift <= -1; shift++)
      for (const m of [0, 2 ** 30, 2 ** 31 - 1, 2 ** 30 + (rnd() % 2 ** 30), 2 ** 30 + (rnd() % 2 ** 30)]) cases.push({ m, shift });
    const main = `#define QT_MAC_FAST_IMPL
#include "qt_runtime.h"
#include <stdio.h>
static const qt_rqf_t rqf[${cases.length}] = { ${rq2Records(cases.map((c) => ({ multiplier: c.m, shift: c.shift }))).join(', ')} };
static uint64_t s = 88172645463325252ull;
static uint32_t rnd(void) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return (uint32_t)s; }
int main(void) {
  long bad = 0, n = 0;
  int c, i;
  for (c = 0; c < ${cases.length}; c++) {
    qt_out_t o;
    o.rq = NULL; o.rqf = &rqf[c]; o.per_channel = 0; o.mode = QT_MODE_TFLITE; o.offset = 0; o.lo = -128; o.hi = 127;
    o.full = 0; o.fast = 1; o.rq2 = 1;
    for (i = 0; i < (1 << 20); i++) {
      int32_t x = (int32_t)rnd() >> 2, want, got; /* |x| < 2^30 */
      if (i % 3 == 0) x >>= (rnd() % 31);
      if (i < 4) x = i == 0 ? -(1 << 30) + 1 : i == 1 ? (1 << 30) - 1 : i == 2 ? 0 : -1;
      want = qt_clamp(qt_rq(QT_MODE_TFLITE, x, rqf[c].m, rqf[c].shift), -128, 127);
      got = qt_out(2 * x, &o, 0);
      n++;
      if (want != got && bad++ < 5) printf("m %d shift %d x %d: qt_rq %d, qt_out %d\\n", rqf[c].m, rqf[c].shift, x, want, got);
    }
  }
  printf("%ld %ld\\n", n, bad);
  return 0;
}
`;
    const exe = buildHost(tempDir('rq2'), { 'main.c': main }, 'main.c', [RUNTIME]);
    const out = runExe(exe, new Uint8Array()).toString().trim().split('\n');
    const [n, bad] = out.at(-1)!.split(' ').map(Number);
    expect(out.slice(0, -1)).toEqual([]);
    expect(bad).toBe(0);
    expect(n).toBe(cases.length * 2 ** 20);
  });
});

describe('fast weight layouts', () => {
  it('DSP: blocks of 4 channels then 1, taps (0, 2) (1, 3) per channel, tails padded to an even count', () => {
    // 5 channels x 6 taps: value = 10 * channel + tap
    const adj = Int32Array.from({ length: 30 }, (_, i) => 10 * Math.floor(i / 6) + (i % 6));
    const l = Array.from(dspGemmLayout(adj, 5, 6)!);
    // block of channels 0..3: one group of 4 taps, then taps 4, 5 [tap][channel]
    expect(l.slice(0, 16)).toEqual([0, 2, 1, 3, 10, 12, 11, 13, 20, 22, 21, 23, 30, 32, 31, 33]);
    expect(l.slice(16, 24)).toEqual([4, 14, 24, 34, 5, 15, 25, 35]);
    // channel 4 alone: its group, then its 2 tail taps (already even)
    expect(l.slice(24)).toEqual([40, 42, 41, 43, 44, 45]);
    expect(dspGemmLayout(Int32Array.of(40000), 1, 1)).toBeUndefined();
    // an odd tail gets its padding zero
    expect(Array.from(dspGemmLayout(Int32Array.of(1, 2, 3, 4, 5), 1, 5)!)).toEqual([1, 3, 2, 4, 5, 0]);
  });

  it('DSP packed: 8 nibbles a word where (word >> 4j) & 0x000F000F pairs as the widened column, tail adjusted', () => {
    // 1 channel x 10 taps, 4-bit, min-anchored, offset -3: q = tap + 1 (taps 0..7 packed, taps 8, 9 adjusted)
    const w = { bits: 4, signed: false, anchor: 'min' as const, axis: 0, scale: [1], offset: [-3], shape: [1, 10], q: Int16Array.from({ length: 10 }, (_, t) => t + 1) };
    const l = dspPackedLayout(w, 1, 10)!;
    const word = ((l.words[0]! & 0xffff) | ((l.words[1]! & 0xffff) << 16)) >>> 0;
    // the widened column's words: (x0, x2) (x1, x3) (x4, x6) (x5, x7)
    const pairs = [0, 1, 2, 3].map((j) => [(word >>> (4 * j)) & 0xf, (word >>> (16 + 4 * j)) & 0xf]);
    expect(pairs).toEqual([[1, 3], [2, 4], [5, 7], [6, 8]]);
    expect(Array.from(l.words.slice(2))).toEqual([9 - 3, 10 - 3]); // adj = q + o of taps 8, 9 (q = 9, 10; an even count)
    expect(Array.from(l.o)).toEqual([-3]);
    expect(l.sign).toBe(1);
    expect(dspPackedLayout({ ...w, anchor: 'max' }, 1, 10)!.sign).toBe(-1);
    // a tail weight outside int16 (a far offset): no packed layout
    expect(dspPackedLayout({ ...w, offset: [40000] }, 1, 10)).toBeUndefined();
  });

  it('MVE: int8 weights, a per-channel offset only where a channel leaves int8', () => {
    const l = mveGemmLayout(Int32Array.of(-3, 100, 0, 200, 300, 455), 2, 3)!;
    // channel 1 spans [200, 455]: cw = 200 + 128, so its weights run from -128 up
    expect(Array.from(l.cw)).toEqual([0, 328]);
    // fewer than 4 channels: each channel's chunk of 16 in a row, zero padded
    const pad = (v: number[]) => [...v, ...new Array(16 - v.length).fill(0)];
    expect(Array.from(l.w)).toEqual([...pad([-3, 100, 0]), ...pad([-128, -28, 127])]);
    // 5 channels x 20 taps, value = channel * 20 + tap - 50: per chunk of 16 the block's 4 channels in turn
    const adj = Int32Array.from({ length: 100 }, (_, i) => i - 50);
    const m = Array.from(mveGemmLayout(adj, 5, 20)!.w);
    expect(m.length).toBe(5 * 32);
    for (let ch = 0; ch < 4; ch++) {
      expect(m.slice(ch * 16, ch * 16 + 16)).toEqual(Array.from({ length: 16 }, (_, t) => ch * 20 + t - 50));
      expect(m.slice(64 + ch * 16, 64 + ch * 16 + 16)).toEqual(pad(Array.from({ length: 4 }, (_, t) => ch * 20 + 16 + t - 50)));
    }
    expect(m.slice(128)).toEqual([...Array.from({ length: 20 }, (_, t) => 80 + t - 50), ...new Array(12).fill(0)]);
    expect(mveGemmLayout(Int32Array.of(0, 256), 1, 2)).toBeUndefined();
  });
});

describe('fast kernel files build for their Cortex-M targets with -Werror', () => {
  it('qt_mac_dsp.c for cortex-m4 and m55, qt_mac_mve.c for cortex-m55, both for the host', { timeout: 120_000 }, () => {
    requireCommand('arm-none-eabi-gcc');
    const dir = tempDir('mac-fast-arm');
    const builds: [string, string[], string][] = [
      ['arm-none-eabi-gcc', targets['cortex-m4'].cpuFlags, 'qt_mac_dsp.c'],
      ['arm-none-eabi-gcc', targets['cortex-m55'].cpuFlags, 'qt_mac_dsp.c'],
      ['arm-none-eabi-gcc', targets['cortex-m55'].cpuFlags, 'qt_mac_mve.c'],
      ['cc', [], 'qt_mac_dsp.c'],
      ['cc', [], 'qt_mac_mve.c'],
    ];
    for (const [cc, flags, file] of builds)
      expect(() =>
        execFileSync(cc, [...STRICT, ...flags, '-ffreestanding', `-I${RUNTIME}`, '-c', join(RUNTIME, file), '-o', join(dir, 'x.o')], { stdio: ['ignore', 'pipe', 'pipe'] }),
      ).not.toThrow();
  });
});
