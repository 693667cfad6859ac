/**
 * `kbloat history FILE`: a history file as a table, or as a standalone HTML
 * page with the chart. `kbloat history merge FILE... --source TREE --out FILE`:
 * the histories of a sweep's shards joined into one, in the commit order of the
 * kernel's git tree, with the expected revisions that no shard built listed.
 */
import { statSync, writeFileSync } from 'node:fs';
import { isFile } from '../common/fsRead';
import { historyHtml } from '../render/historyPage';
import { historyTable } from '../render/historyText';
import { mergeHistories, MergeGap, readHistory, writeHistory } from '../tracker/history';
import { BadArgument, parseOptions } from './args';

export function runHistory(argv: string[]): number {
  // A history file named "merge" is still read as ./merge.
  if (argv[0] === 'merge') return runHistoryMerge(argv.slice(1));
  const o = parseOptions(argv, ['--html', '--title'], []);
  if (o.positional.length !== 1) throw new BadArgument('history needs one history file: kbloat history FILE [--html OUT.html]');
  const file = o.positional[0];
  if (!isFile(file)) throw new BadArgument(`${file}: no such history file`);
  const records = readHistory(file);
  const html = o.values.get('--html');
  if (html === undefined) process.stdout.write(historyTable(records));
  else {
    writeFileSync(html, historyHtml(records, { title: o.values.get('--title') }));
    process.stdout.write(`${records.length} labels -> ${html}\n`);
  }
  return 0;
}

/** Where a missing revision would have been, in words. */
function gapPlace(g: MergeGap): string {
  if (g.commit === null) return 'no such revision in the tree';
  if (g.after !== null && g.before !== null) return `between ${g.after} and ${g.before}`;
  if (g.after !== null) return `after ${g.after}, the last merged record`;
  if (g.before !== null) return `before ${g.before}, the first merged record`;
  return 'no history holds any record';
}

function runHistoryMerge(argv: string[]): number {
  const o = parseOptions(argv, ['--source', '--out', '--expect'], []);
  const usage = 'kbloat history merge FILE... --source TREE --out FILE [--expect REV1,REV2,...]';
  if (o.positional.length === 0) throw new BadArgument(`history merge needs the history files to merge: ${usage}`);
  const source = o.values.get('--source');
  const out = o.values.get('--out');
  if (!source) throw new BadArgument(`history merge needs --source TREE (the git tree whose commit order the merged history follows): ${usage}`);
  if (!out) throw new BadArgument(`history merge needs --out FILE: ${usage}`);
  if (!statSync(source).isDirectory()) throw new BadArgument(`${source} is not a folder`);
  for (const f of o.positional) if (!isFile(f)) throw new BadArgument(`${f}: no such history file`);
  const expectText = o.values.get('--expect');
  const expect = expectText === undefined ? [] : expectText.split(',').map((r) => r.trim()).filter(Boolean);
  if (expectText !== undefined && expect.length === 0) throw new BadArgument('--expect names no revision');

  const merged = mergeHistories(o.positional, source, expect);
  writeHistory(out, merged.records);
  for (const [a, b] of merged.unrelated) process.stderr.write(`kbloat history merge: note: ${a} and ${b} are on different branches; their order is git's topological order\n`);
  for (const g of merged.gaps) process.stderr.write(`kbloat history merge: gap: ${g.rev} (${gapPlace(g)}) is in no history\n`);
  const files = o.positional.length;
  process.stdout.write(`merged ${merged.records.length} records from ${files} file${files === 1 ? '' : 's'} -> ${out}${merged.gaps.length ? `; ${merged.gaps.length} expected revision${merged.gaps.length === 1 ? '' : 's'} missing: ${merged.gaps.map((g) => g.rev).join(', ')}` : ''}\n`);
  return merged.gaps.length ? 1 : 0;
}
