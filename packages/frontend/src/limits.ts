// Size limits on tensor shapes, checked by both readers where a shape enters the graph (declared in the file or
// inferred from it). qtool compiles for microcontrollers: no real model comes near these, but a damaged or hostile
// file can declare any dimension, and shape inference of windowed ops (pools, conv) does work and allocates in
// proportion to each spatial extent. Checked here, a 2^40 dimension is a coded error instead of an exhausted heap.

/** Largest dimension: about 65 s of 16 kHz audio as one axis. */
export const MAX_DIM = 1 << 20;
/** Most elements in one tensor (256 MiB of float32); the PNG reader uses the same bound for calibration images. */
export const MAX_ELEMENTS = 1 << 26;

/** Why `shape` is too large for qtool, or undefined when it is within the limits. */
export function oversizedShape(shape: readonly number[]): string | undefined {
  const k = shape.findIndex((d) => d > MAX_DIM);
  if (k >= 0) return `dimension ${k} is ${shape[k]}, more than qtool handles (${MAX_DIM})`;
  const n = shape.reduce((a, d) => a * d, 1);
  if (n > MAX_ELEMENTS) return `shape [${shape}] has ${n} elements, more than qtool handles (${MAX_ELEMENTS})`;
  return undefined;
}
