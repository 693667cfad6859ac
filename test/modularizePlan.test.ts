/**
 * The "Modularize…" plans (modularize/plan.ts: planForCandidate, planForFile)
 * over the view the language server builds from the analysis of the Linux 6.1
 * fixture (snapshot.ts), checked with the kernel's own tools: each action's
 * edits are applied to copies of the files, and the kernel's `conf
 * --olddefconfig` (linked from the fixture's own scripts/kconfig objects, run
 * over the fixture's Kconfig tree with the edited files in place) says what the
 * configuration becomes, GNU make says what an edited Makefile builds, and
 * grep says what the Kconfig files declare. Planning again over the edited
 * text offers nothing for the step taken.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadIndex } from '../server/src/index/cache';
import type { BuildIndex } from '../server/src/index/model';
import { configValue, KernelConfig, parseDotConfig } from '../server/src/kbuild/dotconfig';
import { ModularizeAnalysis } from '../server/src/modularize/analysis';
import { ModularizeView, PlanCandidate, PlanContext, PlannedAction, planForCandidate, planForFile } from '../server/src/modularize/plan';
import { makeModularizeSnapshot, ModularizeSnapshot, snapshotView } from '../server/src/modularize/snapshot';
import { humanSize } from '../server/src/shared/units';
import { FIXTURE, fixtureSkip, tempDir } from './helpers';
import { RealConf as Conf } from './realConf';

type Edit = PlannedAction['edits'] extends Map<string, (infer E)[]> ? E : never;

/** Applies an editor's non-overlapping line/column edits to a text, last first. */
function applyEdits(text: string, edits: readonly Edit[]): string {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  const offset = (p: { line: number; character: number }) => {
    assert.ok(p.line < starts.length, `line ${p.line} exists`);
    return starts[p.line] + p.character;
  };
  let out = text;
  for (const e of [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start))) out = out.slice(0, offset(e.range.start)) + e.newText + out.slice(offset(e.range.end));
  return out;
}

/** The fixture's files as one action leaves them: tree-relative path -> new text. */
function applied(action: PlannedAction, read: (abs: string) => string = (abs) => readFileSync(abs, 'utf8')): Map<string, string> {
  const out = new Map<string, string>();
  for (const [abs, edits] of action.edits) {
    assert.ok(abs.startsWith(FIXTURE + path.sep), `${abs} is inside the tree`);
    out.set(path.relative(FIXTURE, abs).split(path.sep).join('/'), applyEdits(read(abs), edits));
  }
  return out;
}

/** A Kconfig entry as grep reads it: the `config`/`menuconfig` line and its type line. */
function kconfigEntry(text: string, name: string): { line: number; type?: string; prompt?: string } | undefined {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => new RegExp(`^\\s*(menu)?config\\s+${name}\\s*$`).test(l));
  if (at < 0) return undefined;
  for (let i = at + 1; i < lines.length && !/^\s*(menu)?config\s|^\s*(endmenu|endif|endchoice|menu|choice|if|source)\b/.test(lines[i]); i++) {
    const m = /^\s+(bool|tristate|def_bool|def_tristate|boolean)\b\s*(?:"([^"]*)")?/.exec(lines[i]);
    if (m) return { line: at + 1, type: m[1], prompt: m[2] };
  }
  return { line: at + 1 };
}

/** Which options differ between two configurations, as `CONFIG_X: a -> b`. */
function changes(from: KernelConfig, to: KernelConfig): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of new Set([...from.values.keys(), ...to.values.keys(), ...from.notSet, ...to.notSet])) {
    const a = configValue(from, name);
    const b = configValue(to, name);
    if (a !== b) out.set(name, b);
  }
  return out;
}


/**
 * What GNU make puts in obj-y and obj-m when it reads a Kbuild Makefile of
 * `root` with the build's auto.conf and extra variables; the wrapper that
 * prints them is written to `scratch`.
 */
function makeLists(scratch: string, root: string, makefile: string, vars: string[]): { y: string[]; m: string[] } {
  const wrapper = path.join(scratch, 'kbloat-lists.mk');
  writeFileSync(wrapper, `include ${path.join(FIXTURE, 'include/config/auto.conf')}\ninclude ${path.join(root, makefile)}\nkbloat-lists:\n\t@echo 'y:' $(obj-y)\n\t@echo 'm:' $(obj-m)\n`);
  const out = execFileSync('make', ['-s', '--no-print-directory', '-f', wrapper, 'kbloat-lists', ...vars], { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH } });
  const list = (k: string) => (new RegExp(`^${k}:(.*)$`, 'm').exec(out)?.[1] ?? '').trim().split(/\s+/).filter(Boolean);
  return { y: list('y'), m: list('m') };
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const savesText = (resident: number, init: number) => `−${humanSize(resident)} resident${init ? `, −${humanSize(init)} init` : ''}`;

describe('Modularize plans on the Linux 6.1 fixture', { skip: fixtureSkip }, () => {
  let index: BuildIndex;
  let snapshot: ModularizeSnapshot;
  let view: ModularizeView;
  let analysis: ModularizeAnalysis;
  let work: string;
  let conf: Conf;
  let dotconfig: string;
  /** conf --olddefconfig of the unchanged .config: what every other run is compared with. */
  let control: KernelConfig;

  /** The server's plan context (features/codeActions.ts), reading `overlay` first as an editor's open buffers. */
  const context = (overlay = new Map<string, string>(), cannotWrite: (abs: string) => string | undefined = () => undefined): PlanContext => ({
    sourceDir: index.build.sourceDir,
    buildDir: index.build.dir,
    read: (abs) => overlay.get(path.relative(FIXTURE, abs).split(path.sep).join('/')) ?? (existsSync(abs) ? readFileSync(abs, 'utf8') : undefined),
    cannotWrite,
    symbolExists: (name) => view.symbolExists(name),
  });
  const candidates = () => Object.values(snapshot.candidates).sort((a, b) => a.symbol.localeCompare(b.symbol));
  const kconfigText = (c: PlanCandidate) => readFileSync(path.join(FIXTURE, c.definition!.file), 'utf8');

  before(async () => {
    index = loadIndex(FIXTURE, { noCache: true }).index;
    snapshot = makeModularizeSnapshot(index);
    assert.equal(snapshot.unavailable, undefined);
    view = snapshotView(snapshot);
    analysis = ModularizeAnalysis.load(index);
    work = tempDir('modplan');
    conf = new Conf(work);
    conf.setup();
    dotconfig = readFileSync(path.join(FIXTURE, '.config'), 'utf8');
    control = await conf.olddefconfig(dotconfig);
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('the kernel\'s conf reproduces the fixture\'s .config (the harness is faithful)', () => {
    const differ = changes(parseDotConfig(dotconfig), control);
    // Only options whose Kconfig probes a script the fixture lacks (the stack protector test) may differ.
    assert.ok(differ.size <= 3, `conf --olddefconfig changed ${[...differ].map(([k, v]) => `${k}=${v}`).join(', ')}`);
    for (const c of candidates()) assert.equal(configValue(control, c.symbol), 'y', c.symbol);
  });

  describe('a tristate option built in', () => {
    let picked: PlanCandidate[];
    const results = new Map<string, { action: PlannedAction; after: KernelConfig; files: Map<string, string> }>();

    before(async () => {
      // The unblocked tristates with the most resident bytes.
      picked = candidates().filter((c) => c.type === 'tristate' && c.value === 'y' && c.blockers.length === 0).sort((a, b) => b.resident - a.resident).slice(0, 3);
      for (const c of picked) {
        const actions = planForCandidate(c, context());
        assert.equal(actions.length, 1, `${c.symbol}: ${actions.map((a) => a.title).join(' / ')}`);
        const files = applied(actions[0]);
        results.set(c.symbol, { action: actions[0], files, after: await conf.olddefconfig(files.get('.config')!) });
      }
    });

    test('gets one "module" action whose only edit sets CONFIG_X=m in .config, and conf --olddefconfig keeps it m', () => {
      assert.equal(picked.length, 3);
      for (const c of picked) {
        const { action, files, after } = results.get(c.symbol)!;
        const name = c.symbol.replace(/^CONFIG_/, '');
        // grep: Kconfig declares it tristate where the candidate says it is defined.
        const entry = kconfigEntry(kconfigText(c), name);
        assert.equal(entry?.type, 'tristate', `${c.definition!.file} declares ${name} tristate`);
        assert.equal(entry.line, c.definition!.line);
        assert.equal(action.kind, 'module');
        assert.equal(action.disabled, undefined);
        assert.equal(action.title, `Build ${c.symbol} as a module (${savesText(c.resident, c.init)})`);
        assert.deepEqual(action.saves, { resident: c.resident, init: c.init });
        assert.deepEqual([...files.keys()], ['.config']);
        // The edited .config differs in that one line.
        const before = dotconfig.split('\n');
        const now = files.get('.config')!.split('\n');
        assert.equal(now.length, before.length);
        const differing = before.flatMap((l, i) => (l === now[i] ? [] : [`${l} -> ${now[i]}`]));
        assert.deepEqual(differing, [`${c.symbol}=y -> ${c.symbol}=m`]);
        // Kconfig accepts the value: nothing selects it back to y, its dependencies allow m.
        assert.equal(configValue(after, c.symbol), 'm', `${c.symbol} after conf --olddefconfig`);
        // And what the analysis says moves with it, moves.
        for (const also of analysis.candidate(c.symbol)?.alsoChanges ?? []) assert.equal(configValue(after, also.symbol), also.value, `${also.symbol} moves with ${c.symbol}`);
      }
    });

    test('the options conf changes are exactly the option and those the plan counts with it', () => {
      for (const c of picked) {
        const { after } = results.get(c.symbol)!;
        const predicted = new Map([[c.symbol, 'm'], ...(analysis.candidate(c.symbol)?.alsoChanges ?? []).map((a) => [a.symbol, a.value] as [string, string])]);
        // Options with code of their own: symbols on some built-in object's Makefile chain.
        const withCode = new Set(Object.keys(snapshot.candidates));
        const moved = new Map([...changes(control, after)].filter(([k]) => withCode.has(k)));
        const expected = new Map([...predicted].filter(([k]) => withCode.has(k)));
        assert.deepEqual(Object.fromEntries(moved), Object.fromEntries(expected), c.symbol);
      }
    });

    test('planning again over the edited .config offers nothing', () => {
      for (const c of picked) {
        const { files } = results.get(c.symbol)!;
        assert.deepEqual(planForCandidate(c, context(files)), [], c.symbol);
      }
    });

    test('planForFile on one of its files plans the same step', () => {
      for (const c of picked) {
        const f = view.forFile(c.files[0]);
        assert.ok(f, c.files[0]);
        const byFile = planForFile(f, context());
        const byCandidate = planForCandidate(f.candidate!, context());
        assert.deepEqual(byFile.map((a) => [a.kind, a.title, [...a.edits]]), byCandidate.map((a) => [a.kind, a.title, [...a.edits]]));
        assert.equal(byFile.length, 1);
      }
    });
  });

  describe('a tristate another option selects', () => {
    let c: PlanCandidate;
    let action: PlannedAction;
    let after: KernelConfig;

    before(async () => {
      // A select from a bool that stays y: Kconfig forces the option back to y, whatever .config says.
      c = candidates().find((x) => x.type === 'tristate' && x.blockers.some((b) => b.kind === 'selected-by-bool' && b.by && kconfigEntry(readFileSync(path.join(FIXTURE, b.file), 'utf8'), b.by.replace(/^CONFIG_/, ''))?.type === 'bool'))!;
      assert.ok(c, 'the fixture has a tristate selected by a bool that is y');
      const actions = planForCandidate(c, context());
      assert.equal(actions.length, 1);
      action = actions[0];
      after = await conf.olddefconfig(applied(action).get('.config')!);
    });

    test('is offered with what it would break in the title; conf shows the break is real (the option goes back to y)', () => {
      const sel = c.blockers.find((b) => b.kind === 'selected-by-bool')!;
      // grep: the selecting entry is a bool, =y in .config, and its block has `select X` at the line the blocker names.
      const text = readFileSync(path.join(FIXTURE, sel.file), 'utf8');
      assert.match(text.split('\n')[sel.line! - 1], new RegExp(`^\\s*select\\s+${c.symbol.replace(/^CONFIG_/, '')}\\b`));
      assert.equal(configValue(parseDotConfig(dotconfig), sel.by!), 'y');
      // An action that would break something is still offered (features/codeActions.ts), and its title says what.
      assert.equal(action.kind, 'module');
      assert.equal(action.disabled, undefined);
      assert.deepEqual(action.blockers, c.blockers);
      const n = c.blockers.length;
      assert.match(action.title, new RegExp(`^Build ${c.symbol} as a module \\(${esc(savesText(c.resident, c.init))}\\) — would break ${n === 1 ? '1 thing' : `${n} things`}: `));
      assert.ok(action.title.includes(`${sel.by} selects it`) || c.blockers.indexOf(sel) >= 2, action.title);
      // The kernel's own answer: the select wins, the option stays built in.
      assert.equal(configValue(after, c.symbol), 'y', `${c.symbol} after conf --olddefconfig`);
    });
  });

  describe('a bool option', () => {
    let c: PlanCandidate;
    let action: PlannedAction;
    let files: Map<string, string>;
    let after: KernelConfig;

    before(async () => {
      // One the user can set (a prompt), that nothing blocks, with the fewest files.
      c = candidates()
        .filter((x) => x.type === 'bool' && x.blockers.length === 0 && x.definition && kconfigEntry(kconfigText(x), x.symbol.replace(/^CONFIG_/, ''))?.prompt)
        .sort((a, b) => a.files.length - b.files.length || a.symbol.localeCompare(b.symbol))[0];
      assert.ok(c, 'the fixture has an unblocked bool candidate with a prompt');
      const actions = planForCandidate(c, context());
      assert.equal(actions.length, 1);
      action = actions[0];
      files = applied(action);
      after = await conf.olddefconfig(files.get('.config')!, files);
    });

    test('gets the tristate action: Kconfig says tristate, the C files get MODULE_LICENSE, .config says m, and conf keeps it m', () => {
      const name = c.symbol.replace(/^CONFIG_/, '');
      assert.equal(kconfigEntry(kconfigText(c), name)?.type, 'bool', `${c.definition!.file} declares ${name} bool today`);
      assert.equal(action.kind, 'tristate');
      assert.equal(action.disabled, undefined);
      assert.equal(action.title, `Make ${c.symbol} tristate and build it as a module (${savesText(c.resident, c.init)})`);
      // .config and the Kconfig file, and of the C files only the candidate's own.
      assert.ok(files.has('.config') && files.has(c.definition!.file), [...files.keys()].join(', '));
      for (const f of files.keys()) assert.ok(['.config', c.definition!.file, ...c.files].includes(f), `${f} is one of the candidate's files`);
      // Kconfig: the type line of that entry, and only it, changed.
      const kconfig = files.get(c.definition!.file)!;
      const entry = kconfigEntry(kconfig, name)!;
      assert.equal(entry.type, 'tristate');
      assert.equal(entry.prompt, kconfigEntry(kconfigText(c), name)!.prompt);
      const before = kconfigText(c).split('\n');
      assert.equal(kconfig.split('\n').filter((l, i) => l !== before[i]).length, 1);
      for (const f of c.files.filter((x) => /\.c$/.test(x))) {
        const text = files.get(f) ?? readFileSync(path.join(FIXTURE, f), 'utf8');
        assert.equal(text.match(/^MODULE_LICENSE\(/gm)?.length, 1, `${f} declares its license once`);
        assert.match(text, /^MODULE_DESCRIPTION\(/m, f);
      }
      assert.match(files.get('.config')!, new RegExp(`^${c.symbol}=m$`, 'm'));
      assert.equal(configValue(after, c.symbol), 'm', `${c.symbol} after conf --olddefconfig over the edited Kconfig`);
      for (const also of analysis.candidate(c.symbol)?.alsoChanges ?? []) assert.equal(configValue(after, also.symbol), also.value, `${also.symbol} moves with ${c.symbol}`);
    });

    test('planning again over the edited files offers nothing; a Kconfig that does not parse disables the action and says where', () => {
      assert.deepEqual(planForCandidate(c, context(files)), []);
      const lines = kconfigText(c).split('\n');
      const at = c.definition!.line;
      lines.splice(at + 1, 0, '\tdepends on "BROKEN');
      const broken = planForCandidate(c, context(new Map([[c.definition!.file, lines.join('\n')]])));
      assert.equal(broken.length, 1);
      assert.match(broken[0].disabled ?? '', new RegExp(`^${esc(c.definition!.file)}:${at + 2}\\b.*does not parse`));
      assert.equal(broken[0].edits.size, 0);
    });
  });

  describe('a file no option builds (plain obj-y)', () => {
    let f: NonNullable<ReturnType<ModularizeView['forFile']>>;
    let action: PlannedAction;
    let files: Map<string, string>;
    let option: string;
    let after: KernelConfig;

    before(async () => {
      // A driver file that nothing else needs (no blocker), listed on an obj-y line.
      f = Object.values(snapshot.files)
        .filter((x) => x.file.startsWith('drivers/') && x.file.endsWith('.c') && !x.candidate && !x.unavailable && x.makefileLine?.listVar === 'obj-y' && x.kconfigFile && !x.objectBlockers?.length)
        .sort((a, b) => a.file.localeCompare(b.file))[0];
      assert.ok(f, 'the fixture has a plain obj-y driver file');
      const actions = planForFile(f, context());
      assert.equal(actions.length, 1);
      action = actions[0];
      option = /CONFIG_(\w+)/.exec(action.title)![1];
      files = applied(action);
      after = await conf.olddefconfig(files.get('.config')!, files);
    });

    test('gets a new tristate option: an unused name, a Kconfig entry conf accepts as m, a Makefile line make builds as a module', () => {
      assert.equal(action.kind, 'new-option');
      assert.equal(action.disabled, undefined);
      const obj = path.posix.basename(f.object);
      assert.equal(action.title, `Put ${obj} behind a new tristate option CONFIG_${option}, as a module (${savesText(f.resident, f.init)})`);
      // grep: no Kconfig file of the tree defines the name yet.
      const grep = spawnSync('grep', ['-rlE', '--include=Kconfig*', `^\\s*(menu)?config\\s+${option}\\s*$`, '.'], { cwd: FIXTURE, encoding: 'utf8' });
      assert.equal(grep.status, 1, `grep finds no definition of ${option}: ${grep.stdout}${grep.stderr}`);
      assert.deepEqual([...files.keys()].sort(), ['.config', f.kconfigFile!, f.makefileLine!.file, f.file].sort());
      // Kconfig: a tristate entry, depending on the options on the object's way that are y.
      const entry = kconfigEntry(files.get(f.kconfigFile!)!, option);
      assert.equal(entry?.type, 'tristate');
      for (const s of (f.chainSymbols ?? []).filter((x) => x.value === 'y')) assert.match(files.get(f.kconfigFile!)!, new RegExp(`depends on .*\\b${s.name.replace(/^CONFIG_/, '')}\\b`));
      assert.match(files.get('.config')!, new RegExp(`^CONFIG_${option}=m$`, 'm'));
      assert.equal(configValue(after, `CONFIG_${option}`), 'm', 'conf --olddefconfig over the edited Kconfig keeps the new option m');
      // GNU make: the object leaves obj-y for obj-m with the option m, and stays built in with it y.
      const dir = path.posix.dirname(f.makefileLine!.file);
      const rel = path.posix.relative(dir, f.object);
      const root = conf.tree(files);
      const original = makeLists(work, FIXTURE, f.makefileLine!.file, []);
      assert.ok(original.y.includes(rel), `${rel} is on obj-y of the fixture's ${f.makefileLine!.file}`);
      const asModule = makeLists(work, root, f.makefileLine!.file, [`CONFIG_${option}=m`]);
      assert.ok(asModule.m.includes(rel) && !asModule.y.includes(rel), `${rel}: ${JSON.stringify(asModule)}`);
      const builtIn = makeLists(work, root, f.makefileLine!.file, [`CONFIG_${option}=y`]);
      assert.ok(builtIn.y.includes(rel), `${rel} is built in with the option y`);
      // Every other object of the Makefile is where it was.
      assert.deepEqual(asModule.y.filter((o) => o !== rel), original.y.filter((o) => o !== rel));
      // The C file says what a module must.
      assert.match(files.get(f.file)!, /^MODULE_LICENSE\(/m);
      assert.match(files.get(f.file)!, /^MODULE_DESCRIPTION\(/m);
    });

    test('planning again over the edited files offers nothing', () => {
      assert.deepEqual(planForFile(f, context(files)), []);
    });
  });

  test('files no step applies to: a module, a file the build does not know, and a .config kbloat may not write', () => {
    // modules.order and the module's .mod file: fs/ext2/super.o is in ext2.ko.
    const modules = readFileSync(path.join(FIXTURE, 'modules.order'), 'utf8').split('\n').filter(Boolean);
    const ko = modules.find((m) => readFileSync(path.join(FIXTURE, m.replace(/\.ko$/, '.mod')), 'utf8').split(/\s+/).includes('fs/ext2/super.o'))!;
    assert.ok(ko);
    // The server's view holds built-in files only, so a module file gets no action; the analysis says why.
    assert.equal(view.forFile('fs/ext2/super.c'), undefined);
    const ext2 = analysis.forFile('fs/ext2/super.c')!;
    assert.match(ext2.unavailable ?? '', new RegExp(`already built as a module \\(${esc(path.basename(ko))}\\)`));
    assert.deepEqual(planForFile({ file: ext2.file, object: ext2.object, resident: 0, init: 0, unavailable: ext2.unavailable }, context()), []);
    assert.equal(view.forFile('kernel/kbloat_not_a_file.c'), undefined);
    // A step whose file may not be written is offered disabled, with the reason, and no edits.
    const c = candidates().find((x) => x.type === 'tristate' && x.blockers.length === 0)!;
    const refused = planForCandidate(c, context(new Map(), (abs) => (abs.endsWith('.config') ? `${abs} is outside the workspace` : undefined)));
    assert.equal(refused.length, 1);
    assert.equal(refused[0].disabled, `${path.join(FIXTURE, '.config')} is outside the workspace`);
    assert.equal(refused[0].edits.size, 0);
    // An option that is m already plans nothing.
    assert.deepEqual(planForCandidate({ ...c, value: 'm' }, context()), []);
  });

  describe('moves that go together, and the floor', () => {
    let report: ReturnType<ModularizeAnalysis['report']>;
    before(() => {
      report = analysis.report();
    });

    /** Set all of `symbols` to m in the fixture's .config text. */
    const toM = (symbols: string[]): string => symbols.reduce((t, s) => t.replace(new RegExp(`^${s}=y$`, 'm'), `${s}=m`), dotconfig);

    test('a group: each member blocked alone, all kept at m by the kernel\'s conf, and no object left built in uses a symbol the group takes out (nm)', async () => {
      assert.ok(report.groups.length > 0, 'the fixture has candidates that move together (SERIO with the PS/2 keyboard and mouse)');
      const builtIn = index.files.filter((f) => f.status === 'built-in' && !f.generated && existsSync(path.join(FIXTURE, f.object))).map((f) => f.object);
      for (const g of report.groups.filter((x) => x.bools.length === 0)) {
        assert.ok(analysis.candidate(g.symbols[0])!.blockers.length > 0, `${g.symbols[0]} is blocked alone`);
        const after = await conf.olddefconfig(toM(g.symbols));
        for (const s of g.symbols) assert.equal(configValue(after, s), 'm', `${s} after conf --olddefconfig with ${g.symbols.join(', ')} at m`);
        // binutils' view of the references: globals defined by the group's objects, used by what stays.
        const inGroup = new Set(g.objects);
        const defined = new Set(execFileSync('nm', ['-g', '--defined-only', '-j', ...g.objects], { cwd: FIXTURE, encoding: 'utf8' }).split('\n').filter((l) => l && !l.endsWith(':')));
        const staying = builtIn.filter((o) => !inGroup.has(o));
        const used = execFileSync('nm', ['-u', '-A', ...staying], { cwd: FIXTURE, encoding: 'utf8', maxBuffer: 1 << 26 }).split('\n')
          .map((l) => /^(\S+?):\s+U (\S+)$/.exec(l)).filter((m): m is RegExpExecArray => !!m && defined.has(m[2]));
        assert.deepEqual(used.map((m) => `${m[1]} uses ${m[2]}`), [], `${g.symbols.join(' + ')}: nothing that stays uses the group's code`);
        // Each object once: the group's bytes are the index's bytes of its objects.
        const bytes = g.objects.reduce((t, o) => t + residentOf(index, o), 0);
        assert.equal(g.resident, bytes);
      }
    });

    test('the floor by .config alone: conf keeps every symbol of it at m, and it is below the unblocked candidates\' figure by at least the groups\' code', async () => {
      const floor = report.floor!;
      assert.ok(floor, 'CONFIG_MODULES=y: a floor is given');
      const after = await conf.olddefconfig(toM(floor.configSymbols));
      for (const s of floor.configSymbols) assert.equal(configValue(after, s), 'm', `${s} after conf --olddefconfig`);
      for (const c of report.candidates.filter((x) => x.blockers.length === 0 && x.type === 'tristate')) assert.ok(floor.configSymbols.includes(c.symbol), `${c.symbol} (unblocked) is in the floor`);
      for (const g of report.groups.filter((x) => x.bools.length === 0)) for (const s of g.symbols) assert.ok(floor.configSymbols.includes(s), `${s} (group) is in the floor`);
      assert.ok(floor.config < report.residentIfModularized || report.groups.length === 0, `${floor.config} < ${report.residentIfModularized}`);
      assert.ok(floor.withTristate <= floor.config);
      // The bools it makes tristate are bool candidates with nothing blocking them (or bool members of groups).
      for (const s of floor.tristateEdits) assert.equal(analysis.candidate(s)!.type, 'bool');
    });
  });
});

/** An object's resident bytes in the index (everything but init), summed the way the report sums them. */
function residentOf(index: BuildIndex, object: string): number {
  const f = index.files.find((x) => x.object === object && x.status === 'built-in')!;
  return Object.entries(f.bytes).reduce((t, [cls, n]) => (cls === 'init' ? t : t + (n ?? 0)), 0);
}
