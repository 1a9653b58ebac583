import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { INT32_MAX } from '@qtool/qmath';
import { repoRoot } from '../support/corpus.js';

// qtool compile --chain: report.json's chains array (layers, proven bound, margin to int32), the default (off),
// and a bad value refused as a usage error.

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function compile(...args: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'qtool-chain-cli-'));
  dirs.push(dir);
  const r = spawnSync(process.execPath, [join(repoRoot, 'apps/qtool/bin/qtool.mjs'), 'compile', '-o', dir, ...args], { encoding: 'utf8', cwd: repoRoot });
  return { ...r, dir, report: () => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) };
}

describe('qtool compile --chain', () => {
  it('auto: one mac_chain layer per chain, and report.json lists each with its proven bound and margin', () => {
    const r = compile('--chain', 'auto', '--bits', '4');
    expect(r.status, r.stderr).toBe(0);
    const rep = r.report();
    expect(rep.chains.length).toBeGreaterThan(0);
    for (const c of rep.chains) {
      expect(c.layers.length).toBeGreaterThanOrEqual(2);
      expect(c.accumulator).toBe('int32');
      expect(c.limit).toBe(INT32_MAX);
      expect(c.bound).toBeLessThanOrEqual(INT32_MAX);
      expect(c.margin).toBe(INT32_MAX - c.bound);
      expect(c.calibratedBound).toBeLessThanOrEqual(c.bound);
    }
    const chainLayers = rep.layers.filter((l: { op: string }) => l.op === 'mac_chain');
    expect(chainLayers.length).toBe(rep.chains.length);
    expect(chainLayers.every((l: { macs: number }) => l.macs > 0)).toBe(true);
    expect(readFileSync(join(r.dir, 'digits_cnn.c'), 'utf8')).toContain('qt_chain_conv(');
  });

  it('default is off: no chains, the same C as --chain off', () => {
    const d = compile();
    const off = compile('--chain', 'off');
    expect(d.status, d.stderr).toBe(0);
    expect(d.report().chains).toEqual([]);
    expect(readFileSync(join(d.dir, 'digits_cnn.c'), 'utf8')).toBe(readFileSync(join(off.dir, 'digits_cnn.c'), 'utf8'));
    expect(readFileSync(join(d.dir, 'digits_cnn.c'), 'utf8')).not.toContain('qt_chain');
  });

  it('a bad mode is a usage error (QT002, exit 2)', () => {
    const r = compile('--chain', 'always');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("QT002 --chain must be off or auto, got 'always'");
  });
});
