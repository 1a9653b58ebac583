import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { targets } from '@qtool/codegen';
import { fail } from '@qtool/ir';
import { firmwareBoard, type FirmwareBoard } from './boards.js';
import { modelGlueHeader, readCompiledModel, type CompiledModel } from './model.js';

// Builds the ahead-of-time firmware: shared startup, serial ring, protocol device side and the AOT main
// (firmware/c), the board's C file and linker script (firmware/c/boards), its UART driver, and the generated
// model of a folder written by `qtool compile`, linked with arm-none-eabi-gcc into one ELF.

export const firmwareC = resolve(dirname(fileURLToPath(import.meta.url)), '../c');

const CC = 'arm-none-eabi-gcc';
const SIZE = 'arm-none-eabi-size';
const NM = 'arm-none-eabi-nm';

export interface BuildFirmwareOptions {
  /** folder written by `qtool compile` */
  modelDir: string;
  /** board name: mps2-an386 | mps3-an547 | lm3s6965evb | nucleo-l4r5zi */
  board: string;
  /** where fw.elf, fw.map and the glue header go (default <modelDir>/fw-<board>) */
  outDir?: string;
  /** extra compiler flags (e.g. -O3); default none */
  cflags?: string[];
}

export interface FirmwareImage {
  elf: string;
  map: string;
  board: FirmwareBoard;
  model: CompiledModel;
  /** section sizes of the linked image (arm-none-eabi-size -A) */
  size: {
    /** code + constants (weights) + .data image: what is programmed into flash */
    flash: number;
    /** .data + .bss (arena, buffers) + stack */
    ram: number;
    text: number;
    data: number;
    bss: number;
    stack: number;
  };
  /** addresses the instruction-count plugin needs */
  symbols: { qt_mark: number; qt_mark_window: number };
  /** the compiler command line (for logs) */
  command: string;
}

export function run(cmd: string, args: string[], what: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT')
    fail('QT607', `${cmd} not found: install the Arm GNU toolchain (gcc-arm-none-eabi libnewlib-arm-none-eabi; tools/setup-system.sh does it)`);
  if (r.status !== 0) {
    const out = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim();
    if (/RAM budget exceeded|region .* overflowed/.test(out)) fail('QT501', `${what}: the image does not fit the board's memory:\n${out}`);
    fail('QT607', `${what} failed (${cmd} exit ${r.status ?? r.signal}):\n${out}`);
  }
  return r.stdout;
}

/** Builds <outDir>/fw.elf for the model folder and board. Throws QT607 (toolchain/build), QT501 (too big). */
export function buildFirmware(opts: BuildFirmwareOptions): FirmwareImage {
  const board = firmwareBoard(opts.board);
  const model = readCompiledModel(resolve(opts.modelDir));
  if (model.target && model.target !== 'host' && model.target !== board.target)
    fail('QT002', `${model.dir} was compiled for ${model.target}; board ${board.name} is a ${board.target} (compile with --board ${board.name})`);
  const outDir = resolve(opts.outDir ?? join(model.dir, `fw-${board.name}`));
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'qt_fw_model.h'), modelGlueHeader(model));

  const c = firmwareC;
  const sources = [
    join(c, 'startup.c'),
    join(c, 'serial.c'),
    join(c, 'proto.c'),
    join(c, 'crc32.c'),
    join(c, 'fw_run.c'),
    join(c, 'fw_aot.c'),
    join(c, 'qt_mark.S'),
    join(c, 'boards', `${board.name}.c`),
    ...board.drivers.map((d) => join(c, 'drivers', d)),
    ...model.sources.map((s) => join(model.dir, s)),
  ];
  const elf = join(outDir, 'fw.elf');
  const map = join(outDir, 'fw.map');
  const args = [
    ...targets[board.target].cpuFlags,
    '-std=c99',
    '-O2',
    '-g',
    '-Wall',
    '-Wextra',
    '-Werror',
    '-ffunction-sections',
    '-fdata-sections',
    '-ffreestanding',
    // the model's QT_LAYER_DONE hook goes to the firmware (harmless for the other sources)
    '-include',
    join(c, 'fw_hook.h'),
    `-I${c}`,
    `-I${outDir}`,
    `-I${model.dir}`,
    ...(opts.cflags ?? []),
    ...sources,
    '-nostartfiles',
    '--specs=nano.specs',
    `-L${c}`,
    '-T',
    join(c, 'boards', `${board.name}.ld`),
    '-Wl,--gc-sections',
    `-Wl,-Map=${map}`,
    '-o',
    elf,
  ];
  run(CC, args, `building the ${board.name} firmware for ${model.name}`);

  const { size, symbols } = inspectElf(elf);
  return {
    elf,
    map,
    board,
    model,
    size,
    symbols,
    command: [CC, ...args].join(' '),
  };
}

/** Section sizes and the plugin's marker symbols of a linked firmware image. */
export function inspectElf(elf: string): { size: FirmwareImage['size']; symbols: FirmwareImage['symbols'] } {
  const sections = new Map<string, number>();
  for (const line of run(SIZE, ['-A', elf], 'reading section sizes').split('\n')) {
    const m = /^(\.\S+)\s+(\d+)\s+\d+/.exec(line);
    if (m) sections.set(m[1]!, Number(m[2]));
  }
  const sec = (n: string) => sections.get(n) ?? 0;
  const text = sec('.text') + sec('.ARM.exidx');
  const data = sec('.data');
  const bss = sec('.bss');
  const stack = sec('.stack');

  const symbols = { qt_mark: -1, qt_mark_window: -1 };
  for (const line of run(NM, [elf], 'reading symbols').split('\n')) {
    const m = /^([0-9a-f]+)\s+\w\s+(qt_mark|qt_mark_window)$/.exec(line.trim());
    if (m) symbols[m[2] as keyof typeof symbols] = parseInt(m[1]!, 16);
  }
  if (symbols.qt_mark < 0 || symbols.qt_mark_window < 0) fail('QT607', `${elf}: qt_mark / qt_mark_window missing from the image`);
  symbols.qt_mark &= ~1; // a Thumb function's symbol may carry bit 0

  return { size: { flash: text + data, ram: data + bss + stack, text, data, bss, stack }, symbols };
}
