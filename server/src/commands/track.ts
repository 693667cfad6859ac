/**
 * `kbloat track`: one build's figures added to a history file under a label.
 */
import { loadIndex } from '../index/cache';
import { humanSize } from '../shared/units';
import { addRecord, readConfigText, recordFromIndex } from '../tracker/history';
import { BadArgument, parseOptions } from './args';

export function runTrack(argv: string[]): number {
  const o = parseOptions(argv, ['--history', '--label'], ['--replace', '--no-cache']);
  if (o.positional.length > 1) throw new BadArgument(`unexpected argument ${o.positional[1]}`);
  const history = o.values.get('--history');
  const label = o.values.get('--label');
  if (!history) throw new BadArgument('track needs --history FILE');
  if (!label) throw new BadArgument('track needs --label LABEL');
  const dir = o.positional[0] ?? '.';
  const { index } = loadIndex(dir, { noCache: o.flags.has('--no-cache') });
  const record = recordFromIndex(index, label, readConfigText(dir));
  addRecord(history, record, o.flags.has('--replace'));
  process.stdout.write(`${label}: resident ${humanSize(record.totals.resident)}, image ${humanSize(record.totals.image)} -> ${history}\n`);
  return 0;
}
