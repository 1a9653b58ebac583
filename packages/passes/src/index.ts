export * from './pass.js';
export * from './rewrite.js';
export * from './constant-fold.js';
export * from './fold-batchnorm.js';
export * from './fuse-activations.js';
export * from './simplify-layout.js';
export * from './pipeline.js';
export * from './dequantize.js';
