export * from './float.js';
export * from './int.js';
