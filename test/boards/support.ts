import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../support/corpus.js';

// Shared by the emulated-board acceptance tests: the qtool CLI as a user runs it, temporary folders, and the
// tools the boards need (CI installs them with tools/setup-system.sh; missing ones fail, never skip).

const bin = join(repoRoot, 'apps/qtool/bin/qtool.mjs');

export interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

/** `qtool ...args` in a child process (async: the test's timeout stays a hang guard). */
export function qtool(...args: string[]): Promise<CliResult> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [bin, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => res({ code, out, err }));
  });
}

const temps: string[] = [];

export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `qtool-boards-${prefix}-`));
  temps.push(d);
  return d;
}

export function removeTemps(): void {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function requireTools(...tools: string[]): void {
  const missing = tools.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (missing.length)
    throw new Error(`\n\n*** the emulated-board tests need ${missing.join(', ')} (not on PATH): run tools/setup-system.sh. They fail rather than skip. ***\n`);
}

/** `matched/total` from the summary line `qtool flash` prints. */
export function vectorsMatched(out: string): { matched: number; total: number } | undefined {
  const m = /(\d+)\/(\d+) vectors equal the integer simulator bit for bit/.exec(out);
  return m ? { matched: Number(m[1]), total: Number(m[2]) } : undefined;
}

/** A plain text table (first row: header). */
export function textTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}
