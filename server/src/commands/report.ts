/**
 * `kbloat report`: the build index of a build folder, or of a distribution's
 * debug vmlinux, as a table or as JSON.
 */
import { parsePrefixMap, PrefixMap } from '../binary/dwarf/paths';
import { loadIndex } from '../index/cache';
import { loadDistroIndex } from '../index/distro';
import { ReportGrouping, reportJson, reportTable } from '../render/report';
import { UsageError } from './args';

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

export function runReport(argv: string[]): number {
  const args = parseReportArgs(argv);
  const { index } = args.distro ? loadDistroIndex({ ...args.distro, vmlinux: args.distro.vmlinux!, noCache: args.noCache }) : loadIndex(args.dir, { noCache: args.noCache, dwarf: args.dwarf });
  if (args.json) process.stdout.write(JSON.stringify(reportJson(index), null, 1) + '\n');
  else process.stdout.write(reportTable(index, args.by, args.top));
  return 0;
}
