// A byte stream to a device: a serial port (a board's USB serial adapter, an emulator's pty) or an in-memory
// link in tests. The flasher only writes bytes and receives chunks; framing is @qtool/protocol's.

export interface Transport {
  /** a name for messages: the port path, 'emulated mps2-an386', 'memory' */
  readonly name: string;
  write(bytes: Uint8Array): void;
  /** the one receiver of incoming chunks (a later call replaces it) */
  onData(fn: (chunk: Uint8Array) => void): void;
  close(): Promise<void>;
}

/** A transport over a pair of Node streams (a child process's stdio, a socket). */
export function streamTransport(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, name: string): Transport {
  let receiver: (chunk: Uint8Array) => void = () => {};
  input.on('data', (b: Buffer) => receiver(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
  return {
    name,
    write: (bytes) => void output.write(Buffer.from(bytes)),
    onData: (fn) => (receiver = fn),
    close: async () => {},
  };
}
