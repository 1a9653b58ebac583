export * from './crc32.js';
export * from './layout.js';
export * from './frame.js';
export * from './decoder.js';
export * from './messages.js';
export * from './version.js';
