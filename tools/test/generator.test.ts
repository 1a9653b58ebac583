import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { FsTree } from 'nx/src/generators/tree';
import { afterAll, describe, expect, it } from 'vitest';
import opGenerator from '../src/generators/op/op.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const registryPath = 'packages/ops/src/registry.ts';

describe('op generator on an nx tree', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'qtool-gen-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  mkdirSync(join(tmp, 'packages/ops/src/ops'), { recursive: true });
  cpSync(join(root, registryPath), join(tmp, registryPath));
  cpSync(join(root, 'packages/ops/src/ops/relu.ts'), join(tmp, 'packages/ops/src/ops/relu.ts'));

  it('creates the op and its test and registers it', async () => {
    const tree = new FsTree(tmp, false);
    await opGenerator(tree, { name: 'zz_gen_probe' });
    const changes = tree.listChanges().map((c) => `${c.type} ${c.path}`).sort();
    expect(changes).toEqual([
      'CREATE packages/ops/src/ops/zz_gen_probe.ts',
      'CREATE packages/ops/test/zz_gen_probe.test.ts',
      `UPDATE ${registryPath}`,
    ]);
    const registry = tree.read(registryPath, 'utf-8')!;
    expect(registry).toContain("import { zzGenProbe } from './ops/zz_gen_probe.js';");
    expect(registry).toMatch(/ {2}zz_gen_probe: zzGenProbe,\n};\n$/);
    expect(tree.read('packages/ops/src/ops/zz_gen_probe.ts', 'utf-8')).toContain('export const zzGenProbe = defineOp({');
  });

  it('refuses an op that exists, leaving the tree untouched', async () => {
    const tree = new FsTree(tmp, false);
    await expect(opGenerator(tree, { name: 'relu' })).rejects.toThrow("op 'relu' already exists: packages/ops/src/ops/relu.ts");
    await expect(opGenerator(tree, { name: 'Relu' })).rejects.toThrow('not lower_snake');
    expect(tree.listChanges()).toEqual([]);
  });
});

// The real command, as a developer types it: proves generators.json, the schema and the loader shim are wired up.
describe('npx nx g @qtool/tools:op', () => {
  const nx = (...args: string[]) =>
    spawnSync(join(root, 'node_modules/.bin/nx'), ['g', '@qtool/tools:op', ...args, '--dry-run', '--no-interactive'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: '0', NO_COLOR: '1' },
    });

  it('dry-runs a new op', () => {
    const r = nx('zz_dry_run_probe');
    const out = stripVTControlCharacters(r.stdout + r.stderr); // nx colours its output when run under nx
    expect(r.status, out).toBe(0);
    expect(out).toContain('CREATE packages/ops/src/ops/zz_dry_run_probe.ts');
    expect(out).toContain('CREATE packages/ops/test/zz_dry_run_probe.test.ts');
    expect(out).toContain(`UPDATE ${registryPath}`);
    expect(existsSync(join(root, 'packages/ops/src/ops/zz_dry_run_probe.ts'))).toBe(false);
    expect(readFileSync(join(root, registryPath), 'utf8')).not.toContain('zz_dry_run_probe');
  }, 60_000);

  it('fails with a clear message for a bad name', () => {
    const r = nx('Not-Snake');
    expect(r.status).not.toBe(0);
    expect(stripVTControlCharacters(r.stdout + r.stderr)).toContain('op name "Not-Snake" is not lower_snake');
  }, 60_000);
});
