export * from './target.js';
export * from './boards.js';
export * from './kernel.js';
export * from './planner.js';
export * from './emit.js';
export { emitterOf, registerEmitters } from './kernels/index.js';
export * from './blob/index.js';
