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
