import { spawn, type ChildProcess } from 'node:child_process';
import { fail, QtError, type DiagnosticCode } from '@qtool/ir';
import { firmwareBoard } from './boards.js';

// Launches an emulated board: qemu-system-arm -M <machine> -nographic -kernel fw.elf -serial pty -monitor none.
// QEMU prints "char device redirected to /dev/pts/N (label serial0)"; the board's first UART is that pty, which
// a serial client (serialport, or a raw tty) opens like a USB serial adapter. Every wait has a timeout and stop()
// always ends QEMU (SIGTERM, then SIGKILL).

export interface LaunchOptions {
  board: string;
  elf: string;
  /** a TCG plugin (.so) and its arguments (QEMU 7.2: -plugin file,name=value,...) */
  plugin?: { path: string; args?: Record<string, string | number> };
  /** how long to wait for the pty line (default 10 s) */
  timeoutMs?: number;
  qemu?: string;
}

export interface QemuBoard {
  /** the pty the board's UART0 is connected to, e.g. /dev/pts/3 */
  pty: string;
  pid: number;
  /** the full command line */
  command: string[];
  /** stdout + stderr so far (QEMU's messages) */
  log(): string;
  /** resolves with the exit code (or signal) when QEMU ends */
  exited: Promise<number | string | null>;
  /** ends QEMU; resolves once it has exited (SIGKILL after killTimeoutMs, default 2 s) */
  stop(killTimeoutMs?: number): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function killAllOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // a test runner or CLI that exits without calling stop() must not leave an emulator behind
  process.on('exit', () => {
    for (const p of running) p.kill('SIGKILL');
  });
}

export function qemuArgs(o: LaunchOptions): string[] {
  const b = firmwareBoard(o.board);
  if (!b.qemuMachine) fail('QT606', `board ${b.name} has no QEMU model (build only); emulated boards: mps2-an386, mps3-an547, lm3s6965evb`);
  const args = ['-M', b.qemuMachine, '-nographic', '-kernel', o.elf, '-serial', 'pty', '-monitor', 'none'];
  if (o.plugin) {
    const extra = Object.entries(o.plugin.args ?? {}).map(([k, v]) => {
      if (/[,=]/.test(k) || /,/.test(String(v))) fail('QT002', `plugin argument ${k}=${v}: QEMU option values cannot hold commas`);
      return `,${k}=${v}`;
    });
    args.push('-plugin', `${o.plugin.path}${extra.join('')}`);
  }
  return args;
}

export function launchQemu(o: LaunchOptions): Promise<QemuBoard> {
  const qemu = o.qemu ?? 'qemu-system-arm';
  const args = qemuArgs(o);
  const timeoutMs = o.timeoutMs ?? 10_000;
  killAllOnExit();
  return new Promise((resolvePty, rejectPty) => {
    const child = spawn(qemu, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let text = '';
    let settled = false;
    const exited = new Promise<number | string | null>((res) => {
      child.on('exit', (code, signal) => {
        running.delete(child);
        res(code ?? signal);
      });
    });
    const stop = async (killTimeoutMs = 2000): Promise<void> => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), killTimeoutMs);
      await exited;
      clearTimeout(timer);
    };
    const give = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      f();
    };
    const timer = setTimeout(
      () => give(() => void stop().then(() => rejectPty(qtError('QT606', `${qemu} printed no pty within ${timeoutMs} ms: ${text.trim() || '(no output)'}`)))),
      timeoutMs,
    );
    const onData = (d: Buffer) => {
      text += d.toString('utf8');
      const m = /char device redirected to (\/dev\/pts\/\d+)/.exec(text);
      if (m) give(() => resolvePty({ pty: m[1]!, pid: child.pid!, command: [qemu, ...args], log: () => text, exited, stop }));
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('error', (e: NodeJS.ErrnoException) =>
      give(() =>
        rejectPty(
          qtError('QT606', e.code === 'ENOENT' ? `${qemu} not found: install qemu-system-arm (tools/setup-system.sh does it)` : `${qemu}: ${e.message}`),
        ),
      ),
    );
    void exited.then((code) => give(() => rejectPty(qtError('QT606', `${qemu} exited (${code}) before giving a pty: ${text.trim()}`))));
  });
}

// fail() throws; inside callbacks the promise is rejected with the error object instead
function qtError(code: DiagnosticCode, message: string): QtError {
  return new QtError({ code, message });
}
