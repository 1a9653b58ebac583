import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Test helpers: build C with the host compiler (flags as the product uses them) and run it.

export const STRICT = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic', '-O2'];

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** Fails loudly (never skips) when a compiler the tests need is missing. */
export function requireCommand(cmd: string): void {
  if (!hasCommand(cmd)) throw new Error(`${cmd} is not installed: \`npm test\` installs it through tools/setup-system.sh (needs root)`);
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `qtool-${prefix}-`));
}

/** Compiles C files to an executable in `dir`, returns its path. */
export function buildHost(dir: string, files: Record<string, string>, main: string, include: string[] = []): string {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const exe = join(dir, 'a.out');
  execFileSync('cc', [...STRICT, ...include.map((i) => `-I${i}`), '-o', exe, join(dir, main)], { stdio: ['ignore', 'pipe', 'pipe'] });
  return exe;
}

export function runExe(exe: string, input: Uint8Array): Buffer {
  return execFileSync(exe, [], { input, maxBuffer: 1 << 30 });
}
