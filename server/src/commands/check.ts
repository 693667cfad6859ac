/**
 * `kbloat check`: size budgets for CI (resident, image, growth against a
 * baseline); exit 1 when one is broken. With `--justification-from REV`, a
 * broken growth budget passes when the message of commit REV (in the build's
 * source tree, or the git tree `--source` names) gives the reason in a
 * `Kernel-Size-Justification:` trailer.
 */
import { loadIndex } from '../index/cache';
import { Budgets, checkBudgets, checkPasses, formatVerdicts, parsePercent, parseSize } from '../tracker/budget';
import { readJustification } from '../tracker/justification';
import { BadArgument, parseOptions } from './args';

export function runCheck(argv: string[]): number {
  const o = parseOptions(argv, ['--max-resident', '--max-image', '--max-growth', '--baseline', '--justification-from', '--source'], ['--no-cache']);
  if (o.positional.length > 1) throw new BadArgument(`unexpected argument ${o.positional[1]}`);
  const budgets: Budgets = {};
  const size = (name: string): number | undefined => {
    const v = o.values.get(name);
    if (v === undefined) return undefined;
    const n = parseSize(v);
    if (n === undefined) throw new BadArgument(`${name}: "${v}" is not a size (use 1.5M, 800K, 1G, 1.5MiB or bytes)`);
    return n;
  };
  budgets.maxResident = size('--max-resident');
  budgets.maxImage = size('--max-image');
  const growth = o.values.get('--max-growth');
  if (growth !== undefined) {
    budgets.maxGrowth = parsePercent(growth);
    if (budgets.maxGrowth === undefined) throw new BadArgument(`--max-growth: "${growth}" is not a percentage (use 2, 2% or 0.5)`);
  }
  const baselineArg = o.values.get('--baseline');
  if (budgets.maxGrowth !== undefined && baselineArg === undefined) throw new BadArgument('--max-growth needs --baseline OLD (the build to compare with)');
  if (baselineArg !== undefined && budgets.maxGrowth === undefined) throw new BadArgument('--baseline is only used with --max-growth');
  if (budgets.maxResident === undefined && budgets.maxImage === undefined && budgets.maxGrowth === undefined) {
    throw new BadArgument('check needs a budget: --max-resident SIZE, --max-image SIZE or --max-growth PCT --baseline OLD');
  }
  const rev = o.values.get('--justification-from');
  const sourceArg = o.values.get('--source');
  if (rev !== undefined && budgets.maxGrowth === undefined) throw new BadArgument('--justification-from only justifies growth: use it with --max-growth PCT --baseline OLD');
  if (sourceArg !== undefined && rev === undefined) throw new BadArgument('--source names the git tree of --justification-from REV');
  const noCache = o.flags.has('--no-cache');
  const index = loadIndex(o.positional[0] ?? '.', { noCache }).index;
  const baseline = baselineArg === undefined ? undefined : loadIndex(baselineArg, { noCache }).index;
  // Read even when every budget holds, so that a wrong revision in a CI file shows at once.
  const justification = rev === undefined ? undefined : readJustification(sourceArg ?? index.build.sourceDir, rev);
  const verdicts = checkBudgets(index, budgets, baseline, justification);
  process.stdout.write(formatVerdicts(verdicts));
  return checkPasses(verdicts) ? 0 : 1;
}
