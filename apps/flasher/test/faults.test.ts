import { describe, expect, it } from 'vitest';
import { QtError } from '@qtool/ir';
import { checkVector, Flasher, memoryLink, rng, SimClock, SimDevice } from '../src/index.js';
import { fixtures, randomInputs } from './fixtures.js';

// Deploys through a link that drops, corrupts, duplicates and delays bytes, with the device reset at random
// moments of a load. The properties: the flasher never reports success unless the board runs exactly the new
// image (0 false successes); every deploy ends, in success or a coded error (0 hangs: all waits are timeouts on
// a simulated clock, and the clock runner throws when work waits on nothing); the board is always on the old
// model or the new one.

const DEPLOYS = 240;

describe('deploys over a faulty link', () => {
  it(`${DEPLOYS} deploys: 0 false successes, 0 hangs, board always on the old or the new model`, async () => {
    const [a, b] = fixtures();
    const images = [a!, b!];
    const clock = new SimClock();
    const r = rng(2026);
    const link = memoryLink(clock, { maxDelayMs: 5, maxPiece: 64 }, 99);
    const device = new SimDevice(link.device, clock, { mode: 'blob', board: 'sim', bootMs: 20 });
    let resetAtLoad = -1;
    let loads = 0;
    device.onRequest = (req, d) => {
      if (req.kind === 'LOAD' && ++loads === resetAtLoad) clock.setTimer(Math.floor(r() * 4), () => d.powerCycle());
      if (req.kind === 'VERIFY' && resetAtLoad === -2) {
        resetAtLoad = -1;
        clock.setTimer(0, () => d.powerCycle());
      }
    };
    const flasher = new Flasher(link.host, { clock, firstSeq: 1 });
    const tally = { successes: 0, failures: 0, falseSuccesses: 0, hangs: 0, offModel: 0, vectors: 0, vectorMismatches: 0, resets: 0 };
    const codes = new Map<string, number>();
    const reasons = new Set<string>();

    for (let k = 0; k < DEPLOYS; k++) {
      const next = images[k % 2]!;
      const old = device.activeImage;
      // fault intensity varies per deploy: from a clean line to one that damages 2 of 3 full-size frames, and
      // one deploy in 8 on a line so bad (2-5 damaged bytes per 1000) that loads may fail: those must fail cleanly
      const rate = r() < 0.125 ? 2e-3 + r() * 3e-3 : r() * 4e-4;
      Object.assign(link.faults, { drop: rate, corrupt: rate, duplicate: rate });
      loads = 0;
      const roll = r();
      resetAtLoad = roll < 0.3 ? 1 + Math.floor(r() * 20) : roll < 0.35 ? -2 : -1;
      const before = device.resets;
      let ok = false;
      try {
        await clock.run(
          (async () => {
            await flasher.hello();
            await flasher.deploy(next.image, next.hash);
          })(),
          600_000,
        );
        ok = true;
      } catch (e) {
        if (e instanceof QtError) {
          codes.set(e.diagnostics[0]!.code, (codes.get(e.diagnostics[0]!.code) ?? 0) + 1);
          reasons.add(e.diagnostics[0]!.message.replace(/seq \d+/, 'seq N'));
        }
        else if (/hang/.test((e as Error).message)) tally.hangs++;
        else throw e;
      }
      tally.resets += device.resets - before;
      resetAtLoad = -1;
      const now = device.activeImage;
      if (ok) {
        tally.successes++;
        if (!same(now, next.image)) tally.falseSuccesses++;
        // the deployed model answers correctly through the same faulty line
        try {
          const v = await clock.run(checkVector(flasher, next.graph, randomInputs(next.graph, k), k), 600_000);
          tally.vectors++;
          if (!v.match) tally.vectorMismatches++;
        } catch (e) {
          if (!(e instanceof QtError)) throw e;
        }
      } else tally.failures++;
      if (!same(now, old) && !same(now, next.image)) tally.offModel++;
      // settle: let late bytes of an abandoned exchange drain before the next deploy
      await clock.run(new Promise<void>((res) => clock.setTimer(500, res)));
    }

    const rate = ((100 * tally.successes) / DEPLOYS).toFixed(1);
    console.log(
      `faulty link: ${DEPLOYS} deploys, ${tally.successes} succeeded (${rate}%), ${tally.failures} failed with coded errors ${JSON.stringify(Object.fromEntries(codes))}, ` +
        `${tally.falseSuccesses} false successes, ${tally.hangs} hangs, ${tally.offModel} off-model states, ${tally.resets} device resets; ` +
        `${tally.vectors} vectors checked after success, ${tally.vectorMismatches} mismatches; link ${JSON.stringify(link.stats)}; flasher ${JSON.stringify(flasher.stats)}; failures: ${[...reasons].join(' | ')}`,
    );
    expect(tally.falseSuccesses).toBe(0);
    expect(tally.hangs).toBe(0);
    expect(tally.offModel).toBe(0);
    expect(tally.vectorMismatches).toBe(0);
    expect(tally.resets).toBeGreaterThan(DEPLOYS / 5);
    expect(link.stats.dropped + link.stats.corrupted + link.stats.duplicated).toBeGreaterThan(1000);
    // the retries and resumes carry most deploys through; a regression there shows up as a collapse
    expect(tally.successes).toBeGreaterThan(DEPLOYS / 2);
  }, 120_000);
  it('a wrong kernel behind a faulty link: every vector that completes differs, always at the faulty layer', async () => {
    const [a] = fixtures();
    const clock = new SimClock();
    const link = memoryLink(clock, { drop: 1e-3, corrupt: 1e-3, duplicate: 1e-3, maxDelayMs: 5, maxPiece: 32 }, 5);
    new SimDevice(link.device, clock, { mode: 'aot', model: { graph: a!.graph, modelHash: a!.hash }, fault: { layer: 4 } });
    const flasher = new Flasher(link.host, { clock, firstSeq: 1 });
    await clock.run(flasher.hello());
    const layers: number[] = [];
    let gaveUp = 0;
    for (let k = 0; k < 60; k++) {
      try {
        const v = await clock.run(checkVector(flasher, a!.graph, randomInputs(a!.graph, k), k), 600_000);
        layers.push(v.match ? -1 : (v.firstDiff?.layer ?? -2));
      } catch (e) {
        if (!(e instanceof QtError)) throw e;
        gaveUp++;
      }
    }
    expect(new Set(layers)).toEqual(new Set([4]));
    expect(layers.length + gaveUp).toBe(60);
    expect(flasher.stats.retries).toBeGreaterThan(0);
  }, 120_000);
});

function same(x: Uint8Array | undefined, y: Uint8Array | undefined): boolean {
  if (!x || !y) return x === y;
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
