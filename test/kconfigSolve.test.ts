/**
 * The Kconfig solver (kbuild/kconfig/solve.ts) against the kernel's own
 * `conf --olddefconfig`: on the Linux 6.1 fixture, every tristate built in
 * today is set to m, conf says what the configuration becomes, and the solver
 * must name exactly the bool and tristate symbols that change. On the example
 * tree (whose `make olddefconfig` is the same conf, built from its sources),
 * Modularize's candidates carry what conf changes with them, and a candidate
 * whose m olddefconfig would undo is blocked.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadIndex } from '../server/src/index/cache';
import { configValue, KernelConfig, parseDotConfig } from '../server/src/kbuild/dotconfig';
import { parseKconfigTree, KconfigTree } from '../server/src/kbuild/kconfig/parser';
import { KconfigSolver } from '../server/src/kbuild/kconfig/solve';
import { ModularizeAnalysis } from '../server/src/modularize/analysis';
import { FIXTURE, fixtureSkip, tempDir } from './helpers';
import { buildMiniKernel, cleanupMiniBuild, MiniBuild, miniBuildSkip } from './minikernel';
import { RealConf } from './realConf';

/** Bool and tristate symbols whose values differ between two configurations, as `from->to`. */
function changes(tree: KconfigTree, a: KernelConfig, b: KernelConfig): Map<string, string> {
  const out = new Map<string, string>();
  for (const k of new Set([...a.values.keys(), ...b.values.keys()])) {
    if (!tree.symbols.get(k.slice(7))?.some((d) => d.type === 'bool' || d.type === 'tristate')) continue;
    const x = configValue(a, k), y = configValue(b, k);
    if (x !== y) out.set(k, `${x}->${y}`);
  }
  return out;
}

describe('the Kconfig solver on the Linux 6.1 fixture, against conf --olddefconfig', { skip: fixtureSkip }, () => {
  let text: string;
  let cfg: KernelConfig;
  let tree: KconfigTree;
  let solver: KconfigSolver;
  let conf: RealConf;
  let control: KernelConfig;

  before(async () => {
    text = readFileSync(path.join(FIXTURE, '.config'), 'utf8');
    cfg = parseDotConfig(text);
    tree = parseKconfigTree((rel) => {
      try {
        return readFileSync(path.join(FIXTURE, rel), 'utf8');
      } catch {
        return undefined;
      }
    }, { srcArch: 'x86', arch: 'i386' });
    solver = new KconfigSolver(tree, cfg);
    conf = new RealConf(tempDir('kconfig-solve'));
    conf.setup();
    control = await conf.olddefconfig(text);
  });

  test('each built-in tristate set to m: the symbols that change are the ones conf changes', async () => {
    const tristates = [...cfg.values].filter(([k, v]) => v === 'y' && tree.symbols.get(k.slice(7))?.some((d) => d.type === 'tristate')).map(([k]) => k);
    assert.ok(tristates.length >= 10, `${tristates.length} tristates at y`);
    let nontrivial = 0;
    for (const s of tristates) {
      const real = changes(tree, control, await conf.olddefconfig(text.replace(new RegExp(`^${s}=y$`, 'm'), `${s}=m`)));
      const predicted = new Map([...solver.whatIf(new Map([[s, 'm']]))].map(([k, c]) => [k, `${c.from}->${c.to}`]));
      assert.deepEqual(Object.fromEntries(predicted), Object.fromEntries(real), `${s}=m`);
      if (real.size > 1) nontrivial++;
    }
    assert.ok(nontrivial >= 3, `${nontrivial} tristates move others with them`);
  });

  test('SERIAL_8250=m takes the invisible SERIAL_CORE it selects to m, and what depends on SERIAL_8250=y to n', async () => {
    const real = await conf.olddefconfig(text.replace(/^CONFIG_SERIAL_8250=y$/m, 'CONFIG_SERIAL_8250=m'));
    assert.equal(configValue(real, 'CONFIG_SERIAL_CORE'), 'm');
    const predicted = solver.whatIf(new Map([['CONFIG_SERIAL_8250', 'm']]));
    assert.equal(predicted.get('CONFIG_SERIAL_CORE')?.to, 'm');
    for (const s of ['CONFIG_SERIAL_8250_CONSOLE', 'CONFIG_SERIAL_EARLYCON']) {
      assert.equal(configValue(real, s), 'n', s);
      assert.equal(predicted.get(s)?.to, 'n', s);
    }
  });

  test('a choice member set to n: the choice falls back to its default, as conf does', async () => {
    const member = 'CONFIG_KERNEL_XZ';
    assert.equal(configValue(cfg, member), 'y');
    const real = changes(tree, control, await conf.olddefconfig(text.replace(new RegExp(`^${member}=y$`, 'm'), `# ${member} is not set`)));
    const predicted = new Map([...solver.whatIf(new Map([[member, 'n']]))].map(([k, c]) => [k, `${c.from}->${c.to}`]));
    assert.deepEqual(Object.fromEntries(predicted), Object.fromEntries(real));
  });

  test('Modularize counts what moves with a candidate: SERIAL_8250 carries SERIAL_CORE\'s objects', () => {
    const { index } = loadIndex(FIXTURE, { noCache: true });
    const analysis = ModularizeAnalysis.load(index);
    const c = analysis.candidate('CONFIG_SERIAL_8250')!;
    assert.ok(c.alsoChanges?.some((a) => a.symbol === 'CONFIG_SERIAL_CORE' && a.value === 'm'));
    assert.ok(c.files.includes('drivers/tty/serial/serial_core.c'), 'serial_core.c leaves with it');
    const p = analysis.predict(['CONFIG_SERIAL_8250']);
    const core = p.changes.find((x) => x.symbol === 'CONFIG_SERIAL_CORE')!;
    // serial_core.o's resident bytes, as size -A gives them for the object (every allocated non-init section).
    const sizeA = execFileSync('size', ['-A', path.join(FIXTURE, 'drivers/tty/serial/serial_core.o')], { encoding: 'utf8' });
    let objBytes = 0;
    for (const l of sizeA.split('\n')) {
      const m = /^(\S+)\s+(\d+)\s+\d+$/.exec(l);
      if (m && /^\.(text|rodata|data|bss)/.test(m[1]) && !/^\.(init|exit)/.test(m[1]) && !m[1].startsWith('.rela')) objBytes += Number(m[2]);
    }
    assert.ok(core.bytes > 0 && Math.abs(core.bytes - objBytes) / objBytes < 0.05, `SERIAL_CORE ${core.bytes} B, serial_core.o ${objBytes} B by size -A`);
    // kallsyms (CONFIG_KALLSYMS=y in the fixture) loses the names of the functions that leave.
    assert.ok(p.tables > 0, 'the kallsyms table shrinks');
    // What leaves, less what the linker script's alignment takes back (alignment.ts; checked against rebuilt kernels in alignment.test.ts).
    const padding = p.notes.map((n) => /^alignment: (\d+) B of the (\d+) B that leave/.exec(n)).find(Boolean);
    const crossed = p.notes.map((n) => /^alignment: the (\d+) B that leave cross .* shrinks by (\d+) B more$/.exec(n)).find(Boolean);
    const absorbed = padding ? Number(padding[1]) : crossed ? -Number(crossed[2]) : 0;
    if (padding ?? crossed) assert.equal(Number((padding ?? crossed)![padding ? 2 : 1]), p.code + p.tables);
    assert.equal(p.residentAfter, p.residentBefore - p.code - p.tables + absorbed);
    assert.ok(absorbed < p.code, 'alignment takes back less than what leaves');
  });
});

describe('Modularize on the example tree, with its real make olddefconfig', { skip: miniBuildSkip() }, () => {
  let b: MiniBuild;
  let analysis: ModularizeAnalysis;
  before(() => {
    b = buildMiniKernel();
    analysis = ModularizeAnalysis.load(loadIndex(b.buildDir, { noCache: true }).index);
  });
  after(() => cleanupMiniBuild(b));

  const olddefconfig = (edit: (t: string) => string): KernelConfig => {
    const file = path.join(b.buildDir, '.config');
    const saved = readFileSync(file, 'utf8');
    try {
      writeFileSync(file, edit(saved));
      execFileSync('make', ['-s', '-C', b.buildDir, 'olddefconfig'], { stdio: 'ignore' });
      return parseDotConfig(readFileSync(file, 'utf8'));
    } finally {
      writeFileSync(file, saved);
    }
  };

  test('a candidate\'s alsoChanges are what make olddefconfig changes with it', () => {
    const c = analysis.candidate('CONFIG_SERIAL_UARTLITE');
    assert.ok(c, 'SERIAL_UARTLITE is a candidate');
    const real = olddefconfig((t) => t.replace(/^CONFIG_SERIAL_UARTLITE=y$/m, 'CONFIG_SERIAL_UARTLITE=m'));
    for (const a of c.alsoChanges ?? []) assert.equal(configValue(real, a.symbol), a.value, a.symbol);
    assert.equal(configValue(real, 'CONFIG_SERIAL_CORE'), 'm');
    assert.ok(c.alsoChanges?.some((a) => a.symbol === 'CONFIG_SERIAL_CORE'), 'the invisible helper it selects moves too');
  });

  test('a candidate olddefconfig would put back to y is blocked, naming the definition that does it', () => {
    const real = olddefconfig((t) => t.replace(/^CONFIG_TCP_CONG_CUBIC=y$/m, 'CONFIG_TCP_CONG_CUBIC=m'));
    assert.equal(configValue(real, 'CONFIG_TCP_CONG_CUBIC'), 'y', 'conf puts it back');
    const c = analysis.candidate('CONFIG_TCP_CONG_CUBIC');
    const keeps = c?.blockers.find((x) => x.kind === 'kconfig-keeps');
    assert.ok(keeps, `blocked: ${JSON.stringify(c?.blockers)}`);
    assert.match(keeps.detail, /net\/ipv4\/Kconfig:\d+/);
    const p = analysis.predict(['CONFIG_TCP_CONG_CUBIC']);
    assert.deepEqual(p.undone.map((u) => [u.symbol, u.value]), [['CONFIG_TCP_CONG_CUBIC', 'y']]);
    assert.equal(p.code, 0);
  });
});
