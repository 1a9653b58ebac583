import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BLOB_KERNELS, BODY_HEADER_BYTES, CALL_ENTRY_BYTES, LAYER_ENTRY_BYTES, LAYER_TABLE_MAGIC, LAYER_TABLE_VERSION, MAX_ARGS, REF_BYTES, RefKind } from '@qtool/codegen';
import { blobMemory, buildBlobFirmware, firmwareBoards, firmwareC } from '../src/index.js';
import { requireTools } from './support.js';

// The two sides of body format 2 agree: the resident runtime's kernel table and dispatch (c/fw_blob.c) and the
// writer's (packages/codegen/src/blob/format.ts), the table sizes and reference kinds, and each board's RAM split.

const c = readFileSync(join(firmwareC, 'fw_blob.c'), 'utf8');
const define = (name: string) => Number(new RegExp(`#define\\s+${name}\\s+(0x[0-9A-Fa-f]+|\\d+)u`).exec(c)?.[1]);

describe('body format 2: fw_blob.c and format.ts', () => {
  it('the same kernel ids, argument counts, params structs and dispatched functions', () => {
    const table = new Map([...c.matchAll(/\[(\d+)\] = \{(\d+), (?:sizeof\((\w+)\)|0)\}/g)].map((m) => [Number(m[1]), { args: Number(m[2]), params: m[3] ?? null }]));
    const dispatch = new Map([...c.matchAll(/case (\d+): (\w+)\(/g)].map((m) => [Number(m[1]), m[2]]));
    expect(table.size).toBe(BLOB_KERNELS.length);
    for (const k of BLOB_KERNELS) {
      expect(table.get(k.id), k.fn).toEqual({ args: k.args, params: k.params });
      expect(dispatch.get(k.id)).toBe(k.fn);
    }
  });

  it('the same magic, version, entry sizes and reference kinds', () => {
    expect(define('LT_MAGIC')).toBe(LAYER_TABLE_MAGIC);
    expect(define('LT_VERSION')).toBe(LAYER_TABLE_VERSION);
    expect(define('LT_HEADER')).toBe(BODY_HEADER_BYTES);
    expect(define('LT_LAYER')).toBe(LAYER_ENTRY_BYTES);
    expect(define('LT_CALL')).toBe(CALL_ENTRY_BYTES);
    expect(define('LT_REF')).toBe(REF_BYTES);
    expect(define('LT_MAX_ARGS')).toBe(MAX_ARGS);
    expect(CALL_ENTRY_BYTES).toBe(4 + MAX_ARGS * REF_BYTES);
    const kinds = Object.fromEntries([...c.matchAll(/REF_(\w+) = (\d+)/g)].map((m) => [m[1], Number(m[2])]));
    expect(kinds).toEqual(RefKind);
  });

  it('each board: firmware RAM + work region + two slots fit its RAM, 16-aligned', () => {
    for (const b of Object.values(firmwareBoards)) {
      const { workBytes, slotBytes } = blobMemory(b);
      expect(workBytes % 16 + (slotBytes % 16)).toBe(0);
      expect(workBytes + 2 * slotBytes + 8 * 1024).toBeLessThanOrEqual(b.ram);
    }
  });

  it('the resident runtime links for every board, nucleo-l4r5zi (build only) included, within its RAM', () => {
    requireTools('arm-none-eabi-gcc');
    for (const b of Object.values(firmwareBoards)) {
      const fw = buildBlobFirmware({ board: b.name });
      expect(fw.size.ram, b.name).toBeLessThanOrEqual(b.ram);
      expect(fw.size.flash, b.name).toBeLessThanOrEqual(b.flash);
    }
  }, 120_000);
});
