import { allocate, type DType, type TypedArray } from './dtype.js';

/** A concrete tensor value: row-major (C order) data of `shape`. */
export interface Tensor {
  dtype: DType;
  shape: number[];
  data: TypedArray;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides in elements. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** A tensor of `shape`, zero-filled or wrapping `data` (which must hold numel(shape) elements). */
export function makeTensor(dtype: DType, shape: readonly number[], data?: TypedArray | ArrayLike<number>): Tensor {
  const n = numel(shape);
  let arr: TypedArray;
  if (data === undefined) arr = allocate(dtype, n);
  else if (ArrayBuffer.isView(data) && (data as TypedArray).length === n && sameKind(dtype, data as TypedArray)) arr = data as TypedArray;
  else {
    arr = allocate(dtype, n);
    if (arr instanceof BigInt64Array) for (let i = 0; i < n; i++) arr[i] = BigInt(Math.trunc(Number((data as ArrayLike<number>)[i])));
    else (arr as Exclude<TypedArray, BigInt64Array>).set(Array.from(data as ArrayLike<number>, Number));
  }
  if (arr.length !== n) throw new RangeError(`tensor data holds ${arr.length} elements, shape [${shape.join(',')}] needs ${n}`);
  return { dtype, shape: [...shape], data: arr };
}

function sameKind(dtype: DType, a: TypedArray): boolean {
  return allocate(dtype, 0).constructor === a.constructor;
}

/** Element i as a JS number (int64 converted; exact up to 2^53). */
export function at(t: Tensor, i: number): number {
  return Number(t.data[i]);
}

/** The data as numbers (copies). */
export function toNumbers(t: Tensor): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
