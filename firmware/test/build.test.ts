import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RAM_RESERVE } from '@qtool/codegen';
import { buildFirmware, firmwareBoards, firmwareC } from '../src/index.js';
import { compileExample, removeCompiled, requireTools } from './support.js';

// The board seam: each board's linker script gives the firmware exactly the memory boards.ts budgets for it,
// and the build-only board (no QEMU model) links.

function ldMemory(board: string): { flashOrigin: number; flash: number; ram: number } {
  const ld = readFileSync(join(firmwareC, 'boards', `${board}.ld`), 'utf8');
  const region = (name: string) => {
    const m = new RegExp(`${name}\\s*\\([a-z]+\\)\\s*:\\s*ORIGIN\\s*=\\s*(0x[0-9a-fA-F]+),\\s*LENGTH\\s*=\\s*(\\d+)([KM])`).exec(ld);
    if (!m) throw new Error(`${board}.ld: no ${name} region`);
    return { origin: parseInt(m[1]!, 16), length: Number(m[2]) * (m[3] === 'K' ? 1024 : 1024 * 1024) };
  };
  return { flashOrigin: region('FLASH').origin, flash: region('FLASH').length, ram: region('RAM').length };
}

describe('board seam', () => {
  afterAll(removeCompiled);

  it.each(Object.keys(firmwareBoards))('%s: the linker script has the memory budget of boards.ts', (board) => {
    const m = ldMemory(board);
    expect({ flash: m.flash, ram: m.ram }).toEqual({ flash: firmwareBoards[board]!.flash, ram: firmwareBoards[board]!.ram });
  });

  it('nucleo-l4r5zi (build only): the example links for the STM32L4R5 memory map', () => {
    requireTools('arm-none-eabi-gcc');
    const img = buildFirmware({ modelDir: compileExample('nucleo-l4r5zi'), board: 'nucleo-l4r5zi' });
    expect(img.symbols.qt_mark_window).toBe(0x08000000); // vector table at the start of flash
    expect(img.size.flash).toBeLessThanOrEqual(firmwareBoards['nucleo-l4r5zi']!.flash);
    expect(img.size.ram).toBeLessThanOrEqual(firmwareBoards['nucleo-l4r5zi']!.ram);
    console.log(`nucleo-l4r5zi: flash ${img.size.flash} bytes, RAM ${img.size.ram} bytes (stack ${img.size.stack})`);
  }, 60_000);

  it("the firmware's RAM around the model fits codegen's RAM_RESERVE (what qtool compile budgets for it)", () => {
    requireTools('arm-none-eabi-gcc');
    const img = buildFirmware({ modelDir: compileExample('lm3s6965evb'), board: 'lm3s6965evb' });
    const around = img.size.ram - img.model.arenaBytes;
    console.log(`lm3s6965evb: firmware RAM ${img.size.ram} bytes = model arena ${img.model.arenaBytes} + ${around} (stack ${img.size.stack}, UART ring, frame buffers, model inputs/outputs ${img.model.inputBytes + img.model.outputBytes})`);
    expect(around).toBeLessThanOrEqual(RAM_RESERVE);
  }, 60_000);

  it('a model that does not fit the board fails to link with QT501', () => {
    requireTools('arm-none-eabi-gcc');
    // 70 KiB of stack cannot fit lm3s6965evb's 64 KiB of RAM: the linker script's budget check must refuse it
    expect(() =>
      buildFirmware({ modelDir: compileExample('lm3s6965evb'), board: 'lm3s6965evb', outDir: undefined, cflags: ['-Wl,--defsym=QT_STACK_SIZE=0x11800'] }),
    ).toThrow(/QT501/);
  }, 60_000);
});
