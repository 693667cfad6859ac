/**
 * The `kbloat` command line. It uses the measurement core directly (no LSP).
 * Bad input prints one line on stderr and exits with status 2, never a stack trace.
 */
import { loadIndex } from './core/cache';
import { KbloatInputError } from './core/errors';
import { ReportGrouping, reportJson, reportTable } from './core/report';

const USAGE = `usage: kbloat report [BUILD_DIR] [--by dir|file|function|config] [--top N] [--json] [--no-cache]

Maps every byte of vmlinux to the source file and function it came from.
BUILD_DIR is the kernel build folder (in-tree or O=); default: the current folder.`;

class UsageError extends Error {}

interface ReportArgs {
  dir: string;
  by: ReportGrouping;
  top: number;
  json: boolean;
  noCache: boolean;
}

function parseReportArgs(argv: string[]): ReportArgs {
  const args: ReportArgs = { dir: '.', by: 'file', top: 25, json: false, noCache: false };
  let dirSeen = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined) throw new UsageError(`${a.split('=')[0]} needs a value`);
      return v;
    };
    if (a === '--json') args.json = true;
    else if (a === '--no-cache') args.noCache = true;
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
  return args;
}

export function main(argv: string[]): number {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(USAGE + '\n');
      return command === undefined ? 2 : 0;
    }
    if (command !== 'report') throw new UsageError(`unknown command "${command}"`);
    const args = parseReportArgs(rest);
    const { index } = loadIndex(args.dir, { noCache: args.noCache });
    if (args.json) process.stdout.write(JSON.stringify(reportJson(index), null, 1) + '\n');
    else process.stdout.write(reportTable(index, args.by, args.top));
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`kbloat: ${e.message}\n${USAGE}\n`);
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
