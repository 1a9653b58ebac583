import { boards, type Board } from '@qtool/codegen';
import { fail } from '@qtool/ir';

// What the firmware adds to a board of @qtool/codegen (CPU and memory budget): its C file and linker script
// under firmware/c/boards/, the UART driver it links, and the QEMU machine that emulates it (none: build only).

export interface FirmwareBoard extends Board {
  /** driver sources (under firmware/c/drivers) the board's C file uses */
  drivers: string[];
  /** `qemu-system-arm -M <machine>`; undefined when QEMU has no model of the board */
  qemuMachine?: string;
}

const extra: Record<string, { drivers: string[]; qemuMachine?: string }> = {
  'mps2-an386': { drivers: ['cmsdk_uart.c'], qemuMachine: 'mps2-an386' },
  'mps3-an547': { drivers: ['cmsdk_uart.c'], qemuMachine: 'mps3-an547' },
  lm3s6965evb: { drivers: ['pl011.c'], qemuMachine: 'lm3s6965evb' },
  'nucleo-l4r5zi': { drivers: [] },
};

export const firmwareBoards: Record<string, FirmwareBoard> = Object.fromEntries(
  Object.entries(extra).map(([name, e]) => [name, { ...boards[name]!, ...e }]),
);

/** The boards QEMU can run (the others build only). */
export const emulatedBoards = Object.values(firmwareBoards).filter((b) => b.qemuMachine).map((b) => b.name);

export function firmwareBoard(name: string): FirmwareBoard {
  const b = firmwareBoards[name];
  if (!b) fail('QT002', `unknown board '${name}' (firmware exists for: ${Object.keys(firmwareBoards).join(', ')})`);
  return b;
}
