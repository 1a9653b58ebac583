import { describe, expect, it } from 'vitest';
import { divRound, mulByQuantizedMultiplierTflite, requant, roundingDivideByPOT, srdhm } from '@qtool/qmath';
import { runtimeDir } from '../src/emit.js';
import { buildHost, requireCommand, runExe, tempDir } from './cc.js';

// The C twins in qt_math.h against @qtool/qmath (itself held against BigInt definitions): the same
// arguments through both, results compared exactly. Random cases cover the full argument ranges.

const program = `#include <stdio.h>
#include "qt_math.h"
int main(void) {
  int32_t a[4];
  while (fread(a, sizeof a, 1, stdin) == 1) {
    int32_t r;
    switch (a[0]) {
      case 0: r = qt_requant(a[1], a[2], a[3]); break;
      case 1: r = qt_mul_tfl(a[1], a[2], a[3]); break;
      case 2: r = qt_srdhm(a[1], a[2]); break;
      case 3: r = qt_rdivpot(a[1], a[3]); break;
      default: r = qt_div_round(a[1], a[2]); break;
    }
    fwrite(&r, sizeof r, 1, stdout);
  }
  return 0;
}
`;

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('qt_math.h equals @qtool/qmath', () => {
  it('on 1.5M random cases of every primitive', () => {
    requireCommand('cc');
    const dir = tempDir('qtmath');
    const exe = buildHost(dir, { 'main.c': program }, 'main.c', [runtimeDir]);
    const r = rng(7);
    const n = 1_500_000;
    const args = new Int32Array(n * 4);
    const expected = new Int32Array(n);
    const i32 = () => (Math.floor(r() * 2 ** 32) - 2 ** 31) | 0;
    for (let k = 0; k < n; k++) {
      const f = k % 5;
      let x = i32();
      let m = 2 ** 30 + Math.floor(r() * 2 ** 30);
      let s = 0;
      if (f === 0) {
        s = 30 - Math.floor(r() * 62);
        expected[k] = requant(x, m, s);
      } else if (f === 1) {
        s = -Math.floor(r() * 31);
        if (r() < 0.2) {
          s = Math.floor(r() * 8);
          x = Math.floor(r() * 2 ** 16) - 2 ** 15; // keep x << s in int32 as TFLite requires
        }
        expected[k] = mulByQuantizedMultiplierTflite(x, m, s);
      } else if (f === 2) {
        m = i32();
        expected[k] = srdhm(x, m);
      } else if (f === 3) {
        s = Math.floor(r() * 32);
        expected[k] = roundingDivideByPOT(x, s);
      } else {
        x = Math.floor(r() * 2 ** 24) - 2 ** 23;
        m = 1 + Math.floor(r() * 4096);
        expected[k] = divRound(x, m);
      }
      args.set([f, x, m, s], k * 4);
    }
    const out = runExe(exe, new Uint8Array(args.buffer));
    const got = new Int32Array(out.buffer, out.byteOffset, out.byteLength / 4);
    expect(got.length).toBe(n);
    let bad = 0;
    let first = -1;
    for (let k = 0; k < n; k++)
      if (got[k] !== expected[k]) {
        bad++;
        if (first < 0) first = k;
      }
    expect({ bad, first: first < 0 ? null : Array.from(args.subarray(first * 4, first * 4 + 4)) }).toEqual({ bad: 0, first: null });
  });
});
