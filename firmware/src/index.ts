// @qtool/firmware: builds the qtool firmware for a board, launches an emulated board, and a minimal link to it.
export * from './boards.js';
export * from './model.js';
export * from './build.js';
export * from './qemu.js';
export * from './link.js';
export * from './bench.js';
export * from './blob.js';
