import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runtimeDir, targets } from '@qtool/codegen';
import { firmwareBoard, type FirmwareBoard } from './boards.js';
import { firmwareC, inspectElf, run, type FirmwareImage } from './build.js';

// Builds the resident-runtime firmware (blob mode, c/fw_blob.c): no model linked in, the portable kernels of
// the C runtime (packages/codegen/runtime), and RAM for two model-image slots (active + staging) and one work
// region (the active model's inputs, outputs, arena and scratch). The build depends only on the board and the
// flags, so it is cached: every model of a board loads into the same ELF (the point of blob mode).

/** The runtime sources with the portable kernels (the fast M4/M55 variants are aot-only). */
export const PORTABLE_KERNEL_SOURCES = ['qt_mac.c', 'qt_elementwise.c', 'qt_move.c', 'qt_pool.c', 'qt_softmax.c'];

/** RAM the firmware keeps for itself (stack, RX ring, frames, state), as RAM_RESERVE in @qtool/codegen. */
const FIRMWARE_RAM = 8 * 1024;

/** How blob firmware splits a board's RAM: a quarter for the work region, the rest for two equal image slots. */
export function blobMemory(board: FirmwareBoard): { workBytes: number; slotBytes: number } {
  const free = board.ram - FIRMWARE_RAM;
  const down16 = (n: number) => Math.floor(n / 16) * 16;
  const workBytes = down16(free / 4);
  return { workBytes, slotBytes: down16((free - workBytes) / 2) };
}

export interface BlobFirmwareImage extends Omit<FirmwareImage, 'model'> {
  /** RAM for the active model's inputs, outputs, arena and scratch (INFO's arena bytes) */
  workBytes: number;
  /** the largest model image (INFO's storage bytes) */
  slotBytes: number;
  /** true when an identical build was found in the cache */
  reused: boolean;
}

export interface BuildBlobFirmwareOptions {
  board: string;
  /** default: $TMPDIR/qtool-fw-blob/<board>-<hash of sources and flags> (reused when present) */
  outDir?: string;
  /** extra compiler flags (tests: -DQT_TEST_FAULT_LAYER=n) */
  cflags?: string[];
}

const CC = 'arm-none-eabi-gcc';

/** Builds (or reuses) fw.elf of the resident runtime for a board. Throws QT607 (toolchain/build), QT501. */
export function buildBlobFirmware(opts: BuildBlobFirmwareOptions): BlobFirmwareImage {
  const board = firmwareBoard(opts.board);
  const { workBytes, slotBytes } = blobMemory(board);
  const c = firmwareC;
  const sources = [
    join(c, 'startup.c'),
    join(c, 'serial.c'),
    join(c, 'proto.c'),
    join(c, 'crc32.c'),
    join(c, 'fw_run.c'),
    join(c, 'fw_blob.c'),
    join(c, 'qt_mark.S'),
    join(c, 'boards', `${board.name}.c`),
    ...board.drivers.map((d) => join(c, 'drivers', d)),
    ...PORTABLE_KERNEL_SOURCES.map((s) => join(runtimeDir, s)),
  ];
  const flags = [
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
    `-DQT_BLOB_WORK_BYTES=${workBytes}u`,
    `-DQT_BLOB_SLOT_BYTES=${slotBytes}u`,
    `-I${c}`,
    `-I${runtimeDir}`,
    ...(opts.cflags ?? []),
  ];
  // the cache key: every source and header the build reads, and the flags
  const key = createHash('sha256');
  for (const f of [...sources, ...headersOf(c), ...headersOf(runtimeDir), join(c, 'common.ld'), join(c, 'boards', `${board.name}.ld`)]) key.update(f).update(readFileSync(f));
  key.update(flags.join(' '));
  const outDir = resolve(opts.outDir ?? join(tmpdir(), 'qtool-fw-blob', `${board.name}-${key.digest('hex').slice(0, 16)}`));
  const elf = join(outDir, 'fw.elf');
  const map = join(outDir, 'fw.map');
  const args = [...flags, ...sources, '-nostartfiles', '--specs=nano.specs', `-L${c}`, '-T', join(c, 'boards', `${board.name}.ld`), '-Wl,--gc-sections', `-Wl,-Map=${map}`];
  const command = [CC, ...args, '-o', elf].join(' ');
  let reused = opts.outDir === undefined && existsSync(elf);
  if (!reused) {
    mkdirSync(outDir, { recursive: true });
    // link to a temporary name, then rename: a concurrent build never sees a half-written ELF
    const tmp = join(outDir, `fw.${process.pid}.elf`);
    try {
      run(CC, [...args, '-o', tmp], `building the ${board.name} blob firmware`);
      renameSync(tmp, elf);
    } finally {
      rmSync(tmp, { force: true });
    }
    reused = false;
  }
  const { size, symbols } = inspectElf(elf);
  return { elf, map, board, size, symbols, command, workBytes, slotBytes, reused };
}

function headersOf(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.h'))
    .sort()
    .map((f) => join(dir, f));
}

