/**
 * The small text parsers (.config, .cmd files, module lists, System.map) on the
 * real Linux 6.1 fixture, with ground truth from grep/nm run on the same files,
 * plus small inputs for the forms the fixture does not have (other kernel
 * versions, distribution stubs, garbage).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { cmdFilePathFor, parseCmdFile, splitCommand } from '../server/src/kbuild/cmdfile';
import { configValue, parseDotConfig, unquoteConfigString } from '../server/src/kbuild/dotconfig';
import { KbloatInputError } from '../server/src/common/errors';
import { parseModFile, parseModulesBuiltin, parseModulesOrder } from '../server/src/kbuild/modules';
import { checkSystemMapMatches, estimateSizes, parseSystemMap } from '../server/src/binary/systemMap';

const FIXTURE = path.resolve(__dirname, '../../shared/fixtures/linux-6.1-tinyconfig-i386');
const skip = existsSync(path.join(FIXTURE, '.config')) ? false : `the Linux 6.1 fixture is not at ${FIXTURE}`;
const fx = (p: string) => readFileSync(path.join(FIXTURE, p), 'utf8');
const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: FIXTURE, encoding: 'utf8', maxBuffer: 1 << 30 });
/** grep that returns its matching lines (and no error when there are none). */
const grep = (args: string[]) => {
  try {
    return sh('grep', args).split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

function throwsInput(fn: () => unknown, code: string, re?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof KbloatInputError, `expected KbloatInputError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (re) assert.match(e.message, re);
    return true;
  });
}

// ---------------------------------------------------------------- .config

test('.config: every CONFIG_ line and every "is not set" line, as grep counts them', { skip }, () => {
  const cfg = parseDotConfig(fx('.config'), '.config');
  const assigned = grep(['-E', '^CONFIG_[A-Za-z0-9_]+=', '.config']);
  const notSet = grep(['-E', '^# CONFIG_[A-Za-z0-9_]+ is not set', '.config']);
  assert.equal(cfg.values.size, assigned.length);
  assert.equal(cfg.notSet.size, notSet.length);
  assert.equal(cfg.warnings, undefined);
  for (const line of assigned) {
    const eq = line.indexOf('=');
    assert.equal(cfg.values.get(line.slice(0, eq)), line.slice(eq + 1), line);
  }
  assert.equal(configValue(cfg, 'CONFIG_SERIAL_8250'), 'y');
  assert.equal(configValue(cfg, 'CONFIG_EXT2_FS'), 'm');
  assert.equal(configValue(cfg, 'CONFIG_KEXEC'), 'n'); // written as "is not set"
  assert.ok(cfg.notSet.has('CONFIG_KEXEC'));
  assert.equal(configValue(cfg, 'CONFIG_NO_SUCH_OPTION_AT_ALL'), 'n');
  assert.equal(configValue(cfg, 'EXT2_FS'), 'm'); // the prefix may be left out
});

test('include/config/auto.conf agrees with .config on every value it holds', { skip }, () => {
  const dot = parseDotConfig(fx('.config'), '.config');
  const auto = parseDotConfig(fx('include/config/auto.conf'), 'auto.conf');
  assert.equal(auto.values.size, grep(['-E', '^CONFIG_', 'include/config/auto.conf']).length);
  assert.ok(auto.values.size > 100);
  // From 5.16 on auto.conf writes strings unquoted (CONFIG_CC_VERSION_TEXT=gcc (Debian ...) ...).
  assert.equal(auto.values.get('CONFIG_CC_VERSION_TEXT'), unquoteConfigString(dot.values.get('CONFIG_CC_VERSION_TEXT')!));
  for (const [k, v] of auto.values) assert.equal(unquoteConfigString(dot.values.get(k)!), v, k);
  assert.equal(auto.notSet.size, 0); // auto.conf leaves unset options out entirely
});

test('.config: quoted strings with escapes, comments, CRLF, last mention wins', () => {
  const cfg = parseDotConfig(
    [
      '# header comment',
      'CONFIG_A="say \\"hi\\" # not a comment"\r',
      'CONFIG_B=0x10',
      '',
      'CONFIG_C=y',
      '# CONFIG_C is not set',
      '# CONFIG_D is not set',
      'CONFIG_D=m',
      'CONFIG_E=""',
    ].join('\n'),
  );
  assert.equal(cfg.values.get('CONFIG_A'), '"say \\"hi\\" # not a comment"');
  assert.equal(unquoteConfigString(cfg.values.get('CONFIG_A')!), 'say "hi" # not a comment');
  assert.equal(configValue(cfg, 'CONFIG_B'), '0x10');
  assert.equal(configValue(cfg, 'CONFIG_C'), 'n');
  assert.ok(cfg.notSet.has('CONFIG_C') && !cfg.values.has('CONFIG_C'));
  assert.equal(configValue(cfg, 'CONFIG_D'), 'm');
  assert.ok(!cfg.notSet.has('CONFIG_D'));
  assert.equal(unquoteConfigString(configValue(cfg, 'CONFIG_E')), '');
});

test('.config: stray lines become warnings; a file that is no config at all is rejected', () => {
  const cfg = parseDotConfig('CONFIG_A=y\nthis is junk\nCONFIG_B="unterminated\n');
  assert.deepEqual([...cfg.values.keys()], ['CONFIG_A']);
  assert.equal(cfg.warnings?.length, 2);
  assert.match(cfg.warnings![0], /line 2/);
  throwsInput(() => parseDotConfig('obj-y += fork.o\nall: vmlinux\n', 'Makefile'), 'bad-config', /not a kernel configuration/);
  throwsInput(() => parseDotConfig('\x7fELF\0\0\0', 'vmlinux'), 'bad-config', /NUL/);
});

// ---------------------------------------------------------------- .cmd files

test('kernel/.fork.o.cmd: command, source and deps as grep reads them', { skip }, () => {
  const text = fx('kernel/.fork.o.cmd');
  const cmd = parseCmdFile(text, 'kernel/.fork.o.cmd');
  assert.equal(cmd.target, 'kernel/fork.o');
  assert.equal(cmd.saved, false);
  assert.equal(cmd.source, grep(['^source_kernel/fork.o := ', 'kernel/.fork.o.cmd'])[0].split(' := ')[1]);
  const cmdLine = grep(['^cmd_kernel/fork.o := ', 'kernel/.fork.o.cmd'])[0];
  assert.equal(cmd.command, cmdLine.slice(cmdLine.indexOf(' := ') + 4).trim());
  const argv = splitCommand(cmd.command!);
  assert.equal(argv[0], 'gcc');
  assert.ok(argv.includes('-DKBUILD_BASENAME="fork"'), 'quoting undone');
  assert.ok(argv.includes('-DKBUILD_MODNAME="fork"'));
  assert.equal(argv[argv.indexOf('-o') + 1], 'kernel/fork.o');
  assert.equal(argv[argv.length - 1], 'kernel/fork.c');
  // Ground truth: dependency lines of the file (two-space indented), and the $(wildcard) lines.
  const depLines = text.split('\n').filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim().replace(/ \\$/, ''));
  const wild = new Set(text.split('\n').flatMap((l) => /\$\(wildcard include\/config\/(\S+)\)/.exec(l)?.[1] ?? []));
  assert.deepEqual(cmd.deps, depLines);
  assert.equal(cmd.configDeps.length, wild.size);
  assert.ok(cmd.configDeps.includes('CONFIG_USER_NS'));
  assert.ok(!cmd.deps.some((d) => d.includes('wildcard')));
});

test('every .o.cmd of the fixture parses; its source_ and -o agree with grep', { skip }, () => {
  const files = sh('find', ['.', '-name', '.*.o.cmd', '-type', 'f']).split('\n').filter(Boolean).map((f) => f.slice(2));
  assert.ok(files.length > 600);
  let withSource = 0;
  for (const f of files) {
    const c = parseCmdFile(fx(f), f);
    const dir = path.posix.dirname(f);
    const obj = (dir === '.' ? '' : dir + '/') + path.posix.basename(f).slice(1, -'.cmd'.length);
    assert.equal(cmdFilePathFor(obj), f);
    assert.equal(c.target, obj, f);
    const src = grep([`^source_`, f]);
    assert.equal(c.source, src.length ? src[0].split(' := ')[1] : undefined, f);
    if (c.source && /\.[cS]$/.test(c.source)) {
      withSource++;
      // The compile command ends with the source it compiles (after an objtool run, if any).
      const argv = splitCommand(c.command!);
      const cut = argv.indexOf(';');
      const compile = cut < 0 ? argv : argv.slice(0, cut);
      assert.ok(compile.includes(c.source), f);
      assert.equal(compile[compile.indexOf('-o') + 1], obj, f);
    }
  }
  assert.ok(withSource > 500);
});

test('make escapes are undone: $$ in .vmlinux.a.cmd, $(pound) in .zoffset.h.cmd', { skip }, () => {
  const a = parseCmdFile(fx('.vmlinux.a.cmd'), '.vmlinux.a.cmd');
  assert.equal(a.target, 'vmlinux.a');
  assert.ok(fx('.vmlinux.a.cmd').includes('$$(ar t vmlinux.a'));
  assert.ok(a.command!.includes('$(ar t vmlinux.a') && !a.command!.includes('$$'));
  const z = parseCmdFile(fx('arch/x86/boot/.zoffset.h.cmd'), 'arch/x86/boot/.zoffset.h.cmd');
  assert.ok(z.command!.includes('#define ZO_') && !z.command!.includes('$(pound)'));
});

test('.cmd: savedcmd_ (Linux >= 6.3), old \\# escape and include/config/a/b.h deps, garbage', () => {
  const c = parseCmdFile(
    [
      "savedcmd_drivers/x/y.o := gcc -DX='\"a b\"' -Dh=\\#x -c -o drivers/x/y.o drivers/x/y.c",
      '',
      'source_drivers/x/y.o := /src/linux/drivers/x/y.c',
      '',
      'deps_drivers/x/y.o := \\',
      '    $(wildcard include/config/user/ns.h) \\',
      '  /src/linux/include/linux/kernel.h \\',
      '',
      'drivers/x/y.o: $(deps_drivers/x/y.o)',
      '',
      '$(deps_drivers/x/y.o):',
    ].join('\n'),
    'drivers/x/.y.o.cmd',
  );
  assert.equal(c.target, 'drivers/x/y.o');
  assert.equal(c.saved, true);
  assert.equal(c.source, '/src/linux/drivers/x/y.c');
  assert.deepEqual(c.deps, ['/src/linux/include/linux/kernel.h']);
  assert.deepEqual(c.configDeps, ['CONFIG_USER_NS']);
  assert.deepEqual(splitCommand(c.command!), ['gcc', '-DX="a b"', '-Dh=#x', '-c', '-o', 'drivers/x/y.o', 'drivers/x/y.c']);
  throwsInput(() => parseCmdFile('hello world\n', 'x.cmd'), 'bad-cmd', /no cmd_/);
  throwsInput(() => parseCmdFile('cmd_a := \0', 'x.cmd'), 'bad-cmd');
});

test('splitCommand: shell quoting and command separators', () => {
  assert.deepEqual(splitCommand(`a 'b c' "d \\"e\\" $x" f\\ g`), ['a', 'b c', 'd "e" $x', 'f g']);
  assert.deepEqual(splitCommand('gcc -c x.c; ./objtool x.o && echo ok|wc'), ['gcc', '-c', 'x.c', ';', './objtool', 'x.o', '&&', 'echo', 'ok', '|', 'wc']);
  assert.deepEqual(splitCommand(`-DKBUILD_BASENAME='"fork"'`), ['-DKBUILD_BASENAME="fork"']);
  assert.deepEqual(splitCommand(`''`), ['']);
  assert.deepEqual(splitCommand('  '), []);
  assert.equal(cmdFilePathFor('vmlinux'), '.vmlinux.cmd');
  assert.equal(cmdFilePathFor('/b/out/kernel/fork.o'), '/b/out/kernel/.fork.o.cmd');
});

// ---------------------------------------------------------------- modules

test('modules.order and *.mod of the fixture: every module and object exists', { skip }, () => {
  const order = parseModulesOrder(fx('modules.order'));
  assert.deepEqual(order, grep(['-v', '^$', 'modules.order']).map((l) => l.replace(/\.o$/, '.ko')));
  assert.ok(order.includes('fs/ext2/ext2.ko'));
  for (const ko of order) {
    assert.ok(existsSync(path.join(FIXTURE, ko)), ko);
    const objs = parseModFile(fx(ko.replace(/\.ko$/, '.mod')));
    assert.ok(objs.length > 0, ko);
    for (const o of objs) assert.ok(existsSync(path.join(FIXTURE, o)), o);
  }
  assert.deepEqual(parseModFile(fx('fs/ext2/ext2.mod')), fx('fs/ext2/ext2.mod').split(/\s+/).filter(Boolean));
});

test('modules.builtin of the fixture: kernel/ prefix removed, one entry per line', { skip }, () => {
  const raw = fx('modules.builtin').split('\n').filter(Boolean);
  const list = parseModulesBuiltin(fx('modules.builtin'));
  assert.equal(list.length, raw.length);
  assert.ok(raw.every((l) => l.startsWith('kernel/')));
  assert.ok(list.includes('drivers/tty/serial/8250/8250.ko'));
  assert.deepEqual(list, raw.map((l) => l.slice('kernel/'.length)));
});

test('modules.order in its older and newer forms', () => {
  // Before Linux 5.x: install paths; from 6.2: .o paths.
  assert.deepEqual(parseModulesOrder('kernel/fs/ext2/ext2.ko\nkernel/kernel/configs.ko\n'), ['fs/ext2/ext2.ko', 'kernel/configs.ko']);
  assert.deepEqual(parseModulesOrder('fs/ext2/ext2.o\ncrypto/sha256_generic.o\n'), ['fs/ext2/ext2.ko', 'crypto/sha256_generic.ko']);
  // A module that lives in kernel/ in the new format keeps its path.
  assert.deepEqual(parseModulesOrder('kernel/configs.ko\n'), ['kernel/configs.ko']);
  assert.deepEqual(parseModulesOrder('kernel/sched/foo.ko\n'), ['kernel/sched/foo.ko']);
  assert.deepEqual(parseModulesOrder(''), []);
  // Old-style .mod: the .ko line first, then the objects.
  assert.deepEqual(parseModFile('fs/ext2/ext2.ko\nfs/ext2/balloc.o fs/ext2/dir.o\n\n'), ['fs/ext2/balloc.o', 'fs/ext2/dir.o']);
  assert.deepEqual(parseModulesBuiltin('kernel/lib/crc32.ko\nkernel/kernel/configs.ko\n'), ['lib/crc32.ko', 'kernel/configs.ko']);
});

// ---------------------------------------------------------------- System.map

function nmSymbols(): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const l of sh('nm', ['vmlinux']).split('\n')) {
    const m = /^([0-9a-f]+) (\S) (\S+)$/.exec(l);
    if (m) out.set(m[3], BigInt('0x' + m[1]));
  }
  return out;
}

test('System.map of the fixture: every line, and it matches vmlinux', { skip }, () => {
  const text = fx('System.map');
  const map = parseSystemMap(text, 'System.map');
  const lines = text.split('\n').filter(Boolean);
  assert.equal(map.symbols.length, lines.length);
  const [addr, type, name] = lines[100].split(' ');
  assert.deepEqual(map.symbols[100], { address: BigInt('0x' + addr), type, name });
  const check = checkSystemMapMatches(map, nmSymbols());
  assert.equal(check.matches, true, JSON.stringify(check.mismatches.slice(0, 3), (_, v) => (typeof v === 'bigint' ? v.toString(16) : v)));
  assert.ok(check.checked >= 150, `checked ${check.checked}`);
  // A System.map of another build (all text moved by 16 bytes) must not match.
  const shifted = { symbols: map.symbols.map((s) => ({ ...s, address: s.type === 'T' ? s.address + 16n : s.address })) };
  const bad = checkSystemMapMatches(shifted, nmSymbols());
  assert.equal(bad.matches, false);
  assert.ok(bad.mismatches.some((m) => m.name === 'start_kernel' && m.mapAddr - m.elfAddr === 16n));
});

test('estimateSizes: gaps equal nm -S sizes for nearly all text symbols; aliases share, regions end open', { skip }, () => {
  const map = parseSystemMap(fx('System.map'), 'System.map');
  const sized = estimateSizes(map);
  assert.equal(sized.length, map.symbols.length);
  for (let i = 1; i < sized.length; i++) assert.ok(sized[i - 1].address <= sized[i].address);
  const nm = new Map<string, { a: bigint; s: number } | null>();
  for (const l of sh('nm', ['-S', 'vmlinux']).split('\n')) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) [Tt] (\S+)$/.exec(l);
    if (m) nm.set(m[3], nm.has(m[3]) ? null : { a: BigInt('0x' + m[1]), s: parseInt(m[2], 16) });
  }
  let compared = 0;
  let equal = 0;
  for (const s of sized) {
    assert.equal(s.estimated, true);
    assert.ok(s.size === null || s.size >= 0);
    const x = nm.get(s.name);
    if (!'Tt'.includes(s.type) || !x || x.a !== s.address || s.size === null) continue;
    compared++;
    if (s.size === x.s) equal++;
  }
  assert.ok(compared > 5000, `compared ${compared}`);
  assert.ok(equal / compared > 0.97, `${equal}/${compared} equal`);
  const text = sized.filter((s) => s.name === '_text' || s.name === '_stext' || s.name === 'startup_32');
  assert.equal(new Set(text.map((s) => s.size)).size, 1, 'aliases at one address share the gap');
  assert.equal(sized.find((s) => s.type === 'A')?.size, null);
});

test('estimateSizes on a small map: regions by type, last of a region has no size', () => {
  const map = parseSystemMap(
    ['c1000000 T _text', 'c1000000 T a', 'c1000010 t b', 'c1000030 T c', 'c1001000 R r1', 'c1001008 r r2', 'c1002000 D d1', '00000000 A abs'].join('\n'),
    'm',
  );
  const s = Object.fromEntries(estimateSizes(map).map((x) => [x.name, x.size]));
  assert.deepEqual(s, { abs: null, _text: 16, a: 16, b: 32, c: null, r1: 8, r2: null, d1: null });
});

test('System.map: distribution stub and garbage are rejected with the fix / line numbers', () => {
  throwsInput(
    () => parseSystemMap('ffffffffffffffff B The real System.map is in the linux-image-6.1.0-13-amd64-dbg package\n', '/boot/System.map-6.1.0-13-amd64'),
    'bad-system-map',
    /stub.*install the linux-image-6\.1\.0-13-amd64-dbg package/,
  );
  const lines = ['c1000000 T _text'];
  for (let i = 0; i < 50; i++) lines.push(`garbage line ${i}`);
  assert.throws(
    () => parseSystemMap(lines.join('\n'), 'System.map'),
    (e: unknown) => e instanceof KbloatInputError && e.code === 'bad-system-map' && /line 2:/.test(e.message) && /and 45 more/.test(e.message) && e.message.length < 800,
  );
  throwsInput(() => parseSystemMap('\n\n', 'System.map'), 'bad-system-map', /empty/);
  throwsInput(() => parseSystemMap('\x7fELF\0', 'System.map'), 'bad-system-map');
  // 64-bit addresses and kallsyms-style module suffixes parse.
  const m64 = parseSystemMap('ffffffff81000000 T _text\nffffffffc0000000 t foo\t[ext4]\n', 'kallsyms');
  assert.equal(m64.symbols[0].address, 0xffffffff81000000n);
  assert.equal(m64.symbols[1].name, 'foo');
});
