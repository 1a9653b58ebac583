import { fail } from '@qtool/ir';
import type { Transport } from './transport.js';

/**
 * Opens a serial port by path: a board's USB serial adapter (/dev/ttyACM0) or an emulator's pty (/dev/pts/N).
 * Opening by path needs no `udevadm` (SerialPort.list() does). A port that cannot be opened is QT606.
 */
export async function openSerial(path: string, baudRate = 115200): Promise<Transport> {
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve()))).catch((e: Error) =>
    fail('QT606', `cannot open serial port ${path}: ${e.message}`),
  );
  let receiver: (chunk: Uint8Array) => void = () => {};
  port.on('data', (b: Buffer) => receiver(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
  // a port that disappears (USB unplugged, emulator gone) shows up as timeouts naming the request
  port.on('error', () => {});
  return {
    name: path,
    write: (bytes) => void port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)),
    onData: (fn) => (receiver = fn),
    close: () => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())),
  };
}
