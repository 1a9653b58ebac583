export * from './float.js';
