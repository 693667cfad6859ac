/**
 * `kbloat sweep`: builds revisions of a kernel git tree and tracks each; with
 * `--shard K/N`, only the K-th of every N revisions, so that N jobs share a list;
 * with `--modularized`, each revision is also rebuilt after `make yes2modconfig`.
 */
import { statSync } from 'node:fs';
import { Shard, shardRevs, sweep } from '../tracker/sweep';
import { BadArgument, parseOptions, takeRepeated } from './args';
import type { BuildIndex } from '../index/model';
import { modularizedFloor } from './track';

/** `K/N` with 1 <= K <= N, as `--shard` takes it (CI systems number their parallel jobs from 1). */
function parseShard(spec: string): Shard {
  const m = /^(\d{1,6})\/(\d{1,6})$/.exec(spec.trim());
  const shard = m ? { index: Number(m[1]), total: Number(m[2]) } : undefined;
  if (!shard || shard.index < 1 || shard.index > shard.total) {
    throw new BadArgument(`--shard needs K/N, the K-th of every N revisions with 1 <= K <= N (1/4 ... 4/4), not "${spec}"`);
  }
  return shard;
}

export function runSweep(argv: string[]): number {
  const { values: makeArgs, rest } = takeRepeated(argv, '--make-arg');
  const o = parseOptions(rest, ['--source', '--config', '--revs', '--history', '--out', '--shard'], ['--no-cache', '--modularized']);
  if (o.positional.length) throw new BadArgument(`unexpected argument ${o.positional[0]}`);
  const need = (name: string, what: string): string => {
    const v = o.values.get(name);
    if (!v) throw new BadArgument(`sweep needs ${name} ${what}`);
    return v;
  };
  const source = need('--source', 'TREE (a git work tree of the kernel)');
  const config = need('--config', 'TARGET (a make target that writes .config: tinyconfig, defconfig, ...)');
  const allRevs = need('--revs', 'REV1,REV2,...').split(',').map((r) => r.trim()).filter(Boolean);
  const history = need('--history', 'FILE');
  if (allRevs.length === 0) throw new BadArgument('--revs names no revision');
  const shardSpec = o.values.get('--shard');
  const shard = shardSpec === undefined ? undefined : parseShard(shardSpec);
  if (!statSync(source).isDirectory()) throw new BadArgument(`${source} is not a folder`);
  const log = (l: string): void => {
    process.stderr.write(`kbloat sweep: ${l}\n`);
  };
  const revs = shard ? shardRevs(allRevs, shard) : allRevs;
  if (shard) log(`shard ${shard.index}/${shard.total}: ${revs.length} of ${allRevs.length} revisions${revs.length ? `: ${revs.join(', ')}` : ''}`);
  const modularized = (index: BuildIndex, rev: string) => modularizedFloor(index, (l) => log(`${rev}: ${l}`));
  const result = sweep({ source, config, revs, history, out: o.values.get('--out'), makeArgs, noCache: o.flags.has('--no-cache'), modularizedBuild: o.flags.has('--modularized'), log, modularized });
  process.stdout.write(`built ${result.built.length}, skipped ${result.skipped.length} (already tracked), failed ${result.failed.length}${result.failed.length ? `: ${result.failed.join(', ')}` : ''}\n`);
  return result.failed.length ? 1 : 0;
}
