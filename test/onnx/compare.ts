import type { Tensor } from '@qtool/ir';

const RTOL = 1e-4;
const ATOL = 1e-5;

/** Why `got` differs from the reference `want` (shapes exact, integers exact, floats within rtol 1e-4 / atol 1e-5), or undefined. */
export function compareTensors(got: Tensor, want: Tensor): string | undefined {
  if (got.shape.length !== want.shape.length || got.shape.some((d, i) => d !== want.shape[i])) return `shape [${got.shape}] != [${want.shape}]`;
  const exact = !(want.dtype === 'float32' || want.dtype === 'float64');
  if (exact && got.dtype !== want.dtype) return `dtype ${got.dtype} != ${want.dtype}`;
  for (let i = 0; i < want.data.length; i++) {
    const g = Number(got.data[i]);
    const w = Number(want.data[i]);
    if (exact ? g !== w : !(Math.abs(g - w) <= ATOL + RTOL * Math.abs(w) || (Number.isNaN(g) && Number.isNaN(w)) || g === w))
      return `element ${i}: got ${g}, want ${w}`;
  }
  return undefined;
}

