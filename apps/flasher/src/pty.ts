import { spawn } from 'node:child_process';
import { fail } from '@qtool/ir';
import { streamTransport, type Transport } from './transport.js';

// A pseudo-terminal whose far end is a Transport in this process: a serial client (the flasher through
// serialport) opens /dev/pts/N exactly as it opens an emulator's pty or a USB serial adapter, and a stand-in
// board (SimDevice) answers on the Transport. Node has no openpty, so a few lines of Python's standard library
// hold the pty and relay its master to this process over pipes.

const relay = `
import os, pty, select, sys, tty
m, s = pty.openpty()
tty.setraw(s)
sys.stderr.write(os.ttyname(s) + "\\n"); sys.stderr.flush()
inp, out = sys.stdin.fileno(), sys.stdout.fileno()
while True:
    r, _, _ = select.select([m, inp], [], [])
    if m in r:
        try: d = os.read(m, 4096)
        except OSError: d = b""
        if d: os.write(out, d)
    if inp in r:
        d = os.read(inp, 4096)
        if not d: break
        os.write(m, d)
`;

export interface PtyEnd {
  /** the slave side's path, e.g. /dev/pts/5 */
  path: string;
  /** the master side, for a stand-in board */
  transport: Transport;
  close(): Promise<void>;
}

export function openPty(python = process.env.QT_PYTHON ?? 'python3'): Promise<PtyEnd> {
  return new Promise<PtyEnd>((resolve, reject) => {
    const child = spawn(python, ['-u', '-c', relay], { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pty relay printed no path within 10 s: ${err}`));
    }, 10_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /^(\/dev\/\S+)\n/.exec(err);
      if (!m) return;
      clearTimeout(timer);
      const exited = new Promise<void>((res) => child.on('exit', () => res()));
      resolve({
        path: m[1]!,
        transport: streamTransport(child.stdout!, child.stdin!, `pty master of ${m[1]}`),
        close: async () => {
          child.stdin!.end();
          child.kill('SIGTERM');
          await exited;
        },
      });
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`pty relay exited (${code}): ${err}`));
    });
  }).catch((e: Error) => fail('QT606', `cannot create a pty: ${e.message}`));
}
