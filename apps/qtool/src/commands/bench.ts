import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchFirmware, emulatedBoards } from '@qtool/firmware';
import { fail } from '@qtool/ir';
import { formatInt, table } from '../table.js';

export interface BenchOptions {
  board?: string;
  json?: boolean;
}

/**
 * `qtool bench <dir> --board <b> [--json]`: links the compiled folder into the board's firmware, runs one
 * inference under QEMU with the instruction-count plugin, and prints guest instructions per inference and per
 * layer (exact and repeatable: QEMU models no cycles) plus flash and RAM of the linked image.
 */
export async function bench(dir: string, opts: BenchOptions): Promise<void> {
  const board = opts.board ?? compiledBoard(dir);
  if (!board) fail('QT002', `--board is required (${emulatedBoards.join(' | ')})`);
  if (!emulatedBoards.includes(board)) fail('QT002', `bench runs on an emulated board (${emulatedBoards.join(', ')}); '${board}' is not one`);
  if (!opts.json) process.stderr.write(`building the ${board} firmware for ${dir} and running it under qemu-system-arm...\n`);
  const r = await benchFirmware({ modelDir: dir, board });
  if (opts.json) {
    process.stdout.write(JSON.stringify(r, null, 1) + '\n');
    return;
  }
  const share = (n: number) => `${((100 * n) / r.instructions).toFixed(1)}%`;
  process.stdout.write(
    `${r.model} on ${r.board} (QEMU, guest instructions counted by the TCG plugin; input: ${r.input})\n\n` +
      table(
        ['#', 'layer', 'op', 'instructions', 'share'],
        r.layers.map((l) => [String(l.index), l.name ?? '', l.op ?? '', l.instructions, share(l.instructions)]),
      ) +
      `\ninstructions per inference: ${formatInt(r.instructions)} (layer rows include the per-layer hook, a few dozen each)` +
      `\nflash: ${formatInt(r.flash)} bytes (code + weights ${formatInt(r.size.text)}, .data ${formatInt(r.size.data)})` +
      `\nRAM:   ${formatInt(r.ram)} bytes (.data ${formatInt(r.size.data)}, .bss ${formatInt(r.size.bss)} incl. arena and UART buffers, stack ${formatInt(r.size.stack)})` +
      `\nimage: ${r.elf}\n`,
  );
}

/** The board a folder was compiled for (report.json), if any. */
function compiledBoard(dir: string): string | undefined {
  const p = join(dir, 'report.json');
  if (!existsSync(p)) return undefined;
  try {
    return (JSON.parse(readFileSync(p, 'utf8')) as { board?: string }).board;
  } catch {
    return undefined;
  }
}
