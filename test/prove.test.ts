/**
 * `kbloat modularize --prove` for real on builds of the mini tree: the kernel
 * is rebuilt with the candidates at m in a scratch copy, the numbers are those
 * of the rebuilt vmlinux as readelf and nm read it, the user's build (and, for
 * an O= build, its source tree) stays byte for byte as it was, a blocker the
 * analysis cannot see (a built-in file that calls into the code only when it
 * is a module) comes back from the failed link with its file and symbol, with
 * GNU ld, with ld.lld (make LLVM=1), with Clang ThinLTO (vmlinux linked from
 * vmlinux.o) and cross-compiled for arm64 (the make variables read from the
 * build), and Ctrl-C during make removes the scratch folder, ends make's
 * processes and exits 130.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { configValue, parseDotConfig } from '../server/src/kbuild/dotconfig';
import { nmSized, readelfSections, readelfSymbols, REPO, runCli, tempDir } from './helpers';
import { edit } from './miniChanges';
import { buildMiniKernel, cleanupMiniBuild, MiniBuild, MiniBuildOptions, miniBuildSkip } from './minikernel';

interface Compared { predicted: number; rebuilt: number }
interface Proof {
  outcome: 'rebuilt' | 'build-failed';
  buildDir: string;
  scratch: string;
  kept: boolean;
  requested: string[];
  makeArgs: string[];
  makeVariables: { name: string; value: string; from: string }[];
  prediction: { changes: { symbol: string; bytes: number }[]; residentAfter: number };
  forcedBack: { symbol: string; value: string }[];
  config: { symbol: string; before: string; after: string; predicted?: string; asked: boolean }[];
  symbols?: ({ symbol: string; files: string[] } & Compared)[];
  totals?: { residentBefore: number; predictedAfter: number; rebuiltAfter: number; predictedSaving: number; rebuiltSaving: number; errorPercent: number | null; code: Compared; tables: Compared; padding: Compared; other: Compared };
  diff?: { files: { path: string; oldStatus: string | null; newStatus: string | null }[] };
  blockers: { kind: string; file: string; symbol: string; object?: string; function?: string; message: string }[];
  failure?: { step: string; status: number | null; tail: string };
}

/** Every file, link and folder under `root` with its size, time and content hash (links: their target). */
function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    const abs = path.join(root, rel);
    const st = lstatSync(abs);
    if (st.isSymbolicLink()) out.set(rel, `link ${readlinkSync(abs)} ${st.mtimeMs}`);
    else if (st.isDirectory()) {
      out.set(rel || '.', `dir ${st.mtimeMs}`);
      for (const e of readdirSync(abs).sort()) walk(path.join(rel, e));
    } else out.set(rel, `file ${st.size} ${st.mtimeMs} ${createHash('sha1').update(readFileSync(abs)).digest('hex')}`);
  };
  walk('');
  return out;
}

function assertSame(before: Map<string, string>, after: Map<string, string>, what: string): void {
  const changed = [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k));
  assert.deepEqual(changed.map((k) => `${k}: ${before.get(k) ?? 'absent'} → ${after.get(k) ?? 'absent'}`), [], `${what} is untouched`);
}

/** The kernel proper of a vmlinux as binutils read it: allocated section bytes, minus those between __init_begin and __init_end. */
function residentOf(vmlinux: string): number {
  const sym = (n: string) => readelfSymbols(vmlinux).find((s) => s.name === n)!.value;
  const [begin, end] = [sym('__init_begin'), sym('__init_end')];
  const alloc = readelfSections(vmlinux).filter((s) => s.flags.includes('A') && s.size > 0);
  const image = alloc.reduce((a, s) => a + s.size, 0);
  const init = alloc.filter((s) => s.addr >= begin && s.addr + BigInt(s.size) <= end).reduce((a, s) => a + s.size, 0);
  return image - init;
}

/** The scratch folders a proof made under the system's temporary folder. */
function scratchFolders(): string[] {
  return readdirSync(os.tmpdir()).filter((n) => n.startsWith('kbloat-prove-'));
}

function proveJson(args: string[]): { status: number; proof: Proof; stderr: string } {
  const r = runCli(['modularize', ...args, '--prove', '--json']);
  assert.ok(r.stdout.startsWith('{'), `JSON on stdout (exit ${r.status}): ${r.stderr}`);
  return { status: r.status, proof: JSON.parse(r.stdout) as Proof, stderr: r.stderr };
}

/** A built-in file that calls into eeprom_core.c only when CONFIG_EEPROM_MINI is m: the built objects have no such reference, so the analysis cannot see it; the link after make olddefconfig does. */
function plantMissedBlocker(src: string): void {
  edit(src, 'drivers/misc/eeprom_core.c', (t) => `${t}\nint eeprom_mini_hook(void)\n{\n\treturn eeproms[0].valid;\n}\n`);
  edit(src, 'drivers/misc/core.c', (t) => `${t}\n#if IS_MODULE(CONFIG_EEPROM_MINI)\nint eeprom_mini_hook(void);\n\nint misc_eeprom_state(void)\n{\n\treturn eeprom_mini_hook();\n}\n#endif\n`);
}

describe('modularize --prove on the mini tree, in-tree', () => {
  let b: MiniBuild;
  let work: string;
  let unblocked: string[];
  before(() => {
    b = buildMiniKernel({});
    work = tempDir('prove');
    const r = runCli(['modularize', b.buildDir, '--json']);
    assert.equal(r.status, 0, r.stderr);
    unblocked = (JSON.parse(r.stdout) as { candidates: { symbol: string; type: string; blockers: unknown[] }[] }).candidates.filter((c) => c.blockers.length === 0 && c.type === 'tristate').map((c) => c.symbol);
    assert.ok(unblocked.length > 0, 'the mini tree has an unblocked candidate');
  });
  after(() => {
    if (b) cleanupMiniBuild(b);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('every unblocked candidate, rebuilt in --scratch: the numbers are the rebuilt vmlinux\'s, the build is untouched', () => {
    const state = snapshot(b.buildDir);
    const scratch = path.join(work, 'scratch');
    const { status, proof, stderr } = proveJson([b.buildDir, '--scratch', scratch]);
    assert.equal(status, 0, stderr);
    assertSame(state, snapshot(b.buildDir), 'the build folder');
    assert.equal(proof.outcome, 'rebuilt');
    assert.deepEqual(proof.requested, unblocked);
    assert.equal(proof.scratch, scratch);
    assert.ok(proof.kept, 'a --scratch folder is kept');
    assert.deepEqual(proof.makeArgs, ['ARCH=mini'], 'ARCH from the .config header; gcc with no cross prefix');
    // Progress went to stderr: the steps and make's own lines.
    assert.match(stderr, /^kbloat modularize: make olddefconfig/m);
    assert.match(stderr, /^kbloat modularize: {3}LD {6}vmlinux$/m);

    // The scratch build is a real rebuild after make olddefconfig: what it left at m, what it put back,
    // and every other change, as the two .config files say.
    const cfg = parseDotConfig(readFileSync(path.join(scratch, '.config'), 'utf8'));
    const old = parseDotConfig(readFileSync(path.join(b.buildDir, '.config'), 'utf8'));
    assert.equal(configValue(cfg, 'CONFIG_EEPROM_MINI'), 'm');
    assert.ok(existsSync(path.join(scratch, 'drivers/misc/eeprom.ko')), 'the module was built');
    assert.deepEqual(proof.forcedBack.map((f) => `${f.symbol}=${f.value}`), unblocked.filter((s) => configValue(cfg, s) !== 'm').map((s) => `${s}=${configValue(cfg, s)}`));
    const names = new Set([...old.values.keys(), ...old.notSet, ...cfg.values.keys(), ...cfg.notSet]);
    const changed = [...names].filter((n) => configValue(old, n) !== configValue(cfg, n)).sort();
    assert.deepEqual(proof.config.filter((c) => c.before !== c.after).map((c) => `${c.symbol} ${c.before} → ${c.after}`).sort(), changed.map((n) => `${n} ${configValue(old, n)} → ${configValue(cfg, n)}`));
    for (const c of proof.config) assert.equal(c.asked, unblocked.includes(c.symbol), c.symbol);

    // Totals: readelf on both vmlinux files.
    const t = proof.totals!;
    assert.equal(t.residentBefore, residentOf(path.join(b.buildDir, 'vmlinux')));
    assert.equal(t.rebuiltAfter, residentOf(path.join(scratch, 'vmlinux')));
    assert.equal(t.rebuiltSaving, t.residentBefore - t.rebuiltAfter);
    assert.equal(t.predictedAfter, proof.prediction.residentAfter);
    assert.equal(t.predictedSaving, t.residentBefore - t.predictedAfter);
    assert.equal(t.code.rebuilt + t.tables.rebuilt + t.padding.rebuilt + t.other.rebuilt, t.rebuiltSaving, 'the parts add up to the rebuilt saving');
    if (t.rebuiltSaving !== 0) assert.equal(t.errorPercent, ((t.predictedSaving - t.rebuiltSaving) / Math.abs(t.rebuiltSaving)) * 100);

    // Per symbol: the moved objects' resident symbols (nm -S) are in the old vmlinux and not in the new one,
    // and the bytes counted under the symbol hold at least them.
    const eeprom = proof.symbols!.find((s) => s.symbol === 'CONFIG_EEPROM_MINI')!;
    assert.deepEqual(eeprom.files, ['drivers/misc/eeprom_core.c', 'drivers/misc/eeprom_sysfs.c']);
    assert.equal(eeprom.predicted, proof.prediction.changes.find((c) => c.symbol === 'CONFIG_EEPROM_MINI')!.bytes);
    const oldVm = path.join(b.buildDir, 'vmlinux');
    const sym = (n: string) => readelfSymbols(oldVm).find((s) => s.name === n)!.value;
    const [initBegin, initEnd] = [sym('__init_begin'), sym('__init_end')];
    const own = new Set(eeprom.files.flatMap((f) => readelfSymbols(path.join(b.buildDir, f.replace(/\.c$/, '.o'))).filter((s) => (s.type === 'FUNC' || s.type === 'OBJECT') && s.ndx !== 'UND' && s.size > 0).map((s) => s.name)));
    const oldNm = nmSized(oldVm).filter((s) => own.has(s.name));
    const newNm = nmSized(path.join(scratch, 'vmlinux')).filter((s) => own.has(s.name));
    assert.ok(oldNm.length >= 4, `the old vmlinux has the objects' symbols: ${oldNm.map((s) => s.name)}`);
    assert.deepEqual(newNm.map((s) => s.name), [], 'the rebuilt vmlinux has none of them');
    const residentSyms = oldNm.filter((s) => s.addr < initBegin || s.addr >= initEnd).reduce((a, s) => a + s.size, 0);
    assert.ok(eeprom.rebuilt >= residentSyms && eeprom.rebuilt > 0, `${eeprom.rebuilt} B counted, nm -S: ${residentSyms} B of resident symbols`);
    // And as kbloat diff says it, by file.
    const rows = proof.diff!.files.filter((f) => eeprom.files.includes(f.path));
    assert.deepEqual(rows.map((f) => `${f.path} ${f.oldStatus} → ${f.newStatus}`).sort(), eeprom.files.map((f) => `${f} built-in → module`));
  });

  test('text output, a symbol named without CONFIG_, --keep: the table, the totals and kbloat diff', () => {
    const state = snapshot(b.buildDir);
    const r = runCli(['modularize', b.buildDir, '--prove', 'EEPROM_MINI', '--keep']);
    assert.equal(r.status, 0, r.stderr);
    assertSame(state, snapshot(b.buildDir), 'the build folder');
    const kept = /the rebuilt build stays in (\S+)$/m.exec(r.stderr)?.[1];
    assert.ok(kept && existsSync(path.join(kept, 'vmlinux')), `--keep keeps the scratch folder: ${r.stderr}`);
    try {
      const after = residentOf(path.join(kept, 'vmlinux'));
      assert.match(r.stdout, /^proof of CONFIG_EEPROM_MINI=m$/m);
      assert.match(r.stdout, /^symbol +\.config predicted +\.config rebuilt +predicted +rebuilt +error$/m);
      assert.match(r.stdout, /^CONFIG_EEPROM_MINI +y → m +y → m +-[\d,]+ B +-[\d,]+ B +[-+]?[\d,]+ B$/m);
      assert.match(r.stdout, new RegExp(`^rebuilt after +${after.toLocaleString('en-US')} B `, 'm'));
      assert.match(r.stdout, /^error of the predicted saving: /m);
      assert.match(r.stdout, /^kbloat diff \(your build → rebuilt\):$/m);
      assert.match(r.stdout, /^drivers\/misc\/eeprom_core\.c .* built-in → module$/m);
    } finally {
      rmSync(kept, { recursive: true, force: true });
    }
  });

  test('bad input: one line, exit 2, nothing made', () => {
    const before = scratchFolders();
    const cases: [string, string[], RegExp][] = [
      ['not a candidate', [b.buildDir, '--prove', 'CONFIG_MISC_HEARTBEAT'], /CONFIG_MISC_HEARTBEAT is not a candidate: it is =m, not y/],
      ['not a symbol', [b.buildDir, '--prove', 'EEPROM-MINI'], /"EEPROM-MINI" is not a Kconfig symbol/],
      ['scratch inside the build', [b.buildDir, '--prove', '--scratch', path.join(b.buildDir, 'proof')], /is inside the build folder .*: a proof never writes into your build/],
      ['scratch is the build', [b.buildDir, '--prove', '--scratch', b.buildDir], /is the build folder/],
      ['scratch holds the build', [b.buildDir, '--prove', '--scratch', path.dirname(b.buildDir)], /holds the build folder/],
      ['--keep without --prove', [b.buildDir, '--keep'], /--keep goes with --prove/],
    ];
    for (const [what, args, message] of cases) {
      const r = runCli(['modularize', ...args]);
      assert.equal(r.status, 2, `${what}: ${r.stderr}`);
      const lines = r.stderr.trimEnd().split('\n').filter((l) => !/^kbloat modularize: /.test(l));
      assert.equal(lines.length, 1, `${what}: one line: ${r.stderr}`);
      assert.match(lines[0], message, what);
      assert.equal(r.stdout, '', what);
    }
    assert.ok(!existsSync(path.join(b.buildDir, 'proof')));
    assert.deepEqual(scratchFolders(), before, 'no scratch folder was left');
  });

  test('Ctrl-C during make: make\'s processes end, the scratch folder goes, exit 130', async () => {
    const state = snapshot(b.buildDir);
    // A compiler that records its pid and takes its time: make is surely running when the signal comes.
    const pids = path.join(work, 'cc.pids');
    const cc = path.join(work, 'slow-gcc');
    writeFileSync(cc, `#!/bin/sh\ncase " $* " in *" -c "*) echo $$ >> '${pids}'; sleep 120 ;; esac\nexec gcc "$@"\n`);
    chmodSync(cc, 0o755);
    const child = spawn(process.execPath, [path.join(REPO, 'dist/cli.js'), 'modularize', b.buildDir, '--prove', '--make-arg', `CC=${cc}`], {
      env: { ...process.env, KBLOAT_CACHE_DIR: path.join(work, 'cache') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    const deadline = Date.now() + 60_000;
    while (!(existsSync(pids) && readFileSync(pids, 'utf8').trim()) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    assert.ok(existsSync(pids), `a compile started under make: ${stderr}`);
    assert.match(stderr, /^kbloat modularize: make -j\d+ in /m);
    const scratch = /copying \S+ to (\S+)$/m.exec(stderr)?.[1];
    assert.ok(scratch && existsSync(scratch), `the scratch folder is there during make: ${stderr}`);
    child.kill('SIGINT');
    const status = await closed;
    assert.equal(status, 130, stderr);
    assert.match(stderr, /interrupted; the scratch folder was removed/);
    assert.ok(!existsSync(scratch), `${scratch} is gone`);
    // The slow compiler was in make's process group: it is gone too (a zombie awaiting its reaper counts as gone).
    const alive = (pid: number): boolean => {
      try {
        return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    };
    const compilers = readFileSync(pids, 'utf8').trim().split('\n').map(Number);
    const until = Date.now() + 10_000;
    while (compilers.some(alive) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(compilers.filter(alive), [], 'no compiler is left running');
    assertSame(state, snapshot(b.buildDir), 'the build folder');
  });
});

describe('modularize --prove on an O= build', () => {
  let b: MiniBuild;
  before(() => {
    b = buildMiniKernel({ outOfTree: true });
  });
  after(() => b && cleanupMiniBuild(b));

  test('the O= folder is copied, the source tree only read; both untouched', () => {
    const build = snapshot(b.buildDir);
    const source = snapshot(b.srcDir);
    const { status, proof, stderr } = proveJson([b.buildDir, 'CONFIG_EEPROM_MINI']);
    assert.equal(status, 0, stderr);
    assertSame(build, snapshot(b.buildDir), 'the O= folder');
    assertSame(source, snapshot(b.srcDir), 'the source tree');
    assert.equal(proof.outcome, 'rebuilt');
    assert.equal(proof.kept, false);
    assert.ok(!existsSync(proof.scratch), 'the scratch folder is removed');
    assert.ok(proof.totals!.rebuiltSaving > 0);
    assert.deepEqual(proof.symbols!.find((s) => s.symbol === 'CONFIG_EEPROM_MINI')!.files, ['drivers/misc/eeprom_core.c', 'drivers/misc/eeprom_sysfs.c']);
  });
});

/** A planted missed blocker, with the toolchain of `options`: the failed link names the file and the symbol. */
function missedBlockerSuite(name: string, options: MiniBuildOptions, makeArgs: string[], message: RegExp): void {
  const skip = miniBuildSkip(options);
  describe(`a blocker the analysis missed, ${name}`, { skip }, () => {
    let b: MiniBuild;
    before(() => {
      b = buildMiniKernel({ ...options, prepare: plantMissedBlocker });
    });
    after(() => b && cleanupMiniBuild(b));

    test('is reported from the link error with its file and symbol; exit 1', () => {
      // The analysis cannot see it: CONFIG_EEPROM_MINI is a candidate without blockers.
      const m = runCli(['modularize', b.buildDir, '--json']);
      const c = (JSON.parse(m.stdout) as { candidates: { symbol: string; blockers: unknown[] }[] }).candidates.find((x) => x.symbol === 'CONFIG_EEPROM_MINI');
      assert.deepEqual(c?.blockers, []);
      const state = snapshot(b.buildDir);
      const before = scratchFolders();
      const { status, proof, stderr } = proveJson([b.buildDir]);
      assert.equal(status, 1, stderr);
      assertSame(state, snapshot(b.buildDir), 'the build folder');
      assert.deepEqual(scratchFolders(), before, 'the scratch folder is removed');
      assert.deepEqual(proof.makeArgs, makeArgs);
      assert.equal(proof.outcome, 'build-failed');
      assert.equal(proof.failure?.step, 'make');
      assert.equal(proof.totals, undefined, 'no numbers from a failed rebuild');
      assert.deepEqual(proof.blockers.map((x) => ({ kind: x.kind, file: x.file, symbol: x.symbol, object: x.object, function: x.function })), [
        { kind: 'link', file: 'drivers/misc/core.c', symbol: 'eeprom_mini_hook', object: 'drivers/misc/core.o', function: 'misc_eeprom_state' },
      ]);
      assert.match(proof.blockers[0].message, message);
      const text = runCli(['modularize', b.buildDir, '--prove']);
      assert.equal(text.status, 1, text.stderr);
      assert.match(text.stdout, /^THE REBUILD FAILED: make exited with 2$/m);
      assert.match(text.stdout, /^ {2}drivers\/misc\/core\.c +eeprom_mini_hook +the link of vmlinux +misc_eeprom_state\(\)$/m);
    });
  });
}

missedBlockerSuite('GNU ld', {}, ['ARCH=mini'], /undefined reference to `eeprom_mini_hook'/);
missedBlockerSuite('ld.lld (make LLVM=1)', { toolchain: 'llvm' }, ['ARCH=mini', 'LLVM=1'], /ld\.lld: error: undefined symbol: eeprom_mini_hook/);
// Linked from vmlinux.o, as Linux links vmlinux: the linker names no source object; the objects' symbol tables (LLVM bitcode here) do.
missedBlockerSuite('Clang ThinLTO (vmlinux linked from vmlinux.o)', { lto: 'thin' }, ['ARCH=mini', 'LLVM=1'], /ld\.lld: error: undefined symbol: eeprom_mini_hook\n(>>> .*\n)*>>> +vmlinux\.o:\(misc_eeprom_state\)/);
missedBlockerSuite('cross-compiled for arm64', { arch: 'arm64' }, ['ARCH=arm64', 'CROSS_COMPILE=aarch64-linux-gnu-'], /aarch64-linux-gnu-ld: .*in function `misc_eeprom_state'/);
