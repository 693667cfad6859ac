/**
 * `kbloat check`: size budgets for CI (resident, image, growth against a
 * baseline); exit 1 when one is broken.
 */
import { loadIndex } from '../index/cache';
import { Budgets, checkBudgets, formatVerdicts, parsePercent, parseSize } from '../tracker/budget';
import { BadArgument, parseOptions } from './args';

export function runCheck(argv: string[]): number {
  const o = parseOptions(argv, ['--max-resident', '--max-image', '--max-growth', '--baseline'], ['--no-cache']);
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
  const noCache = o.flags.has('--no-cache');
  const index = loadIndex(o.positional[0] ?? '.', { noCache }).index;
  const baseline = baselineArg === undefined ? undefined : loadIndex(baselineArg, { noCache }).index;
  const verdicts = checkBudgets(index, budgets, baseline);
  process.stdout.write(formatVerdicts(verdicts));
  return verdicts.every((v) => v.ok) ? 0 : 1;
}
