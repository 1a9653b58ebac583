import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Target } from '@qtool/codegen';

// Measures what the generated C costs on its target: compiles every source to an object with the target's
// compiler and reads the section sizes. Only when that compiler is installed; otherwise the report says so.

export interface CodeSize {
  text: number;
  rodata: number;
  data: number;
  bss: number;
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
    // sizes per section kind, summed over objects (-A lists every section)
    let text = 0, rodata = 0, data = 0, bss = 0;
    for (const o of objects) {
      const out = execFileSync(sizeTool, ['-A', o], { encoding: 'utf8' });
      for (const line of out.split('\n')) {
        const m = /^(\S+)\s+(\d+)\s+\d+/.exec(line);
        if (!m) continue;
        const [, sec, n] = m;
        const bytes = Number(n);
        // the model's weights are const data of <model>.c; everything in the runtime's rodata counts as code
        if (sec!.startsWith('.text')) text += bytes;
        else if (sec!.startsWith('.rodata')) rodata += bytes;
        else if (sec!.startsWith('.data')) data += bytes;
        else if (sec!.startsWith('.bss')) bss += bytes;
      }
    }
    return { text, rodata, data, bss, compiler: `${target.cc} ${target.cpuFlags.join(' ')}`.trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    void model;
  }
}
