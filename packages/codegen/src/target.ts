// Targets: what the generated C is compiled for. Boards add memory budgets on top (boards.ts).

export type TargetName = 'host' | 'cortex-m0plus' | 'cortex-m3' | 'cortex-m4' | 'cortex-m55';

export interface Target {
  name: TargetName;
  /** the compiler the Makefile uses */
  cc: string;
  /** CPU flags for the compiler */
  cpuFlags: string[];
  /** which kernel family the emitter may pick (issue: fast kernels); 'portable' is plain C99 */
  kernels: 'portable' | 'dsp' | 'mve';
}

export const targets: Record<TargetName, Target> = {
  host: { name: 'host', cc: 'cc', cpuFlags: [], kernels: 'portable' },
  'cortex-m0plus': { name: 'cortex-m0plus', cc: 'arm-none-eabi-gcc', cpuFlags: ['-mcpu=cortex-m0plus', '-mthumb'], kernels: 'portable' },
  'cortex-m3': { name: 'cortex-m3', cc: 'arm-none-eabi-gcc', cpuFlags: ['-mcpu=cortex-m3', '-mthumb'], kernels: 'portable' },
  'cortex-m4': { name: 'cortex-m4', cc: 'arm-none-eabi-gcc', cpuFlags: ['-mcpu=cortex-m4', '-mthumb', '-mfloat-abi=soft'], kernels: 'dsp' },
  'cortex-m55': { name: 'cortex-m55', cc: 'arm-none-eabi-gcc', cpuFlags: ['-mcpu=cortex-m55', '-mthumb', '-mfloat-abi=hard'], kernels: 'mve' },
};

export function isTarget(s: string): s is TargetName {
  return s in targets;
}
