export * from './op.js';
export * from './util.js';
export * from './registry.js';
export * from './infer.js';
export * from './quant.js';
