import type { Padding } from './schema.js';

// TFLite padding (tensorflow/lite/kernels/padding.h): the output size follows from the padding mode, and SAME
// pads total = max((out-1)*stride + (k-1)*dilation + 1 - in, 0), the smaller half first (begin = floor(total/2)).

export function effectiveKernel(k: number, dilation: number): number {
  return (k - 1) * dilation + 1;
}

/** Output length along one spatial axis. */
export function tfliteOutputSize(padding: Padding, inSize: number, k: number, stride: number, dilation = 1): number {
  const ek = effectiveKernel(k, dilation);
  return padding === 'SAME' ? Math.ceil(inSize / stride) : Math.max(0, Math.ceil((inSize - ek + 1) / stride));
}

/** [begin, end] padding along one spatial axis. VALID never pads. */
export function tflitePadding(padding: Padding, inSize: number, k: number, stride: number, dilation = 1): [number, number] {
  if (padding === 'VALID') return [0, 0];
  const out = tfliteOutputSize('SAME', inSize, k, stride, dilation);
  const total = Math.max((out - 1) * stride + effectiveKernel(k, dilation) - inSize, 0);
  const begin = Math.floor(total / 2);
  return [begin, total - begin];
}

/** IR `pads` for a 2-D window op on NHWC input: [top, left, bottom, right] (begins then ends). */
export function tflitePads2d(padding: Padding, inH: number, inW: number, kH: number, kW: number, strideH: number, strideW: number, dilH = 1, dilW = 1): number[] {
  const [t, b] = tflitePadding(padding, inH, kH, strideH, dilH);
  const [l, r] = tflitePadding(padding, inW, kW, strideW, dilW);
  return [t, l, b, r];
}
