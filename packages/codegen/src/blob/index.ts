// Model images for a resident runtime (blob mode): the layer-table body recorded from the C emission.
export * from './format.js';
export { readRuntimeC, PORTABLE_HEADERS, type StructLayout, type RuntimeC } from './ctext.js';
export { emitModelImage, type ModelImageBody } from './write.js';
