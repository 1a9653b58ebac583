import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runtimeDir } from '@qtool/codegen';

// Builds generated models for the host quickly: the runtime is compiled once into a static library; each model
// compiles only its own source and host_main.c against it. Flags are the product's strict ones.

export const STRICT = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic', '-O2'];

export class HostBuilder {
  readonly dir = mkdtempSync(join(tmpdir(), 'qtool-diff-'));
  private readonly lib: string;

  constructor() {
    const objs: string[] = [];
    for (const c of readdirSync(runtimeDir).filter((f) => f.endsWith('.c'))) {
      const o = join(this.dir, c.replace(/\.c$/, '.o'));
      execFileSync('cc', [...STRICT, `-I${runtimeDir}`, '-c', join(runtimeDir, c), '-o', o], { stdio: 'pipe' });
      objs.push(o);
    }
    this.lib = join(this.dir, 'libqt.a');
    execFileSync('ar', ['rcs', this.lib, ...objs]);
  }

  /** Writes the model's own files and links host_main; returns the executable. */
  build(id: string, files: Map<string, string>, name: string): string {
    const d = join(this.dir, id);
    mkdirSync(d, { recursive: true });
    for (const f of [`${name}.c`, `${name}.h`, 'host_main.c']) writeFileSync(join(d, f), files.get(f)!);
    const exe = join(d, 'host_main');
    execFileSync('cc', [...STRICT, `-I${runtimeDir}`, `-I${d}`, '-o', exe, join(d, `${name}.c`), join(d, 'host_main.c'), this.lib], { stdio: 'pipe' });
    return exe;
  }
}

export function runHost(exe: string, input: Uint8Array): Uint8Array {
  return new Uint8Array(execFileSync(exe, [], { input, maxBuffer: 1 << 28 }));
}
