export * from './int.js';
export * from './multiplier.js';
