// Every diagnostic qtool can report lives in this one table. Codes are stable: tests, docs and users match on them.
// Ranges: QT0xx usage and files, QT1xx model readers, QT2xx graph and shapes, QT3xx tensors (.npy),
// QT4xx quantizer, QT5xx code generation and boards, QT6xx serial protocol and flasher.

export const diagnosticTable = {
  QT001: 'file not found or unreadable',
  QT002: 'invalid command-line usage',
  QT003: 'internal error (a bug in qtool: please report it with the model)',
  QT004: 'output path problem',
  QT010: 'unknown model format (neither ONNX nor TFLite)',

  QT100: 'malformed ONNX file',
  QT101: 'ONNX model uses external data, which qtool does not read',
  QT102: 'unsupported ONNX operator',
  QT103: 'unsupported ONNX attribute or attribute value',
  QT104: 'invalid ONNX graph structure',
  QT105: 'unsupported ONNX tensor data type',
  QT106: 'unsupported ONNX opset or domain',
  QT107: 'ONNX input shape could not be determined',

  QT120: 'malformed TFLite file',
  QT121: 'unsupported TFLite operator',
  QT122: 'unsupported TFLite option or tensor property',
  QT123: 'invalid TFLite graph structure',
  QT124: 'unsupported TFLite tensor type',

  QT200: 'graph verification failed',
  QT201: 'shape inference failed',
  QT202: 'operator not in the registry',
  QT203: 'unsupported data type for operator',

  QT300: 'malformed .npy file',
  QT301: 'unsupported .npy dtype or layout',
  QT302: 'input tensor does not match the model input',

  QT400: 'quantization failed',
  QT401: 'calibration data problem',

  QT500: 'code generation failed',
  QT501: 'model does not fit the target memory',

  QT600: 'serial frame error',
  QT601: 'device reported an error',
  QT602: 'timed out waiting for the device',
  QT603: 'device output differs from the simulator',
  QT604: 'device speaks an unsupported protocol version',
  QT605: 'device holds a different model than the folder',
  QT606: 'serial port or board emulator unavailable',
  QT607: 'firmware build failed (cross toolchain missing, or a compile or link error)',
} as const;

export type DiagnosticCode = keyof typeof diagnosticTable;

/** Where a problem is: any of a file and byte offset, a node, a field path. */
export interface Location {
  file?: string;
  offset?: number;
  node?: string;
  field?: string;
}

export interface Diagnostic {
  code: DiagnosticCode;
  message: string;
  where?: Location;
}

export function formatDiagnostic(d: Diagnostic): string {
  const parts: string[] = [];
  if (d.where?.file) parts.push(d.where.file);
  if (d.where?.offset !== undefined) parts.push(`byte ${d.where.offset}`);
  if (d.where?.field) parts.push(`field ${d.where.field}`);
  if (d.where?.node !== undefined) parts.push(`node '${d.where.node}'`);
  const at = parts.length ? `${parts.join(', ')}: ` : '';
  return `${d.code} ${at}${d.message}`;
}

/** The one error type qtool throws on purpose. It carries one or more coded diagnostics. */
export class QtError extends Error {
  readonly diagnostics: Diagnostic[];

  constructor(diagnostics: Diagnostic | Diagnostic[]) {
    const list = Array.isArray(diagnostics) ? diagnostics : [diagnostics];
    if (list.length === 0) throw new Error('QtError needs at least one diagnostic');
    super(list.map(formatDiagnostic).join('\n'));
    this.name = 'QtError';
    this.diagnostics = list;
  }

  get code(): DiagnosticCode {
    return this.diagnostics[0]!.code;
  }
}

/** Throw a single coded diagnostic. */
export function fail(code: DiagnosticCode, message: string, where?: Location): never {
  throw new QtError({ code, message, where });
}

/** Collects diagnostics so a reader can report every problem at once, then throws them together. */
export class DiagnosticBag {
  readonly items: Diagnostic[] = [];

  add(code: DiagnosticCode, message: string, where?: Location): void {
    this.items.push({ code, message, where });
  }

  get empty(): boolean {
    return this.items.length === 0;
  }

  throwIfAny(): void {
    if (this.items.length) throw new QtError(this.items);
  }
}
