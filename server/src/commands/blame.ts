/**
 * `kbloat blame OLD NEW --source TREE [--range A..B] [--format table|markdown] [--json] [--no-cache]`:
 * the commits of A..B that made vmlinux grow or shrink between the builds OLD
 * and NEW of the git tree TREE, each charged the resident bytes it changed.
 *
 * The revisions are --range's, else those the builds name in their kernel
 * release (`-gHASH`, or a release tag). Everything that can be wrong with the
 * input (arguments, the tree, the revisions, the builds) is checked before the
 * C parser, which loads asynchronously, is started: those errors reach the
 * CLI's handler as every command's do. The rest runs once the parser is there;
 * its own errors are reported the same way, one line and exit status 2.
 */
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { KbloatInputError } from '../common/errors';
import { findFunctions, parseC } from '../c/functions';
import { CParser, createCParser, defaultWasmLocations, WasmLocations } from '../c/wasm';
import type { BuildIndex } from '../index/model';
import { loadIndex } from '../index/cache';
import { blameJson, formatBlame, formatBlameMarkdown } from '../render/blameText';
import { blame, checkGitTree, FunctionLines, resolveRevision, revisionOfRelease } from '../tracker/blame';
import { diffBuilds, readBuildConfig } from '../tracker/diff';
import { BadArgument, parseOptions } from './args';

/** The grammar files next to the bundled CLI (dist/), else those in node_modules (running from sources). */
function wasmLocations(): WasmLocations {
  const shipped = { runtime: path.join(__dirname, 'tree-sitter.wasm'), grammar: path.join(__dirname, 'tree-sitter-c.wasm') };
  return existsSync(shipped.runtime) && existsSync(shipped.grammar) ? shipped : defaultWasmLocations();
}

/** Function definitions with one-based line numbers, as `git log -L` wants them; the parse tree is freed at once. */
function functionFinder(parser: CParser): (text: string) => FunctionLines[] {
  return (text) => {
    const tree = parseC(parser, text);
    if (!tree) return [];
    try {
      return findFunctions(tree, text).map((f) => ({ name: f.name, start: f.range.start.line + 1, end: f.range.end.line + 1 }));
    } finally {
      tree.delete();
    }
  };
}

/** The revision a build names through its kernel release, or a BadArgument asking for --range. */
function revisionOfBuild(tree: string, arg: string, label: string, index: BuildIndex): string {
  const release = index.build.kernelVersion;
  const rev = release ? revisionOfRelease(release) : undefined;
  const why = release ? `its kernel release "${release}" names no commit (no -gHASH${release.includes('+') ? '; the "+" says only that it is past a tag' : ''})` : 'it has no kernel release';
  if (!rev) throw new BadArgument(`cannot tell which revision the ${label} build ${arg} was made from: ${why}; give the revisions with --range A..B`);
  try {
    resolveRevision(tree, rev);
  } catch {
    throw new BadArgument(`the ${label} build ${arg} says it is ${rev} (kernel release "${release}"), which ${tree} does not have; give the revisions with --range A..B`);
  }
  return rev;
}

export function runBlame(argv: string[]): number {
  const o = parseOptions(argv, ['--source', '--range', '--format'], ['--json', '--no-cache']);
  if (o.positional.length !== 2) throw new BadArgument('blame needs two builds: kbloat blame OLD NEW --source TREE [--range A..B]');
  const [oldArg, newArg] = o.positional;
  const tree = o.values.get('--source');
  if (!tree) throw new BadArgument('blame needs --source TREE: the git tree the builds were made from');
  if (!existsSync(tree) || !statSync(tree).isDirectory()) throw new BadArgument(`--source ${tree} is not a folder`);
  const format = o.values.get('--format') ?? 'table';
  if (format !== 'table' && format !== 'markdown') throw new BadArgument(`--format must be table or markdown, not "${format}"`);
  const json = o.flags.has('--json');
  if (json && o.values.has('--format')) throw new BadArgument('--json and --format cannot be combined');
  checkGitTree(tree);

  const range = o.values.get('--range');
  let from: string | undefined;
  let to: string | undefined;
  if (range !== undefined) {
    const m = range.includes('...') ? null : /^(.+?)\.\.(.+)$/.exec(range);
    if (!m) throw new BadArgument(`--range must be A..B (two revisions), not "${range}"`);
    [from, to] = [m[1], m[2]];
    resolveRevision(tree, from);
    resolveRevision(tree, to);
  }

  const noCache = o.flags.has('--no-cache');
  const oldIndex = loadIndex(oldArg, { noCache }).index;
  const newIndex = loadIndex(newArg, { noCache }).index;
  for (const [arg, ix] of [[oldArg, oldIndex], [newArg, newIndex]] as const) {
    if (ix.build.estimated) throw new KbloatInputError('not-a-build', `${arg} has no vmlinux, only System.map: blame needs the functions' real sizes`);
  }
  from ??= revisionOfBuild(tree, oldArg, 'old', oldIndex);
  to ??= revisionOfBuild(tree, newArg, 'new', newIndex);
  const diff = diffBuilds(oldIndex, newIndex, { oldConfig: readBuildConfig(oldArg), newConfig: readBuildConfig(newArg) });
  const options = { tree, from, to };

  createCParser(wasmLocations())
    .then((parser) => {
      try {
        const result = blame(oldIndex, newIndex, diff, { ...options, findFunctions: functionFinder(parser) });
        process.stdout.write(json ? blameJson(result) : format === 'markdown' ? formatBlameMarkdown(result) : formatBlame(result));
      } finally {
        parser.delete();
      }
    })
    .catch((e: unknown) => {
      if (!(e instanceof KbloatInputError || e instanceof BadArgument)) throw e;
      process.stderr.write(`kbloat: ${e.message}\n`);
      process.exitCode = 2;
    });
  return 0;
}
