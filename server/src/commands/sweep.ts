/**
 * `kbloat sweep`: builds revisions of a kernel git tree and tracks each.
 */
import { statSync } from 'node:fs';
import { sweep } from '../tracker/sweep';
import { BadArgument, parseOptions } from './args';

export function runSweep(argv: string[]): number {
  // --make-arg may be given many times, so it is taken out before the common parser sees it.
  const makeArgs: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--make-arg') {
      if (argv[i + 1] === undefined) throw new BadArgument('--make-arg needs a value');
      makeArgs.push(argv[++i]);
    } else if (argv[i].startsWith('--make-arg=')) makeArgs.push(argv[i].slice('--make-arg='.length));
    else rest.push(argv[i]);
  }
  const o = parseOptions(rest, ['--source', '--config', '--revs', '--history', '--out'], ['--no-cache']);
  if (o.positional.length) throw new BadArgument(`unexpected argument ${o.positional[0]}`);
  const need = (name: string, what: string): string => {
    const v = o.values.get(name);
    if (!v) throw new BadArgument(`sweep needs ${name} ${what}`);
    return v;
  };
  const source = need('--source', 'TREE (a git work tree of the kernel)');
  const config = need('--config', 'TARGET (a make target that writes .config: tinyconfig, defconfig, ...)');
  const revs = need('--revs', 'REV1,REV2,...').split(',').map((r) => r.trim()).filter(Boolean);
  const history = need('--history', 'FILE');
  if (revs.length === 0) throw new BadArgument('--revs names no revision');
  if (!statSync(source).isDirectory()) throw new BadArgument(`${source} is not a folder`);
  const result = sweep({ source, config, revs, history, out: o.values.get('--out'), makeArgs, noCache: o.flags.has('--no-cache'), log: (l) => process.stderr.write(`kbloat sweep: ${l}\n`) });
  process.stdout.write(`built ${result.built.length}, skipped ${result.skipped.length} (already tracked), failed ${result.failed.length}${result.failed.length ? `: ${result.failed.join(', ')}` : ''}\n`);
  return result.failed.length ? 1 : 0;
}
