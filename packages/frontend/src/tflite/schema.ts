import type { FbFile, FbTable } from './fb.js';

// Hand-written accessors for the parts of the TFLite schema qtool reads
// (../shared/corpus/tflite-schema/schema.fbs). Slot numbers are each field's position in its table; a union
// field takes two slots (its `_type` byte, then the value), as flatc lays them out.

export interface TfliteModel {
  version: number;
  description?: string;
  operatorCodes: TfliteOperatorCode[];
  subgraphs: FbTable[];
  buffers: FbTable[];
}

export interface TfliteOperatorCode {
  /** max(deprecated_builtin_code, builtin_code): see the comment on OperatorCode in schema.fbs. */
  builtin: number;
  custom?: string;
  version: number;
}

export function readModel(fb: FbFile): TfliteModel {
  const m = fb.root('TFL3', 'model');
  return {
    version: m.uint32(0, 'version'),
    operatorCodes: m.tables(1, 'operator_codes').map(readOperatorCode),
    subgraphs: m.tables(2, 'subgraphs'),
    description: m.string(3, 'description'),
    buffers: m.tables(4, 'buffers'),
  };
}

function readOperatorCode(t: FbTable): TfliteOperatorCode {
  // Old files carry only the byte field; new files write 127 (PLACEHOLDER_FOR_GREATER_OP_CODES) there for
  // codes above 127. Either way the larger of the two is the operator.
  const deprecated = t.int8(0, 'deprecated_builtin_code');
  const builtin = t.int32(3, 'builtin_code');
  return { builtin: Math.max(deprecated, builtin), custom: t.string(1, 'custom_code'), version: t.int32(2, 'version', 1) };
}

export interface TfliteSubgraph {
  tensors: FbTable[];
  inputs: number[];
  outputs: number[];
  operators: FbTable[];
  name?: string;
}

export function readSubgraph(t: FbTable): TfliteSubgraph {
  return {
    tensors: t.tables(0, 'tensors'),
    inputs: t.int32s(1, 'inputs') ?? [],
    outputs: t.int32s(2, 'outputs') ?? [],
    operators: t.tables(3, 'operators'),
    name: t.string(4, 'name'),
  };
}

/** Buffer: inline data, or (models over 2 GB) `offset`/`size` from the start of the file, valid when offset > 1. */
export interface TfliteBuffer {
  data?: Uint8Array;
  offset: number;
  size: number;
}

export function readBuffer(t: FbTable): TfliteBuffer {
  return { data: t.bytes(0, 'data'), offset: t.uint64(1, 'offset'), size: t.uint64(2, 'size') };
}

export interface TfliteQuant {
  scale?: number[];
  zeroPoint?: number[];
  /** QuantizationDetails union type; 0 = NONE. */
  detailsType: number;
  quantizedDimension: number;
}

export interface TfliteTensor {
  shape: number[];
  type: number;
  buffer: number;
  name?: string;
  quantization?: TfliteQuant;
  isVariable: boolean;
  hasSparsity: boolean;
  externalBuffer: number;
}

export function readTensor(t: FbTable): TfliteTensor {
  const q = t.table(4, 'quantization');
  return {
    shape: t.int32s(0, 'shape') ?? [],
    type: t.int8(1, 'type'),
    buffer: t.uint32(2, 'buffer'),
    name: t.string(3, 'name'),
    quantization: q && {
      scale: q.float32s(2, 'scale'),
      zeroPoint: q.int64s(3, 'zero_point'),
      detailsType: q.uint8(4, 'details_type'),
      quantizedDimension: q.int32(6, 'quantized_dimension'),
    },
    isVariable: t.bool(5, 'is_variable'),
    hasSparsity: t.has(6),
    externalBuffer: t.uint32(10, 'external_buffer'),
  };
}

export interface TfliteOperator {
  opcodeIndex: number;
  inputs: number[];
  outputs: number[];
  /** BuiltinOptions union type (0 = NONE) and table. */
  optionsType: number;
  options?: FbTable;
  hasCustomOptions: boolean;
  hasOptions2: boolean;
}

export function readOperator(t: FbTable): TfliteOperator {
  return {
    opcodeIndex: t.uint32(0, 'opcode_index'),
    inputs: t.int32s(1, 'inputs') ?? [],
    outputs: t.int32s(2, 'outputs') ?? [],
    optionsType: t.uint8(3, 'builtin_options_type'),
    options: t.table(4, 'builtin_options'),
    hasCustomOptions: t.has(5),
    hasOptions2: t.uint8(11, 'builtin_options_2_type') !== 0,
  };
}

// TensorType enum values (schema.fbs).
export const TensorType = {
  FLOAT32: 0, FLOAT16: 1, INT32: 2, UINT8: 3, INT64: 4, STRING: 5, BOOL: 6, INT16: 7, COMPLEX64: 8, INT8: 9,
  FLOAT64: 10, COMPLEX128: 11, UINT64: 12, RESOURCE: 13, VARIANT: 14, UINT32: 15, UINT16: 16, INT4: 17,
  BFLOAT16: 18, INT2: 19, UINT4: 20, FLOAT8_E4M3FN: 21, FLOAT8_E5M2: 22,
} as const;

export function tensorTypeName(code: number): string {
  return Object.entries(TensorType).find(([, v]) => v === code)?.[0] ?? `type ${code}`;
}

// BuiltinOptions union member indices (position in `union BuiltinOptions`, NONE = 0).
export const OptionsType = {
  Conv2DOptions: 1,
  DepthwiseConv2DOptions: 2,
  Pool2DOptions: 5,
  FullyConnectedOptions: 8,
  SoftmaxOptions: 9,
  ConcatenationOptions: 10,
  AddOptions: 11,
  ReshapeOptions: 17,
  MulOptions: 21,
  PadOptions: 22,
  TransposeOptions: 26,
  ReducerOptions: 27,
  SubOptions: 28,
  DivOptions: 29,
  SqueezeOptions: 30,
  DequantizeOptions: 38,
  PadV2Options: 43,
  QuantizeOptions: 89,
  HardSwishOptions: 91,
  LeakyReluOptions: 75,
} as const;

export type Padding = 'SAME' | 'VALID';

/** ActivationFunctionType: NONE, RELU, RELU_N1_TO_1, RELU6, TANH, SIGN_BIT. */
export const activationNames = ['NONE', 'RELU', 'RELU_N1_TO_1', 'RELU6', 'TANH', 'SIGN_BIT'] as const;

function padding(t: FbTable | undefined, slot: number): Padding | number {
  const p = t?.int8(slot, 'padding') ?? 0;
  return p === 0 ? 'SAME' : p === 1 ? 'VALID' : p;
}

export interface Conv2DOptions { padding: Padding | number; strideW: number; strideH: number; activation: number; dilationW: number; dilationH: number }

export function conv2DOptions(t: FbTable | undefined): Conv2DOptions {
  return {
    padding: padding(t, 0),
    strideW: t?.int32(1, 'stride_w') ?? 0,
    strideH: t?.int32(2, 'stride_h') ?? 0,
    activation: t?.int8(3, 'fused_activation_function') ?? 0,
    dilationW: t?.int32(4, 'dilation_w_factor', 1) ?? 1,
    dilationH: t?.int32(5, 'dilation_h_factor', 1) ?? 1,
  };
}

export function depthwiseConv2DOptions(t: FbTable | undefined): Conv2DOptions & { depthMultiplier: number } {
  return {
    padding: padding(t, 0),
    strideW: t?.int32(1, 'stride_w') ?? 0,
    strideH: t?.int32(2, 'stride_h') ?? 0,
    depthMultiplier: t?.int32(3, 'depth_multiplier') ?? 0,
    activation: t?.int8(4, 'fused_activation_function') ?? 0,
    dilationW: t?.int32(5, 'dilation_w_factor', 1) ?? 1,
    dilationH: t?.int32(6, 'dilation_h_factor', 1) ?? 1,
  };
}

export interface Pool2DOptions { padding: Padding | number; strideW: number; strideH: number; filterW: number; filterH: number; activation: number }

export function pool2DOptions(t: FbTable | undefined): Pool2DOptions {
  return {
    padding: padding(t, 0),
    strideW: t?.int32(1, 'stride_w') ?? 0,
    strideH: t?.int32(2, 'stride_h') ?? 0,
    filterW: t?.int32(3, 'filter_width') ?? 0,
    filterH: t?.int32(4, 'filter_height') ?? 0,
    activation: t?.int8(5, 'fused_activation_function') ?? 0,
  };
}

export function fullyConnectedOptions(t: FbTable | undefined): { activation: number; weightsFormat: number; keepNumDims: boolean } {
  return {
    activation: t?.int8(0, 'fused_activation_function') ?? 0,
    weightsFormat: t?.int8(1, 'weights_format') ?? 0,
    keepNumDims: t?.bool(2, 'keep_num_dims') ?? false,
  };
}

/** Options tables whose field 0 is fused_activation_function: AddOptions, SubOptions, MulOptions, DivOptions. */
export function activationOption(t: FbTable | undefined): number {
  return t?.int8(0, 'fused_activation_function') ?? 0;
}

export function softmaxBeta(t: FbTable | undefined): number {
  return t?.float32(0, 'beta') ?? 0;
}

export function concatenationOptions(t: FbTable | undefined): { axis: number; activation: number } {
  return { axis: t?.int32(0, 'axis') ?? 0, activation: t?.int8(1, 'fused_activation_function') ?? 0 };
}

export function reshapeNewShape(t: FbTable | undefined): number[] | undefined {
  return t?.int32s(0, 'new_shape');
}

export function reducerKeepDims(t: FbTable | undefined): boolean {
  return t?.bool(0, 'keep_dims') ?? false;
}

export function leakyReluAlpha(t: FbTable | undefined): number {
  return t?.float32(0, 'alpha') ?? 0;
}

export function squeezeDims(t: FbTable | undefined): number[] {
  return t?.int32s(0, 'squeeze_dims') ?? [];
}
