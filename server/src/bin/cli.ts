/**
 * The `kbloat` command line. It uses the measurement core directly (no LSP).
 * Bad input prints one line on stderr and exits with status 2, never a stack trace.
 */
import { statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { BloatOMeterMode, bloatOMeterFiles, formatBloatOMeter } from '../tracker/bloatOMeter';
import { Budgets, checkBudgets, formatVerdicts, parsePercent, parseSize } from '../tracker/budget';
import { loadIndex } from '../index/cache';
import { DiffFilter, diffBuilds, readBuildConfig } from '../tracker/diff';
import { loadDistroIndex } from '../index/distro';
import { parsePrefixMap, PrefixMap } from '../binary/dwarf/paths';
import { formatDiff } from '../render/diffText';
import { KbloatInputError } from '../common/errors';
import { isFile } from '../common/fsRead';
import { historyTable } from '../render/historyText';
import { addRecord, DuplicateLabel, readConfigText, readHistory, recordFromIndex } from '../tracker/history';
import { historyHtml } from '../render/historyPage';
import { locateBuild } from '../kbuild/layout';
import { ModularizeAnalysis } from '../modularize/analysis';
import { modularizeJson, modularizeTable } from '../render/modularizeText';
import { ReportGrouping, reportJson, reportTable } from '../render/report';
import { humanSize } from '../shared/units';
import { sweep } from '../tracker/sweep';

const USAGE = `usage: kbloat report [BUILD_DIR] [--by dir|file|function|config] [--top N] [--json] [--dwarf] [--no-cache]
       kbloat report --vmlinux PATH [--config PATH] [--system-map PATH] [--source TREE] [--prefix-map FROM=TO]... [...]

Maps every byte of vmlinux to the source file and function it came from.
BUILD_DIR is the kernel build folder (in-tree or O=); default: the current folder.
--dwarf: also read vmlinux's DWARF for function lines and inlined copies (in --json).
--vmlinux: a distribution's debug vmlinux (no build folder): files come from its DWARF.`;

const FULL_USAGE = `usage: kbloat report [BUILD_DIR] [--by dir|file|function|config] [--top N] [--json] [--dwarf] [--no-cache]
       kbloat report --vmlinux PATH [--config PATH] [--system-map PATH] [--source TREE] [--prefix-map FROM=TO]... [...]
       kbloat diff OLD NEW [--format bloat-o-meter] [--only code|data] [--split] [--top N] [--json] [--no-cache]
       kbloat check [BUILD_DIR] [--max-resident SIZE] [--max-image SIZE] [--max-growth PCT --baseline OLD] [--no-cache]
       kbloat track [BUILD_DIR] --history FILE --label LABEL [--replace] [--no-cache]
       kbloat history FILE [--html OUT.html] [--title TITLE]
       kbloat modularize [BUILD_DIR] [--json] [--top N] [--no-cache]
       kbloat sweep --source TREE --config TARGET --revs REV1,REV2,... --history FILE [--out DIR] [--make-arg ARG]... [--no-cache]

Maps every byte of vmlinux to the source file and function it came from.
BUILD_DIR is the kernel build folder (in-tree or O=); default: the current folder.
OLD and NEW are build folders or vmlinux files. SIZE: 1.5M, 800K, 1G, 1.5MiB or bytes. PCT: 2, 2% or 0.5.`;

/** A bad argument to report: the message and the usage, as report always printed. */
class UsageError extends Error {}
/** A bad argument to diff or check: one line on stderr. */
class BadArgument extends Error {}

interface ReportArgs {
  dir: string;
  /** Distro mode (issue 9): a debug vmlinux and its companions. */
  distro?: { vmlinux?: string; config?: string; systemMap?: string; source?: string; prefixMaps: PrefixMap[] };
  by: ReportGrouping;
  top: number;
  json: boolean;
  noCache: boolean;
  dwarf: boolean;
}

function parseReportArgs(argv: string[]): ReportArgs {
  const args: ReportArgs = { dir: '.', by: 'file', top: 25, json: false, noCache: false, dwarf: false };
  let dirSeen = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined) throw new UsageError(`${a.split('=')[0]} needs a value`);
      return v;
    };
    const distro = (): NonNullable<ReportArgs['distro']> => (args.distro ??= { prefixMaps: [] });
    if (a === '--json') args.json = true;
    else if (a === '--no-cache') args.noCache = true;
    else if (a === '--dwarf') args.dwarf = true;
    else if (a === '--vmlinux' || a.startsWith('--vmlinux=')) distro().vmlinux = value();
    else if (a === '--config' || a.startsWith('--config=')) distro().config = value();
    else if (a === '--system-map' || a.startsWith('--system-map=')) distro().systemMap = value();
    else if (a === '--source' || a.startsWith('--source=')) distro().source = value();
    else if (a === '--prefix-map' || a.startsWith('--prefix-map=')) {
      const v = value();
      const m = parsePrefixMap(v);
      if (!m) throw new UsageError(`--prefix-map needs FROM=TO, not "${v}"`);
      distro().prefixMaps.push(m);
    }
    else if (a === '--by' || a.startsWith('--by=')) {
      const v = value();
      if (!['dir', 'file', 'function', 'config'].includes(v)) throw new UsageError(`--by must be dir, file, function or config, not "${v}"`);
      args.by = v as ReportGrouping;
    } else if (a === '--top' || a.startsWith('--top=')) {
      const v = value();
      if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`--top needs a positive number, not "${v}"`);
      args.top = Number(v);
    } else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else if (!dirSeen) {
      args.dir = a;
      dirSeen = true;
    } else throw new UsageError(`unexpected argument ${a}`);
  }
  if (args.distro && !args.distro.vmlinux) throw new UsageError('--config, --system-map, --source and --prefix-map go with --vmlinux PATH');
  if (args.distro && dirSeen) throw new UsageError('give either BUILD_DIR or --vmlinux PATH, not both');
  return args;
}

/** Options of diff and check: `--name value` or `--name=value`, flags, and positional arguments. */
function parseOptions(argv: string[], withValue: string[], flags: string[]): { values: Map<string, string>; flags: Set<string>; positional: string[] } {
  const out = { values: new Map<string, string>(), flags: new Set<string>(), positional: [] as string[] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const name = a.split('=')[0];
    if (withValue.includes(name)) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined) throw new BadArgument(`${name} needs a value`);
      out.values.set(name, v);
    } else if (flags.includes(a)) out.flags.add(a);
    else if (a.startsWith('-') && a !== '-') throw new BadArgument(`unknown option ${a}`);
    else out.positional.push(a);
  }
  return out;
}

function topOf(v: string | undefined): number {
  if (v === undefined) return 25;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new BadArgument(`--top needs a positive number, not "${v}"`);
  return Number(v);
}

/** The vmlinux that scripts/bloat-o-meter would be given: the file itself, or BUILD/vmlinux. */
function vmlinuxOf(arg: string): string {
  const layout = locateBuild(arg);
  const given = statSync(arg).isFile();
  const file = given ? layout.vmlinux : isFile(path.join(layout.buildDir, 'vmlinux')) ? path.join(layout.buildDir, 'vmlinux') : layout.vmlinux;
  if (!file) throw new KbloatInputError('not-a-build', `no vmlinux in ${arg}; bloat-o-meter compares the symbols of two vmlinux files`);
  return file;
}

function runDiff(argv: string[]): number {
  const o = parseOptions(argv, ['--format', '--only', '--top'], ['--split', '--json', '--no-cache']);
  if (o.positional.length !== 2) throw new BadArgument('diff needs two builds: kbloat diff OLD NEW');
  const [oldArg, newArg] = o.positional;
  const format = o.values.get('--format') ?? 'table';
  if (format !== 'table' && format !== 'bloat-o-meter') throw new BadArgument(`--format must be bloat-o-meter or table, not "${format}"`);
  const only = o.values.get('--only');
  if (only !== undefined && only !== 'code' && only !== 'data') throw new BadArgument(`--only must be code or data, not "${only}"`);
  const split = o.flags.has('--split');
  // bloat-o-meter's -c, -d and -t exclude each other.
  if (split && only) throw new BadArgument('--split and --only cannot be combined');
  const top = topOf(o.values.get('--top'));
  const json = o.flags.has('--json');
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
  process.stdout.write(json ? JSON.stringify(diff, null, 1) + '\n' : formatDiff(diff, { top, split }));
  return 0;
}

function runCheck(argv: string[]): number {
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

function runTrack(argv: string[]): number {
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

function runHistory(argv: string[]): number {
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

function runModularize(argv: string[]): number {
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

function runSweep(argv: string[]): number {
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

export function main(argv: string[]): number {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(FULL_USAGE + '\n');
      return command === undefined ? 2 : 0;
    }
    if (['diff', 'check', 'track', 'history', 'sweep', 'modularize'].includes(command) && (rest.includes('--help') || rest.includes('-h'))) {
      process.stdout.write(FULL_USAGE + '\n');
      return 0;
    }
    if (command === 'diff') return runDiff(rest);
    if (command === 'check') return runCheck(rest);
    if (command === 'track') return runTrack(rest);
    if (command === 'history') return runHistory(rest);
    if (command === 'sweep') return runSweep(rest);
    if (command === 'modularize') return runModularize(rest);
    if (command !== 'report') throw new UsageError(`unknown command "${command}"`);
    const args = parseReportArgs(rest);
    const { index } = args.distro ? loadDistroIndex({ ...args.distro, vmlinux: args.distro.vmlinux!, noCache: args.noCache }) : loadIndex(args.dir, { noCache: args.noCache, dwarf: args.dwarf });
    if (args.json) process.stdout.write(JSON.stringify(reportJson(index), null, 1) + '\n');
    else process.stdout.write(reportTable(index, args.by, args.top));
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`kbloat: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    if (e instanceof BadArgument || e instanceof DuplicateLabel) {
      process.stderr.write(`kbloat: ${e.message}\n`);
      return 2;
    }
    if (e instanceof KbloatInputError) {
      process.stderr.write(`kbloat: ${e.message}\n`);
      return 2;
    }
    const err = e as NodeJS.ErrnoException;
    if (err && typeof err.code === 'string' && /^E[A-Z]+$/.test(err.code)) {
      process.stderr.write(`kbloat: ${err.message}\n`);
      return 2;
    }
    throw e;
  }
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
