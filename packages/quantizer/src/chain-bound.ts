import { adjustedWeights, type ChainStage, type ConvParams } from '@qtool/ops';
import { INT32_MAX } from '@qtool/qmath';

// The accumulator-bound analysis of a chain (docs/arithmetic.md, "Chains"): a guaranteed bound on every partial
// sum of every MAC stage, for every input in [xLo, xHi] (x' = x + inputOffset of the chain's int8 input).
//
// It walks the stages with one value interval [lo[c], hi[c]] per channel c of the current values:
// - the input: one interval [xLo, xHi] for every element;
// - a MAC stage, output channel o, reading element e with adjusted weight a through input channel ch(e):
//     partial-sum bound  B[o] = |bias[o]| + sum_e |a| * max(|lo[ch]|, |hi[ch]|)   (any order, any subset of taps)
//     value interval     [bias + sum_e min(a*lo, a*hi), bias + sum_e max(a*lo, a*hi)]
//   (for a conv with padding 0 joins each term's range: a padded tap adds nothing), then the stage's clamp
//   (fused ReLU/ReLU6 at its scale);
// - max_pool and reshape keep the intervals (the max of in-bounds cells; the same values); the channel of an
//   element is its index along the last axis modulo the channel count of the last MAC (the quantizer forms
//   chains only where the last axis is a multiple of it).
// The chain fits when max_o B[o] <= 2^31 - 1 for every stage; then no partial sum of any stage, in any
// summation order a kernel may choose, can overflow int32.

export interface ChainProof {
  fits: boolean;
  /** max over the stages of max_o B[o] */
  bound: number;
  /** the bound of each MAC stage, in stage order */
  perStage: number[];
  /** the stage index holding the largest bound */
  worstStage: number;
}

export function chainBound(stages: readonly ChainStage[], xLo: number, xHi: number): ChainProof {
  let lo: number[] = [xLo];
  let hi: number[] = [xHi];
  const perStage: number[] = [];
  let bound = 0;
  let worstStage = -1;
  stages.forEach((s, si) => {
    const channels = lo.length;
    if (s.kind === 'max_pool') return;
    if (s.kind === 'reshape') {
      const last = s.outShape[s.outShape.length - 1]!;
      if (last % channels !== 0) throw new RangeError(`chain stage ${si}: reshape to [${s.outShape}] mixes ${channels} channels`);
      return;
    }
    const w = s.mac.weights;
    const adj = adjustedWeights(w);
    const cout = w.shape[0]!;
    const per = adj.length / cout;
    const conv = s.kind === 'conv';
    const groups = conv ? (s.mac as ConvParams).groups : 1;
    const cinG = conv ? w.shape[w.shape.length - 1]! : per;
    const coutG = cout / groups;
    const padded = conv && (s.mac as ConvParams).pads.some((v) => v > 0);
    const zero = padded ? 0 : Infinity;
    if ((cinG * groups) % channels !== 0) throw new RangeError(`chain stage ${si}: ${cinG * groups} input channels for ${channels} accumulator channels`);
    const nlo = new Array<number>(cout);
    const nhi = new Array<number>(cout);
    let stageBound = 0;
    for (let o = 0; o < cout; o++) {
      const bias = s.mac.bias[o]!;
      let b = Math.abs(bias);
      let vlo = bias;
      let vhi = bias;
      const base = Math.floor(o / coutG) * cinG;
      for (let e = 0; e < per; e++) {
        const a = adj[o * per + e]!;
        if (a === 0) continue;
        const ch = (base + (conv ? e % cinG : e)) % channels;
        const l = a * lo[ch]!;
        const h = a * hi[ch]!;
        b += Math.abs(a) * Math.max(Math.abs(lo[ch]!), Math.abs(hi[ch]!));
        vlo += Math.min(l, h, zero);
        vhi += Math.max(l, h, -zero);
      }
      if (b > stageBound) stageBound = b;
      // the clamp of an intermediate stage (absent for the last one, which requantizes)
      const cl = (v: number) => Math.min(Math.max(v, s.actLo ? s.actLo[o]! : -Infinity), s.actHi ? s.actHi[o]! : Infinity);
      nlo[o] = cl(vlo);
      nhi[o] = cl(vhi);
    }
    perStage.push(stageBound);
    if (stageBound > bound || worstStage < 0) {
      bound = Math.max(bound, stageBound);
      worstStage = si;
    }
    lo = nlo;
    hi = nhi;
  });
  return { fits: bound <= INT32_MAX, bound, perStage, worstStage };
}
