// binary-parser 2.3.0 ships types only for its CommonJS entry, which NodeNext resolution does not pick for an ESM import.
declare module 'binary-parser' { export * from 'binary-parser/dist/binary_parser.js'; }
