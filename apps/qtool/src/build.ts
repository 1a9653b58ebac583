import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Target } from '@qtool/codegen';

// Measures what the generated C costs on its target: compiles every source to an object with the target's
// compiler and reads the section sizes. Only when that compiler is installed; otherwise the report says so.

export interface Sections {
  text: number;
  rodata: number;
  data: number;
  bss: number;
}

/** Section bytes summed over every firmware object (model + runtime), and the model's own object apart. */
export interface CodeSize extends Sections {
  model: Sections;
  compiler: string;
}

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

export function measureCode(files: Map<string, string>, target: Target, model: string): CodeSize | undefined {
  const sizeTool = target.cc === 'cc' ? 'size' : 'arm-none-eabi-size';
  if (!has(target.cc) || !has(sizeTool)) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'qtool-size-'));
  try {
    for (const [name, text] of files) writeFileSync(join(dir, name), text);
    const sources = [...files.keys()].filter((f) => f.endsWith('.c') && f !== 'host_main.c');
    const objects: string[] = [];
    for (const s of sources) {
      const o = join(dir, s.replace(/\.c$/, '.o'));
      execFileSync(target.cc, ['-std=c99', '-O2', '-ffunction-sections', '-fdata-sections', ...target.cpuFlags, '-c', join(dir, s), '-o', o], { stdio: 'pipe' });
      objects.push(o);
    }
    // sizes per section kind (-A lists every section; -ffunction-sections/-fdata-sections give one a symbol)
    const total: Sections = { text: 0, rodata: 0, data: 0, bss: 0 };
    const own: Sections = { text: 0, rodata: 0, data: 0, bss: 0 };
    for (const o of objects) {
      const out = execFileSync(sizeTool, ['-A', o], { encoding: 'utf8' });
      const isModel = o.endsWith(`/${model}.o`);
      for (const line of out.split('\n')) {
        const m = /^(\S+)\s+(\d+)\s+\d+/.exec(line);
        if (!m) continue;
        const kind = (['text', 'rodata', 'data', 'bss'] as const).find((k) => m[1]!.startsWith(`.${k}`));
        if (!kind) continue;
        total[kind] += Number(m[2]);
        if (isModel) own[kind] += Number(m[2]);
      }
    }
    return { ...total, model: own, compiler: `${target.cc} ${target.cpuFlags.join(' ')}`.trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
