import type { ImportContext, OnnxNode } from './context.js';
import { binary, clip, identity, prelu, unary } from './ops-elementwise.js';
import { gemm, matMul } from './ops-linear.js';
import { dequantizeLinear, quantizeLinear } from './ops-quant.js';
import { concat, flatten, pad, reduceMean, reshape, softmax, squeeze, transpose, unsqueeze } from './ops-shape.js';
import { averagePool, batchNormalization, conv, globalAveragePool, maxPool } from './ops-spatial.js';
import { constant } from './ops-constant.js';

/** Maps one ONNX node (default domain) to IR nodes, constants or aliases in the import context. */
export type ImportFn = (ctx: ImportContext, n: OnnxNode) => void;

/** ONNX op type -> import function. The claimed op set is exactly this table's keys. */
export const onnxOps: Readonly<Record<string, ImportFn>> = {
  Add: binary('add'),
  Sub: binary('sub'),
  Mul: binary('mul'),
  Div: binary('div'),
  PRelu: prelu,
  Relu: unary('relu'),
  Sigmoid: unary('sigmoid'),
  Tanh: unary('tanh'),
  HardSwish: unary('hard_swish'),
  LeakyRelu: unary('leaky_relu', ['alpha'], (ctx, n) => ({ alpha: ctx.float(n, 'alpha', 0.01) })),
  HardSigmoid: unary('hard_sigmoid', ['alpha', 'beta'], (ctx, n) => ({ alpha: ctx.float(n, 'alpha', 0.2), beta: ctx.float(n, 'beta', 0.5) })),
  Clip: clip,
  Identity: identity,
  Constant: constant,
  Conv: conv,
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalAveragePool: globalAveragePool,
  BatchNormalization: batchNormalization,
  Gemm: gemm,
  MatMul: matMul,
  Reshape: reshape,
  Flatten: flatten,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Transpose: transpose,
  Concat: concat,
  Pad: pad,
  Softmax: softmax,
  ReduceMean: reduceMean,
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
};

/** The ONNX op types the reader claims (default domain). */
export const onnxOpTypes: ReadonlySet<string> = new Set(Object.keys(onnxOps));
