/**
 * The `kbloat` command line: it only dispatches to one command per file in
 * server/src/commands/ and turns bad input into one line on stderr and exit
 * status 2, never a stack trace. It uses the core directly (no LSP).
 */
import { KbloatInputError } from '../common/errors';
import { BadArgument, UsageError } from '../commands/args';
import { runBisect } from '../commands/bisect';
import { runBlame } from '../commands/blame';
import { runCheck } from '../commands/check';
import { runDiff } from '../commands/diff';
import { runHistory } from '../commands/history';
import { runModularize } from '../commands/modularize';
import { runReport } from '../commands/report';
import { runSweep } from '../commands/sweep';
import { runTrack } from '../commands/track';
import { DuplicateLabel } from '../tracker/history';

const USAGE = `usage: kbloat report [BUILD_DIR] [--by dir|file|function|config] [--top N] [--json] [--dwarf] [--no-cache]
       kbloat report --vmlinux PATH [--config PATH] [--system-map PATH] [--source TREE] [--prefix-map FROM=TO]... [...]

Maps every byte of vmlinux to the source file and function it came from.
BUILD_DIR is the kernel build folder (in-tree or O=); default: the current folder.
--dwarf: also read vmlinux's DWARF for function lines and inlined copies (in --json).
--vmlinux: a distribution's debug vmlinux (no build folder): files come from its DWARF.`;

const FULL_USAGE = `usage: kbloat report [BUILD_DIR] [--by dir|file|function|config] [--top N] [--json] [--dwarf] [--no-cache]
       kbloat report --vmlinux PATH [--config PATH] [--system-map PATH] [--source TREE] [--prefix-map FROM=TO]... [...]
       kbloat diff OLD NEW [--format table|markdown|bloat-o-meter] [--only code|data] [--split] [--top N] [--json] [--no-cache]
       kbloat check [BUILD_DIR] [--max-resident SIZE] [--max-image SIZE] [--max-growth PCT --baseline OLD [--justification-from REV [--source TREE]]] [--no-cache]
       kbloat blame OLD NEW --source TREE [--range A..B] [--format table|markdown] [--json] [--no-cache]
       kbloat bisect --source TREE --good REV --bad REV --config TARGET --threshold SIZE [--out DIR] [--make-arg ARG]...
       kbloat track [BUILD_DIR] --history FILE --label LABEL [--replace] [--no-cache]
       kbloat history FILE [--html OUT.html] [--title TITLE]
       kbloat history merge FILE... --source TREE --out FILE [--expect REV1,REV2,...]
       kbloat modularize [BUILD_DIR] [--json] [--top N] [--no-cache]
       kbloat modularize [BUILD_DIR] --prove [CONFIG_X ...] [--json] [--keep] [--scratch DIR] [--make-arg ARG]... [--no-cache]
       kbloat sweep --source TREE --config TARGET --revs REV1,REV2,... --history FILE [--shard K/N] [--modularized] [--out DIR] [--make-arg ARG]... [--no-cache]

Maps every byte of vmlinux to the source file and function it came from.
BUILD_DIR is the kernel build folder (in-tree or O=); default: the current folder.
OLD and NEW are build folders or vmlinux files. SIZE: 1.5M, 800K, 1G, 1.5MiB or bytes. PCT: 2, 2% or 0.5.`;

/** The commands besides report, which has its own usage text. */
const COMMANDS: Record<string, (argv: string[]) => number> = {
  diff: runDiff,
  check: runCheck,
  track: runTrack,
  history: runHistory,
  sweep: runSweep,
  modularize: runModularize,
  blame: runBlame,
  bisect: runBisect,
};

export function main(argv: string[]): number {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(FULL_USAGE + '\n');
      return command === undefined ? 2 : 0;
    }
    if (Object.hasOwn(COMMANDS, command) && (rest.includes('--help') || rest.includes('-h'))) {
      process.stdout.write(FULL_USAGE + '\n');
      return 0;
    }
    if (Object.hasOwn(COMMANDS, command)) return COMMANDS[command](rest);
    if (command !== 'report') throw new UsageError(`unknown command "${command}"`);
    return runReport(rest);
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
