/**
 * `kbloat blame`: being written (issue 18).
 */
import { BadArgument } from './args';

export function runBlame(argv: string[]): number {
  throw new BadArgument(`blame is not available yet (${argv.length} arguments)`);
}
