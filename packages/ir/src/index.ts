export * from './dtype.js';
export * from './tensor.js';
export * from './diagnostics.js';
export * from './graph.js';
export * from './verify.js';
export * from './printer.js';
