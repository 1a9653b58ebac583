import { fail } from '@qtool/ir';

export async function run(_model: string, _opts: unknown): Promise<void> {
  fail('QT002', 'run is not implemented yet');
}
