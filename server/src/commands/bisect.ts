/**
 * `kbloat bisect`: being written (issue 18).
 */
import { BadArgument } from './args';

export function runBisect(argv: string[]): number {
  throw new BadArgument(`bisect is not available yet (${argv.length} arguments)`);
}
