/**
 * `kbloat history FILE`: a history file as a table, or as a standalone HTML
 * page with the chart.
 */
import { writeFileSync } from 'node:fs';
import { isFile } from '../common/fsRead';
import { historyHtml } from '../render/historyPage';
import { historyTable } from '../render/historyText';
import { readHistory } from '../tracker/history';
import { BadArgument, parseOptions } from './args';

export function runHistory(argv: string[]): number {
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
