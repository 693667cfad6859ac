/**
 * `npm run bench -- --prove [CONFIG_X ...]` (opt-in, never in CI): Modularize's
 * predictions checked by rebuilding, on the real Linux 6.1 source (Debian's
 * linux-source-6.1, extracted into the bench's cache folder: $KBLOAT_BENCH_CACHE,
 * else ~/.cache/kbloat-bench). The fixture's tinyconfig i386 `.config` is built
 * there once as an O= build (tiny-i386), then, each figure printed with its target:
 *  - the Kconfig solver against the kernel's own `scripts/kconfig/conf
 *    --olddefconfig` (`make olddefconfig` in a scratch O= folder, conf built by
 *    the tree's own make): for each candidate without blockers set to m, and for
 *    all of them at once, the bool and tristate symbols whose value changes,
 *    predicted against conf's — target: the same;
 *  - the proof (modularize/prove.ts, as `kbloat modularize --prove` runs it): all
 *    those candidates at m at once, then each alone, rebuilt in a scratch copy of
 *    the build; the predicted and the rebuilt change of the kernel proper and the
 *    error in percent of the rebuilt change — target |error| <= 5%.
 * Symbols named after --prove (or in $KBLOAT_PROVE_SYMBOLS) restrict the run to
 * them; --no-rebuild stops after the Kconfig check. A rebuild that fails is a
 * blocker the analysis missed: it is printed and the bench exits with 1; errors
 * above 5% are figures, not failures. Each full proof text is kept in the cache
 * folder (prove/*.txt). make runs niced with -j2 (the bench shares the machine),
 * spawned with argument arrays, never through a shell; nothing is written into
 * the build folder or the source tree.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KbloatInputError } from '../../server/src/common/errors';
import { loadIndex } from '../../server/src/index/cache';
import type { BuildIndex } from '../../server/src/index/model';
import { configValue, KernelConfig, parseDotConfig } from '../../server/src/kbuild/dotconfig';
import { parseKconfigTree, symbolType } from '../../server/src/kbuild/kconfig/parser';
import { locateBuild } from '../../server/src/kbuild/layout';
import { ModularizeAnalysis } from '../../server/src/modularize/analysis';
import { dotconfigSetModule } from '../../server/src/modularize/edits/dotconfig';
import { applyTextEdits } from '../../server/src/modularize/edits/text';
import { buildMakeVariables, ProofAborted, ProofResult, proofSymbols, proveModularize } from '../../server/src/modularize/prove';
import { formatProof } from '../../server/src/render/proofText';
import { benchCache, finishedBuild, linuxSource } from './kernelCache';
import { makeEnv } from '../../server/src/tracker/kernelMake';
import { exactBytes, signedSize } from '../../server/src/shared/units';
import { FIXTURE } from '../helpers';

/** make's jobs: the bench shares two cores with whatever else runs. */
const JOBS = '-j2';
/** The target of every proof: the predicted change within 5% of the rebuilt one. */
const TARGET_PERCENT = 5;

const log = (line: string): void => {
  process.stderr.write(`bench --prove: ${line}\n`);
};

/**
 * The fixture's configuration built from the Linux 6.1 source as an O= folder,
 * built first when it is not there or unfinished (about 10 minutes on 2 cores;
 * once). $KBLOAT_PROVE_BUILD names another build to prove on instead.
 */
function tinyBuild(): string {
  if (process.env.KBLOAT_PROVE_BUILD) return path.resolve(process.env.KBLOAT_PROVE_BUILD);
  const out = path.join(benchCache(), 'tiny-i386');
  if (finishedBuild(out)) return out;
  const src = linuxSource(log);
  mkdirSync(out, { recursive: true });
  if (!existsSync(path.join(out, '.config'))) copyFileSync(path.join(FIXTURE, '.config'), path.join(out, '.config'));
  log(`building the fixture's tinyconfig i386 into ${out} with make ${JOBS} (about 10 minutes on 2 cores; once)`);
  execFileSync('make', ['-C', src, `O=${out}`, 'ARCH=i386', JOBS, 'olddefconfig', 'all'], { stdio: ['ignore', 'ignore', 'inherit'], env: makeEnv() });
  // make may leave an up-to-date vmlinux older than a .config olddefconfig rewrote unchanged: it only has to be there.
  if (!existsSync(path.join(out, 'vmlinux'))) throw new Error(`make left no vmlinux in ${out}`);
  return out;
}

/** `.config` text with these symbols set to m, as the proof edits it. */
function withModules(text: string, symbols: string[]): string {
  for (const s of symbols) {
    const edit = dotconfigSetModule(text, s);
    if (edit.problem) throw new Error(edit.problem);
    text = applyTextEdits(text, edit.edits);
  }
  return text;
}

/**
 * The kernel's own `make olddefconfig` in a scratch O= folder of the build's
 * source tree, with the build's make variables (ARCH): the first run builds
 * scripts/kconfig/conf there, each run after only runs it.
 */
class KernelConf {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'kbloat-bench-conf-'));

  constructor(
    private readonly sourceDir: string,
    private readonly makeArgs: string[],
  ) {}

  olddefconfig(configText: string): KernelConfig {
    const file = path.join(this.dir, '.config');
    writeFileSync(file, configText);
    const r = spawnSync('make', ['-C', this.sourceDir, `O=${this.dir}`, ...this.makeArgs, JOBS, 'olddefconfig'], { env: makeEnv(), encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`make olddefconfig in ${this.dir} failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout).trim().split('\n').slice(-10).join('\n')}`);
    return parseDotConfig(readFileSync(file, 'utf8'), file);
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `CONFIG_X from->to` for every symbol in `keep` whose value differs between two configurations. */
function configChanges(a: KernelConfig, b: KernelConfig, keep: (s: string) => boolean): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of new Set([...a.values.keys(), ...a.notSet, ...b.values.keys(), ...b.notSet])) {
    if (!keep(s)) continue;
    const x = configValue(a, s);
    const y = configValue(b, s);
    if (x !== y) out.set(s, `${x}->${y}`);
  }
  return out;
}

/** What the analysis says olddefconfig makes of these symbols at m: its changes, and the asked ones it puts back. */
function predictedChanges(analysis: ModularizeAnalysis, config: KernelConfig, symbols: string[]): Map<string, string> {
  const p = analysis.predict(symbols);
  const out = new Map(p.changes.map((c) => [c.symbol, `${c.from}->${c.to}`]));
  for (const u of p.undone) {
    const from = configValue(config, u.symbol);
    if (from !== u.value) out.set(u.symbol, `${from}->${u.value}`);
  }
  return out;
}

/** "same (N symbols)", or the differences, one per symbol: `CONFIG_A ours y->m, conf's y->n`. */
function compareChanges(ours: Map<string, string>, conf: Map<string, string>): { same: boolean; text: string } {
  const diffs: string[] = [];
  for (const s of [...new Set([...ours.keys(), ...conf.keys()])].sort()) {
    const a = ours.get(s) ?? 'unchanged';
    const b = conf.get(s) ?? 'unchanged';
    if (a !== b) diffs.push(`${s} ours ${a}, conf's ${b}`);
  }
  if (diffs.length === 0) return { same: true, text: `same (${conf.size} symbol${conf.size === 1 ? '' : 's'}: ${[...conf].map(([s, v]) => `${s.slice(7)} ${v}`).join(', ')})` };
  return { same: false, text: `DIFFERS: ${diffs.join('; ')}` };
}

/** Part 2: the Kconfig solver against conf, each set of symbols at m. Returns the number of sets that differ. */
function kconfigCheck(build: string, index: BuildIndex, analysis: ModularizeAnalysis, sets: { label: string; symbols: string[] }[]): number {
  const layout = locateBuild(build);
  const configText = readFileSync(path.join(layout.buildDir, '.config'), 'utf8');
  const config = parseDotConfig(configText);
  const { variables } = buildMakeVariables(layout, index, config, configText);
  const arch = variables.find((v) => v.name === 'ARCH')?.value ?? 'x86';
  const srcArch = ({ i386: 'x86', x86_64: 'x86' } as Record<string, string>)[arch] ?? arch;
  // The symbol types, to compare bool and tristate symbols only, as test/kconfigSolve.test.ts does.
  const tree = parseKconfigTree((rel) => {
    try {
      return readFileSync(path.join(layout.sourceDir, rel), 'utf8');
    } catch {
      return undefined;
    }
  }, { srcArch, arch });
  const boolOrTristate = (s: string): boolean => {
    const t = symbolType(tree, s.replace(/^CONFIG_/, ''));
    return t === 'bool' || t === 'tristate';
  };
  const conf = new KernelConf(layout.sourceDir, variables.map((v) => `${v.name}=${v.value}`));
  try {
    log(`make olddefconfig in ${conf.dir} (builds scripts/kconfig/conf once)`);
    const control = conf.olddefconfig(configText);
    const unsettled = configChanges(config, control, boolOrTristate);
    console.log(`\nKconfig: bool and tristate symbols that change after olddefconfig, the solver (predict's changes) against the kernel's own conf (make olddefconfig of ${layout.sourceDir}) — target: the same`);
    if (unsettled.size) console.log(`  note: the build's .config itself is not settled, olddefconfig changes ${unsettled.size} symbols of it: ${[...unsettled].map(([s, v]) => `${s} ${v}`).join(', ')}`);
    let mismatches = 0;
    const width = Math.max(...sets.map((s) => s.label.length));
    for (const set of sets) {
      log(`make olddefconfig with ${set.symbols.length > 1 ? set.label : `${set.label}=m`}`);
      const real = configChanges(control, conf.olddefconfig(withModules(configText, set.symbols)), boolOrTristate);
      const cmp = compareChanges(predictedChanges(analysis, config, set.symbols), real);
      if (!cmp.same) mismatches++;
      console.log(`  ${set.label.padEnd(width)}  ${cmp.text}`);
    }
    console.log(`solver mismatches: ${mismatches} of ${sets.length} — target 0`);
    return mismatches;
  } finally {
    conf.dispose();
  }
}

const bytes = (n: number): string => signedSize(n, { exact: true });
const pct = (p: number | null): string => (p === null ? 'n/a' : `${p > 0 ? '+' : ''}${p.toFixed(2)}%`);
/** The predicted saving's error in percent of the rebuilt saving; null when nothing left and something was predicted to. */
const errorOf = (predicted: number, rebuilt: number): number | null => (rebuilt !== 0 ? ((predicted - rebuilt) / Math.abs(rebuilt)) * 100 : predicted === 0 ? 0 : null);

/** One proof's lines: the total, its parts, per symbol, and the .config olddefconfig wrote against the prediction. */
function printProof(label: string, r: ProofResult): void {
  if (r.outcome !== 'rebuilt' || !r.totals) {
    console.log(`${label}  REBUILD FAILED: ${r.failure?.step ?? '?'} exited with ${r.failure?.status ?? 'a signal'} (${r.seconds.toFixed(0)} s)`);
    for (const b of r.blockers) console.log(`    missed blocker: ${b.file} uses ${b.symbol} (${b.kind === 'link' ? 'the link of vmlinux' : 'modpost'}${b.function ? `, in ${b.function}()` : b.module ? `, ${b.module}` : ''})`);
    if (!r.blockers.length && r.failure) for (const l of r.failure.tail.split('\n').slice(-8)) console.log(`    | ${l}`);
    return;
  }
  const t = r.totals;
  const within = t.errorPercent !== null && Math.abs(t.errorPercent) <= TARGET_PERCENT;
  console.log(`${label}  predicted ${bytes(-t.predictedSaving).padStart(12)}  rebuilt ${bytes(-t.rebuiltSaving).padStart(12)}  error ${pct(t.errorPercent).padStart(7)}  ${within ? 'ok' : 'OUTSIDE THE TARGET'}  (${r.seconds.toFixed(0)} s)`);
  const part = (name: string, c: { predicted: number; rebuilt: number }): string => `${name} ${bytes(-c.predicted)} / ${bytes(-c.rebuilt)}`;
  console.log(`    predicted / rebuilt: ${[part('code', t.code), part('tables', t.tables), part('padding', t.padding), part('other', t.other)].join(', ')}`);
  if (r.symbols && r.symbols.length > 1) {
    const w = Math.max(...r.symbols.map((s) => s.symbol.length));
    for (const s of r.symbols) console.log(`    ${s.symbol.padEnd(w)}  predicted ${bytes(-s.predicted).padStart(10)}  rebuilt ${bytes(-s.rebuilt).padStart(10)}  error ${pct(errorOf(s.predicted, s.rebuilt)).padStart(8)}`);
  }
  // Every symbol olddefconfig changed against what the prediction said (unchanged when it said nothing).
  const off = r.config.filter((c) => (c.predicted ?? c.before) !== c.after).map((c) => `${c.symbol} predicted ${c.predicted ?? c.before}, got ${c.after}`);
  const changed = r.config.filter((c) => c.before !== c.after).length;
  console.log(`    .config after olddefconfig: ${off.length ? `NOT AS PREDICTED: ${off.join('; ')}` : `as predicted (${changed} symbol${changed === 1 ? '' : 's'} changed)`}${r.forcedBack.length ? `; forced back: ${r.forcedBack.map((f) => `${f.symbol}=${f.value}`).join(', ')}` : ''}`);
  for (const w of r.warnings) console.log(`    warning: ${w}`);
}

/** The symbols to restrict the run to: named after --prove, or in $KBLOAT_PROVE_SYMBOLS. */
function askedSymbols(): string[] | undefined {
  const args = process.argv.slice(process.argv.indexOf('--prove') + 1).filter((a) => !a.startsWith('--'));
  const env = (process.env.KBLOAT_PROVE_SYMBOLS ?? '').split(/[\s,]+/).filter(Boolean);
  const asked = args.length ? args : env;
  return asked.length ? asked : undefined;
}

export async function proveBench(): Promise<void> {
  const started = Date.now();
  // Everything this bench starts (make, the compilers) inherits the priority.
  try {
    os.setPriority(Math.min(19, os.getPriority() + 10));
  } catch {
    // Not allowed here: run at the priority given.
  }
  const build = tinyBuild();
  log(`indexing ${build}`);
  const { index } = loadIndex(build);
  const analysis = ModularizeAnalysis.load(index, { onProgress: log });
  const report = analysis.report();
  let symbols: string[];
  try {
    symbols = proofSymbols(analysis, askedSymbols());
  } catch (e) {
    if (!(e instanceof KbloatInputError)) throw e;
    console.error(`bench --prove: ${e.message}`);
    process.exitCode = 2;
    return;
  }

  const unblocked = report.candidates.filter((c) => c.blockers.length === 0);
  console.log(`build: ${build} (${index.build.arch} ELF${index.build.elfClass}), kernel proper ${exactBytes(report.resident)}`);
  console.log(`candidates: ${report.candidateCount}, without blockers ${report.unblockedCount}: ${exactBytes(report.resident - report.residentIfModularized)} if all were modules`);
  for (const c of unblocked) {
    const also = c.alsoChanges?.length ? `  with ${c.alsoChanges.map((a) => `${a.symbol.slice(7)}=${a.value}`).join(' ')}` : '';
    const proved = symbols.includes(c.symbol) ? '' : c.type === 'bool' ? '  (bool: not provable by .config alone)' : '  (not asked)';
    console.log(`  ${c.symbol.padEnd(28)} ${c.type.padEnd(8)} ${exactBytes(c.resident).padStart(10)}${also}${proved}`);
  }

  // The sets of symbols at m, checked against conf and then rebuilt: all at once, then each alone.
  const sets = [...(symbols.length > 1 ? [{ label: `all ${symbols.length} at once`, symbols }] : []), ...symbols.map((s) => ({ label: s, symbols: [s] }))];
  const mismatches = kconfigCheck(build, index, analysis, sets);
  if (process.argv.includes('--no-rebuild')) {
    console.log(`\nsummary: no proofs (--no-rebuild); solver mismatches ${mismatches} of ${sets.length} — target 0; ${((Date.now() - started) / 60000).toFixed(1)} min`);
    return;
  }

  // Ctrl-C or SIGTERM stops make and removes the proof's scratch folder, as the CLI does.
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const reports = path.join(benchCache(), 'prove');
  mkdirSync(reports, { recursive: true });
  console.log(`\nproofs: the change of the kernel proper (resident bytes: vmlinux minus init), predicted and rebuilt; error = (predicted - rebuilt) / |rebuilt| — target |error| <= ${TARGET_PERCENT}%; full texts in ${reports}`);
  const errors: number[] = [];
  const failed: string[] = [];
  /** Proofs whose rebuild left nothing out of vmlinux while the prediction said something would: no error in percent. */
  const nothingLeft: string[] = [];
  const width = Math.max(...sets.map((s) => s.label.length));
  try {
    for (const [i, set] of sets.entries()) {
      log(`proof ${i + 1} of ${sets.length}: ${set.label}`);
      const r = await proveModularize({
        index,
        analysis,
        symbols: set.symbols,
        makeArgs: [JOBS],
        signal: controller.signal,
        onProgress: (p) => {
          if (!p.output) log(`  ${p.message}`);
        },
      });
      writeFileSync(path.join(reports, `${set.symbols.length > 1 ? 'all' : set.symbols[0]}.txt`), formatProof(r));
      printProof(set.label.padEnd(width), r);
      if (r.outcome !== 'rebuilt') failed.push(set.label);
      else if (r.totals?.errorPercent === null) nothingLeft.push(set.label);
      else if (r.totals) errors.push(Math.abs(r.totals.errorPercent));
    }
  } catch (e) {
    if (!(e instanceof ProofAborted)) throw e;
    console.error('bench --prove: interrupted; the scratch folder was removed');
    process.exitCode = 130;
    return;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }

  const max = errors.length ? Math.max(...errors) : NaN;
  const mean = errors.length ? errors.reduce((a, b) => a + b, 0) / errors.length : NaN;
  const within = errors.filter((e) => e <= TARGET_PERCENT).length;
  console.log(
    `\nsummary: ${sets.length} proofs (${failed.length} failed${failed.length ? `: ${failed.join(', ')}` : ''}), max |error| ${max.toFixed(2)}%, mean |error| ${mean.toFixed(2)}%, ${within} of ${errors.length} within ${TARGET_PERCENT}%${nothingLeft.length ? `, nothing left vmlinux though predicted: ${nothingLeft.join(', ')}` : ''} — target |error| <= ${TARGET_PERCENT}%; solver mismatches ${mismatches} of ${sets.length} — target 0; ${((Date.now() - started) / 60000).toFixed(1)} min`,
  );
  // A rebuild that failed is a blocker the analysis missed; an error above the target is a figure.
  if (failed.length) process.exitCode = 1;
}
