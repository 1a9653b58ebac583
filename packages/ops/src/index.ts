export * from './op.js';
export * from './util.js';
export * from './registry.js';
export * from './infer.js';
export * from './quant.js';
// Integer parameters of the MAC ops (node.params), read by the integer simulator and the C emitter.
export type { MacParams } from './ops/mac_int.js';
export type { ConvParams } from './ops/conv.js';
export type { FullyConnectedParams } from './ops/fully_connected.js';
export type { MatmulParams } from './ops/matmul.js';
export type { MacChainParams, ChainStage, ChainMacStage, ChainPoolStage, ChainReshapeStage } from './ops/mac_chain.js';
export { stageMacs } from './ops/mac_chain.js';
// Integer parameters of the non-MAC ops, read by the integer simulator and the C emitter (and meanFold, the
// integer 1/count fold the mean emitter applies to the static count).
export type { AddParams, MulParams } from './ops/int_binary.js';
export type { RequantParams } from './ops/int_common.js';
export type { LutParams } from './ops/int_lut.js';
export type { MoveParams, ConcatParams, PadParams } from './ops/int_move.js';
export type { PoolParams, MeanParams } from './ops/int_pool.js';
export type { SoftmaxParams, SoftmaxQtoolParams, SoftmaxTfliteParams } from './ops/int_softmax.js';
export { meanFold } from './ops/int_pool.js';
