import { describe, expect, it } from 'vitest';
import { QtError } from '@qtool/ir';
import { checkVector, Flasher, memoryLink, SimClock, SimDevice } from '../src/index.js';
import { fixtures, randomInputs } from './fixtures.js';

// The flasher against the TypeScript stand-in board over a clean in-memory link, in simulated time.

function setup(opts: Partial<ConstructorParameters<typeof SimDevice>[2]> = {}) {
  const clock = new SimClock();
  const link = memoryLink(clock, { maxDelayMs: 2, maxPiece: 64 });
  const [a] = fixtures();
  const device = new SimDevice(link.device, clock, { mode: 'blob', board: 'sim', ...opts });
  const flasher = new Flasher(link.host, { clock, firstSeq: 1 });
  return { clock, link, device, flasher, a: a! };
}

describe('flasher with the stand-in board', () => {
  it('blob: HELLO, INFO, LOAD, VERIFY, INFO; vectors equal the simulator', async () => {
    const { clock, device, flasher, a } = setup();
    const hello = await clock.run(flasher.hello());
    expect(hello).toEqual({ version: 1, mode: 'blob' });
    expect((await clock.run(flasher.info())).state).toBe('none');
    const s = await clock.run(flasher.deploy(a.image, a.hash));
    expect(s.chunks).toBe(Math.ceil(a.image.length / 1016));
    expect(device.activeImage).toEqual(a.image);
    const info = await clock.run(flasher.info());
    expect(info).toMatchObject({ mode: 'blob', state: 'active', modelHash: a.hash, layers: a.graph.nodes.length, inputBytes: 64 });
    for (let k = 0; k < 5; k++) {
      const r = await clock.run(checkVector(flasher, a.graph, randomInputs(a.graph, k), k));
      expect(r.match).toBe(true);
    }
    expect(await clock.run(flasher.profile())).toHaveLength(a.graph.nodes.length);
    expect(flasher.stats.retries).toBe(0);
  });

  it('names the first differing layer when a kernel is wrong', async () => {
    const [a] = fixtures();
    const { clock, flasher } = setup({ mode: 'aot', model: { graph: a!.graph, modelHash: a!.hash }, fault: { layer: 2 } });
    await clock.run(flasher.hello());
    const r = await clock.run(checkVector(flasher, a!.graph, randomInputs(a!.graph, 1), 0));
    expect(r.match).toBe(false);
    expect(r.firstDiff).toMatchObject({ layer: 2, name: a!.graph.nodes[2]!.name, byte: 0 });
    expect(Math.abs(r.firstDiff!.device - r.firstDiff!.simulator)).toBe(1);
  });

  it('aot firmware refuses LOAD (QT601 naming the request and seq)', async () => {
    const [a] = fixtures();
    const { clock, flasher } = setup({ mode: 'aot', model: { graph: a!.graph, modelHash: a!.hash } });
    await clock.run(flasher.hello());
    const e = await clock.run(flasher.deploy(a!.image, a!.hash)).catch((x) => x);
    expect(e).toBeInstanceOf(QtError);
    expect(e.message).toMatch(/QT601 LOAD seq 2: the device answered E_NOT_SUPPORTED/);
  });

  it('a silent port ends in QT602 naming the request, in bounded (simulated) time', async () => {
    const clock = new SimClock();
    const link = memoryLink(clock);
    const flasher = new Flasher(link.host, { clock, firstSeq: 7 });
    const e = await clock.run(flasher.hello(3)).catch((x) => x);
    expect(e.message).toMatch(/QT602 HELLO seq 7: gave up after 3 attempts/);
    expect(clock.now()).toBe(3 * 2500);
  });

  it('RESET: the device comes back, staging is lost, the active model stays', async () => {
    const { clock, device, flasher, a } = setup({ bootMs: 300 });
    const [, b] = fixtures();
    await clock.run(flasher.hello());
    await clock.run(flasher.deploy(a.image, a.hash));
    await clock.run(flasher.load(b!.image.subarray(0, 3000)));
    expect((await clock.run(flasher.info())).state).toBe('staged');
    await clock.run(flasher.reset());
    expect(device.resets).toBe(1);
    const info = await clock.run(flasher.info());
    expect(info).toMatchObject({ state: 'active', modelHash: a.hash });
  });
});
