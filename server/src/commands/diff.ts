/**
 * `kbloat diff OLD NEW`: two builds compared, as our table, as JSON, as the
 * markdown of a pull request comment, or in the kernel's scripts/bloat-o-meter
 * format (byte for byte).
 */
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { KbloatInputError } from '../common/errors';
import { isFile } from '../common/fsRead';
import { loadIndex } from '../index/cache';
import { locateBuild } from '../kbuild/layout';
import { formatDiffMarkdown } from '../render/diffMarkdown';
import { formatDiff } from '../render/diffText';
import { BloatOMeterMode, bloatOMeterFiles, formatBloatOMeter } from '../tracker/bloatOMeter';
import { DiffFilter, diffBuilds, readBuildConfig } from '../tracker/diff';
import { BadArgument, parseOptions, topOf } from './args';

/** The vmlinux that scripts/bloat-o-meter would be given: the file itself, or BUILD/vmlinux. */
function vmlinuxOf(arg: string): string {
  const layout = locateBuild(arg);
  const given = statSync(arg).isFile();
  const file = given ? layout.vmlinux : isFile(path.join(layout.buildDir, 'vmlinux')) ? path.join(layout.buildDir, 'vmlinux') : layout.vmlinux;
  if (!file) throw new KbloatInputError('not-a-build', `no vmlinux in ${arg}; bloat-o-meter compares the symbols of two vmlinux files`);
  return file;
}

export function runDiff(argv: string[]): number {
  const o = parseOptions(argv, ['--format', '--only', '--top'], ['--split', '--json', '--no-cache']);
  if (o.positional.length !== 2) throw new BadArgument('diff needs two builds: kbloat diff OLD NEW');
  const [oldArg, newArg] = o.positional;
  const format = o.values.get('--format') ?? 'table';
  if (format !== 'table' && format !== 'bloat-o-meter' && format !== 'markdown') throw new BadArgument(`--format must be table, markdown or bloat-o-meter, not "${format}"`);
  const only = o.values.get('--only');
  if (only !== undefined && only !== 'code' && only !== 'data') throw new BadArgument(`--only must be code or data, not "${only}"`);
  const split = o.flags.has('--split');
  // bloat-o-meter's -c, -d and -t exclude each other.
  if (split && only) throw new BadArgument('--split and --only cannot be combined');
  const top = topOf(o.values.get('--top'));
  const json = o.flags.has('--json');
  if (format === 'markdown' && json) throw new BadArgument('--format markdown and --json cannot be combined');
  if (format === 'bloat-o-meter') {
    const mode: BloatOMeterMode = split ? 'split' : only === 'code' ? 'code' : only === 'data' ? 'data' : 'all';
    const sections = bloatOMeterFiles(vmlinuxOf(oldArg), vmlinuxOf(newArg), mode);
    process.stdout.write(json ? JSON.stringify({ format: 'bloat-o-meter', mode, sections }, null, 1) + '\n' : formatBloatOMeter(sections));
    return 0;
  }
  const noCache = o.flags.has('--no-cache');
  const oldIndex = loadIndex(oldArg, { noCache }).index;
  const newIndex = loadIndex(newArg, { noCache }).index;
  const diff = diffBuilds(oldIndex, newIndex, { only: (only as DiffFilter | undefined) ?? 'all', oldConfig: readBuildConfig(oldArg), newConfig: readBuildConfig(newArg) });
  if (format === 'markdown') {
    // A comment shows fewer rows open than the terminal table; the rest are folded.
    process.stdout.write(formatDiffMarkdown(diff, { top: o.values.has('--top') ? top : 10, split }));
    return 0;
  }
  process.stdout.write(json ? JSON.stringify(diff, null, 1) + '\n' : formatDiff(diff, { top, split }));
  return 0;
}
