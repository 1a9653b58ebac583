import type { Graph, Tensor } from '@qtool/ir';
import { buildFirmware, DeviceLink, launchQemu } from '@qtool/firmware';
import { runInt } from '@qtool/sim';

// One compiled model folder on an emulated board: its firmware built, run under QEMU, every input's output bytes
// read back over the serial protocol and compared with the integer simulator's (no tolerance).

export interface Job {
  label: string;
  dir: string;
  graph: Graph;
  inputs: Tensor[][];
}

/** Runs every job's inputs on the board's firmware; returns the mismatch messages. */
export async function runOnBoard(board: string, job: Job): Promise<string[]> {
  const image = buildFirmware({ modelDir: job.dir, board });
  const qemu = await launchQemu({ board, elf: image.elf });
  const bad: string[] = [];
  let link: DeviceLink | undefined;
  try {
    link = await DeviceLink.open(qemu.pty);
    await link.hello();
    for (const [s, ins] of job.inputs.entries()) {
      const bytes = new Uint8Array(ins.flatMap((t) => Array.from(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength))));
      const { output } = await link.infer(bytes, image.model.outputBytes);
      const sim = runInt(job.graph, new Map(job.graph.inputs.map((n, k) => [n, ins[k]!])));
      let off = 0;
      for (const o of job.graph.outputs) {
        const want = sim.get(o)!.data as Int8Array;
        const have = new Int8Array(output.buffer, output.byteOffset + off, want.length);
        const i = want.findIndex((v, j) => v !== have[j]);
        if (i >= 0) bad.push(`${board} ${job.label}: input ${s}, output '${o}' element ${i}: board ${have[i]} vs sim ${want[i]}`);
        off += want.length;
      }
    }
  } finally {
    await link?.close();
    await qemu.stop();
  }
  return bad;
}

