import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

// The whole workspace type-checks (tsconfig.json: every package's src and tests, apps, firmware, bench, tools).
// Code runs through tsx, which strips types without checking them: this is where a type error is caught.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

it('tsc --noEmit finds no type errors in the workspace', { timeout: 10 * 60_000 }, () => {
  const r = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json'), '--noEmit', '--pretty', 'false'], { cwd: root, encoding: 'utf8' });
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
});
