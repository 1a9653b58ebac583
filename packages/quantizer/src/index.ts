export * from './weights.js';
export * from './activations.js';
export * from './calibrate.js';
export * from './context.js';
export * from './quantize-graph.js';
export * from './artifact.js';
export * from './sources.js';
export * from './images.js';
