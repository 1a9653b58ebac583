import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPty, realClock, SimDevice, type PtyEnd, type SimDeviceOptions } from '@qtool/flasher';
import { loadArtifact } from '@qtool/quantizer';
import type { Graph } from '@qtool/ir';

// `qtool flash` as a user runs it, over a real serial port: the CLI opens /dev/pts/N with serialport, and a
// stand-in board (the TypeScript device model) answers on the pty's other side.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = join(root, 'apps/qtool/bin/qtool.mjs');

function qtool(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => res({ code, out, err }));
  });
}

let dir: string;
let graph: Graph;
let hash: string;
const ptys: PtyEnd[] = [];
const temps: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'qtool-flash-'));
  temps.push(d);
  return d;
};

async function board(opts: Partial<SimDeviceOptions>): Promise<{ path: string; device: SimDevice }> {
  const pty = await openPty();
  ptys.push(pty);
  const device = new SimDevice(pty.transport, realClock, { mode: 'aot', board: 'mps2-an386', model: { graph, modelHash: hash }, ...opts });
  return { path: pty.path, device };
}

beforeAll(async () => {
  dir = join(tmp(), 'digits');
  const r = await qtool('compile', '-o', dir);
  expect(r.code, r.err).toBe(0);
  graph = loadArtifact(dir).graph;
  hash = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')).modelHash;
}, 120_000);

afterAll(async () => {
  await Promise.all(ptys.map((p) => p.close()));
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

describe('qtool flash --port', () => {
  it('aot: checks the model hash, 10 vectors equal the simulator, exit 0', async () => {
    const b = await board({});
    const r = await qtool('flash', dir, '--board', 'mps2-an386', '--port', b.path);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/board mps2-an386 on \/dev\/pts\/\d+: firmware 1\.0, protocol 1, aot mode/);
    expect(r.out).toMatch(/vector\s+outputs vs simulator/);
    expect(r.out.match(/^\d+\s+equal/gm)).toHaveLength(10);
    expect(r.out).toContain('10/10 vectors equal the integer simulator bit for bit');
  }, 120_000);

  it('blob: loads the model image, verifies it, then runs the vectors', async () => {
    const b = await board({ mode: 'blob', model: undefined });
    const r = await qtool('flash', dir, '--board', 'mps2-an386', '--port', b.path, '--mode', 'blob', '--vectors', '4', '--seed', '9');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/loaded [\d,]+ bytes in \d+ chunks .*verified, active/);
    expect(b.device.activeHash).toBe(hash);
    expect(r.out).toContain('4/4 vectors equal');
  }, 120_000);

  it('sends the calibration samples kept in the folder (calib.npy), quantized with the input parameters', async () => {
    copyFileSync(join(root, 'examples/digits/calib.npy'), join(dir, 'calib.npy'));
    try {
      const b = await board({});
      const r = await qtool('flash', dir, '--board', 'mps2-an386', '--port', b.path, '--vectors', '5');
      expect(r.code, r.err).toBe(0);
      expect(r.err).toMatch(/5 vectors from calib\.npy \(5 of \d+ samples\)/);
      expect(r.out).toContain('5/5 vectors equal');
    } finally {
      rmSync(join(dir, 'calib.npy'));
    }
  }, 120_000);

  it('a wrong kernel on the board: exit 1, QT603 names the first differing layer', async () => {
    const b = await board({ fault: { layer: 3 } });
    const r = await qtool('flash', dir, '--board', 'mps2-an386', '--port', b.path, '--vectors', '2');
    expect(r.code).toBe(1);
    const name = graph.nodes[3]!.name;
    expect(r.err).toContain(`error QT603 2 of 2 vectors differ from the integer simulator; first differing layer: #3 '${name}'`);
    expect(r.out).toContain(`#3 ${name}`);
    expect(r.out).toContain('0/2 vectors equal');
  }, 120_000);

  it('a board with another model: QT605 before any vector', async () => {
    const b = await board({ model: { graph, modelHash: '00000000deadbeef' } });
    const r = await qtool('flash', dir, '--board', 'mps2-an386', '--port', b.path);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`error QT605 the board runs model 00000000deadbeef; ${dir} is model ${hash}`);
  }, 120_000);

  it('--mode blob against aot firmware, a missing port, and no transport are refused with codes', async () => {
    const b = await board({});
    const wrong = await qtool('flash', dir, '--board', 'mps2-an386', '--port', b.path, '--mode', 'blob');
    expect(wrong.code).toBe(2);
    expect(wrong.err).toMatch(/QT002 --mode blob: the board on .* runs aot firmware/);
    const missing = await qtool('flash', dir, '--board', 'mps2-an386', '--port', '/dev/does-not-exist');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/error QT606 cannot open serial port \/dev\/does-not-exist/);
    const none = await qtool('flash', dir, '--board', 'mps2-an386');
    expect(none.code).toBe(2);
    expect(none.err).toContain('give exactly one of --emulate');
  }, 120_000);
});

// The emulated boards: the firmware built for the folder, run in QEMU (installed by tools/setup-system.sh in CI;
// a missing QEMU or toolchain fails these tests with its coded error, it does not skip them).
describe('qtool flash --emulate', () => {
  for (const b of ['mps2-an386', 'mps3-an547', 'lm3s6965evb']) {
    it(`${b}: firmware built for the folder, 20 vectors equal the simulator in QEMU`, async () => {
      const d = join(tmp(), b);
      const c = await qtool('compile', '-o', d, '--board', b);
      expect(c.code, c.err).toBe(0);
      const r = await qtool('flash', d, '--board', b, '--emulate', '--vectors', '20');
      expect(r.code, r.err + r.out).toBe(0);
      expect(r.err).toMatch(new RegExp(`QEMU ${b} on /dev/pts/\\d+`));
      expect(r.err).toMatch(new RegExp(`board ${b} on /dev/pts/\\d+: firmware \\d+\\.\\d+, protocol 1, aot mode`));
      expect(r.out).toContain('20/20 vectors equal the integer simulator bit for bit');
    }, 180_000);
  }
});
