import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// Reads a CMSIS-NN golden test case folder: C headers with #define constants and `const T name[N] = {...};`
// arrays. Keys are lower-cased and stripped of the case prefix: CONV_2_OUT_CH -> out_ch, conv_2_input -> input.

export interface CmsisCase {
  name: string;
  defines: Record<string, number>;
  arrays: Record<string, { ctype: string; values: number[] }>;
}

export function readCmsisCase(dir: string, name: string): CmsisCase {
  const defines: Record<string, number> = {};
  const arrays: Record<string, { ctype: string; values: number[] }> = {};
  const prefix = name.toLowerCase() + '_';
  const strip = (k: string) => {
    const l = k.toLowerCase();
    return l.startsWith(prefix) ? l.slice(prefix.length) : l;
  };
  // test_data.h names the headers that belong to the case; some folders also hold stale headers of other
  // cases reusing the same array names, so only the included ones are read (all of them when there is none)
  const all = readdirSync(dir).filter((f) => f.endsWith('.h'));
  const index = all.includes('test_data.h') ? readFileSync(join(dir, 'test_data.h'), 'utf8') : '';
  const included = [...index.matchAll(/#include\s+"([^"]+)"/g)].map((m) => m[1]!);
  const files = included.length ? included.filter((f) => all.includes(f)) : all;
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8').replace(/\/\/[^\n]*/g, '');
    for (const m of text.matchAll(/#define\s+(\w+)\s+\(?(-?[0-9]+)\)?\s*$/gm)) defines[strip(m[1]!)] = Number(m[2]);
    for (const m of text.matchAll(/const\s+(\w+)\s+(\w+)\s*\[[^\]]*\]\s*=\s*\{([^}]*)\}/g)) {
      const values = m[3]!
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .map(Number);
      arrays[strip(m[2]!)] = { ctype: m[1]!, values };
    }
  }
  return { name, defines, arrays };
}
