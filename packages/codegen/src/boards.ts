import type { TargetName } from './target.js';

// Boards qtool knows: CPU (which target's code they run) and the memory a model may use. The emulated boards
// use the memory of the QEMU machine's RAM blocks; nucleo-l4r5zi is the MLPerf Tiny reference board.

export interface Board {
  name: string;
  target: TargetName;
  /** bytes of flash (or code memory) for code + weights */
  flash: number;
  /** bytes of RAM for arena + scratch + stack + runtime */
  ram: number;
  /** what the numbers are */
  note: string;
}

const KiB = 1024;
const MiB = 1024 * KiB;

export const boards: Record<string, Board> = {
  'mps2-an386': { name: 'mps2-an386', target: 'cortex-m4', flash: 4 * MiB, ram: 4 * MiB, note: 'Arm MPS2 AN386 (Cortex-M4): 4 MiB SSRAM1 for code, 4 MiB SSRAM2/3 for data' },
  'mps3-an547': { name: 'mps3-an547', target: 'cortex-m55', flash: 512 * KiB, ram: 512 * KiB, note: 'Arm MPS3 AN547 (Cortex-M55): 512 KiB ITCM for code, 512 KiB DTCM for data' },
  lm3s6965evb: { name: 'lm3s6965evb', target: 'cortex-m3', flash: 256 * KiB, ram: 64 * KiB, note: 'TI Stellaris LM3S6965 (Cortex-M3): 256 KiB flash, 64 KiB SRAM' },
  'nucleo-l4r5zi': { name: 'nucleo-l4r5zi', target: 'cortex-m4', flash: 2 * MiB, ram: 640 * KiB, note: 'ST Nucleo-L4R5ZI (STM32L4R5, Cortex-M4): 2 MiB flash, 640 KiB SRAM' },
};

/** Bytes the firmware around a model needs on top of the arena (stack, runtime state, UART buffers). */
export const RAM_RESERVE = 8 * KiB;
