import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { QtError } from '@qtool/ir';
import { buildFirmware, launchQemu, type QemuBoard } from '@qtool/firmware';
import { loadArtifact } from '@qtool/quantizer';
import { checkVector, Flasher, memoryLink, openSerial, realClock, type Transport } from '../src/index.js';
import { randomInputs } from './fixtures.js';

// The real firmware (firmware/c/proto.c) in QEMU behind a link that drops, corrupts and duplicates bytes: its
// receiver, E_BAD_CRC replies, duplicate resends and partial-frame timeout against the flasher's retries. Real
// time (QEMU runs in real time), so short timeouts; QEMU and the Arm toolchain must be installed (CI:
// tools/setup-system.sh): a missing tool fails with its coded error, it does not skip.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const boards: QemuBoard[] = [];
const temps: string[] = [];
afterAll(async () => {
  await Promise.all(boards.map((b) => b.stop()));
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

describe('flasher and the QEMU firmware over a faulty link', () => {
  it('mps2-an386: vectors and resets through dropped/corrupted/duplicated bytes; no wrong answer', async () => {
    temps.push(mkdtempSync(join(tmpdir(), 'qtool-flasher-')));
    const dir = join(temps.at(-1)!, 'digits');
    const c = spawnSync(process.execPath, [join(root, 'apps/qtool/bin/qtool.mjs'), 'compile', '-o', dir, '--board', 'mps2-an386'], { cwd: root, encoding: 'utf8' });
    expect(c.status, c.stderr).toBe(0);
    const graph = loadArtifact(dir).graph;
    const fw = buildFirmware({ modelDir: dir, board: 'mps2-an386' });
    const board = await launchQemu({ board: 'mps2-an386', elf: fw.elf });
    boards.push(board);
    const serial = await openSerial(board.pty);
    const link = memoryLink(realClock, { drop: 0.0015, corrupt: 0.0015, duplicate: 0.0015, maxPiece: 16 }, 7);
    bridge(link.device, serial);
    const flasher = new Flasher(link.host, { firstSeq: 1000, timeouts: { HELLO: 1000, INFO: 300, INPUT: 300, OUTPUT: 300, RUN: 600, READ: 600, PROFILE: 600, RESET: 300 } });
    await flasher.hello();
    const tally = { matched: 0, differed: 0, gaveUp: 0, resets: 0 };
    for (let k = 0; k < 40; k++) {
      try {
        if (k % 10 === 9) {
          await flasher.reset();
          tally.resets++;
        }
        const r = await checkVector(flasher, graph, randomInputs(graph, k), k);
        if (r.match) tally.matched++;
        else tally.differed++;
      } catch (e) {
        if (!(e instanceof QtError)) throw e;
        tally.gaveUp++;
      }
    }
    await serial.close();
    console.log(`QEMU mps2-an386 behind a faulty link: ${JSON.stringify(tally)}; link ${JSON.stringify(link.stats)}; flasher ${JSON.stringify(flasher.stats)}`);
    expect(tally.differed).toBe(0);
    expect(tally.matched).toBeGreaterThanOrEqual(30);
    expect(flasher.stats.retries).toBeGreaterThan(0);
    expect(link.stats.dropped + link.stats.corrupted + link.stats.duplicated).toBeGreaterThan(20);
  }, 180_000);
});

function bridge(a: Transport, b: Transport): void {
  a.onData((chunk) => b.write(chunk));
  b.onData((chunk) => a.write(chunk));
}
