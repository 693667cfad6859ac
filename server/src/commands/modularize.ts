/**
 * `kbloat modularize`: what built-in code could be a module, what it would
 * save, and what blocks it.
 */
import { loadIndex } from '../index/cache';
import { ModularizeAnalysis } from '../modularize/analysis';
import { modularizeJson, modularizeTable } from '../render/modularizeText';
import { BadArgument, parseOptions, topOf } from './args';

export function runModularize(argv: string[]): number {
  const o = parseOptions(argv, ['--top'], ['--json', '--no-cache']);
  if (o.positional.length > 1) throw new BadArgument(`unexpected argument ${o.positional[1]}`);
  const top = topOf(o.values.get('--top'));
  const { index } = loadIndex(o.positional[0] ?? '.', { noCache: o.flags.has('--no-cache') });
  const report = ModularizeAnalysis.load(index).report(o.flags.has('--json') ? {} : { top });
  const json = o.flags.has('--json');
  // The JSON lists every candidate unless --top is given; the table shows 25 by default.
  const shown = json && o.values.has('--top') ? { ...report, candidates: report.candidates.slice(0, top) } : report;
  process.stdout.write(json ? JSON.stringify(modularizeJson(shown), null, 1) + '\n' : modularizeTable(shown));
  return 0;
}
