/**
 * `kbloat track`: one build's figures added to a history file under a label,
 * with the build's Modularize figures (the kernel proper if every unblocked
 * candidate were a module, and the floor) when the analysis can run on it.
 */
import type { BuildIndex } from '../index/model';
import { loadIndex } from '../index/cache';
import { ModularizeAnalysis } from '../modularize/analysis';
import { humanSize } from '../shared/units';
import { addRecord, checkLabelFree, ModularizedFloor, readConfigText, recordFromIndex } from '../tracker/history';
import { BadArgument, parseOptions } from './args';

/**
 * The Modularize floor of a build, as `kbloat modularize` computes it, or
 * undefined when the analysis cannot run there (no .config, no Kconfig tree, an
 * unreadable object): then `warn` gets one line saying why. It never throws, so
 * that a build's sizes are tracked even where its floor cannot be told.
 */
export function modularizedFloor(index: BuildIndex, warn: (line: string) => void): ModularizedFloor | undefined {
  let why: string | undefined;
  try {
    const analysis = ModularizeAnalysis.load(index);
    why = analysis.unavailableReason();
    if (why === undefined) {
      // The figures cover every candidate whatever `top` lists; none need be listed here.
      const report = analysis.report({ top: 0 });
      return {
        resident: report.residentIfModularized,
        candidates: report.unblockedCount,
        ...(report.floor ? { floor: report.floor.withTristate, floorByConfig: report.floor.config } : {}),
      };
    }
  } catch (e) {
    why = e instanceof Error ? e.message : String(e);
  }
  warn(`no modularized figure recorded: ${why.replace(/\s*\n\s*/g, ' ')}`);
  return undefined;
}

export function runTrack(argv: string[]): number {
  const o = parseOptions(argv, ['--history', '--label'], ['--replace', '--no-cache']);
  if (o.positional.length > 1) throw new BadArgument(`unexpected argument ${o.positional[1]}`);
  const history = o.values.get('--history');
  const label = o.values.get('--label');
  if (!history) throw new BadArgument('track needs --history FILE');
  if (!label) throw new BadArgument('track needs --label LABEL');
  const dir = o.positional[0] ?? '.';
  const replace = o.flags.has('--replace');
  checkLabelFree(history, label, replace);
  const { index } = loadIndex(dir, { noCache: o.flags.has('--no-cache') });
  const modularized = modularizedFloor(index, (line) => process.stderr.write(`kbloat track: ${label}: ${line}\n`));
  const record = recordFromIndex(index, label, readConfigText(dir), { modularized });
  addRecord(history, record, replace);
  const floor = modularized
    ? `, ${humanSize(modularized.resident)} with ${modularized.candidates} candidate${modularized.candidates === 1 ? '' : 's'} modularized${modularized.floor !== undefined ? `, floor ${humanSize(modularized.floor)}` : ''}`
    : '';
  process.stdout.write(`${label}: resident ${humanSize(record.totals.resident)}${floor}, image ${humanSize(record.totals.image)} -> ${history}\n`);
  return 0;
}
