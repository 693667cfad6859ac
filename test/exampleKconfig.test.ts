/**
 * The example tree's configuration is Linux 6.1's own kconfig (scripts/kconfig/conf,
 * built from its C sources with flex and bison): `make defconfig`, `make
 * olddefconfig` and `make yes2modconfig` solve Kconfig as the kernel does. Checked
 * on a build of examples/minikernel in a temporary folder, with the real conf:
 * - olddefconfig leaves the defconfig's .config as it is, and that .config has
 *   every value the defconfig file gives;
 * - a tristate at y that selects an invisible helper (SERIAL_UARTLITE selects
 *   SERIAL_CORE, like SERIAL_8250): the helper follows the driver to m, and a bool
 *   that `depends on SERIAL_UARTLITE=y` (its console) goes; rebuilt, both are
 *   modules and vmlinux (nm) no longer has their code;
 * - editing only the helper to m is undone (no prompt: the select decides);
 * - a symbol defined twice (TCP_CONG_CUBIC, as in 6.1's net/ipv4/Kconfig): its
 *   prompt is invisible without TCP_CONG_ADVANCED, so m becomes y again; with
 *   TCP_CONG_ADVANCED=y the prompt is there and m stays;
 * - SERIAL_MINI=m keeps CRC16 (it has a prompt) and drops SERIAL_MINI_CONSOLE.
 *
 * Commands are spawned with argument arrays, never through a shell.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseDotConfig, type KernelConfig } from '../server/src/kbuild/dotconfig';
import { buildMiniKernel, cleanupMiniBuild, miniBuildSkip, type MiniBuild } from './minikernel';

/** Variables from the caller's environment that would change what make does (as test/minikernel.ts scrubs them). */
const SCRUB_ENV = ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEFILES', 'GNUMAKEFLAGS', 'KBUILD_OUTPUT', 'KCONFIG_CONFIG', 'KBUILD_VERBOSE', 'ARCH32', 'O', 'V', 'ARCH', 'SRCARCH', 'CROSS_COMPILE', 'LLVM'];

function makeEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of SCRUB_ENV) delete env[k];
  return env;
}

const skip = miniBuildSkip() || (['flex', 'bison'].find((tool) => {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return false;
  } catch {
    return true;
  }
}) ? 'flex and bison are needed to build scripts/kconfig/conf (Debian: flex bison)' : false);

describe('the example tree configured by the real kconfig (scripts/kconfig/conf)', { skip }, () => {
  let b: MiniBuild;
  /** The .config of `make defconfig`. */
  let defconfigText: string;

  const make = (...args: string[]): string =>
    execFileSync('make', ['-s', '-C', b.buildDir, ...args], { env: makeEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  const dotConfig = (): string => readFileSync(path.join(b.buildDir, '.config'), 'utf8');
  const config = (): KernelConfig => parseDotConfig(dotConfig(), '.config');
  const value = (cfg: KernelConfig, sym: string): string | undefined => cfg.values.get(sym);
  /** Starts from the defconfig's .config, applies `edit` to its text (as `sed -i` would), runs make olddefconfig. */
  const olddefconfigAfter = (edit: (text: string) => string): KernelConfig => {
    const edited = edit(defconfigText);
    assert.notEqual(edited, defconfigText, 'the edit changed .config');
    writeFileSync(path.join(b.buildDir, '.config'), edited);
    make('olddefconfig');
    return config();
  };
  const setLine = (sym: string, from: string, to: string) => (text: string): string => {
    const re = new RegExp(`^CONFIG_${sym}=${from}$`, 'm');
    assert.match(text, re, `.config has CONFIG_${sym}=${from}`);
    return text.replace(re, `CONFIG_${sym}=${to}`);
  };
  const kconfigText = (rel: string): string => readFileSync(path.join(b.srcDir, rel), 'utf8');
  /** Every Kconfig file of the tree, by name. */
  const kconfigFiles = (): string[] => {
    const out: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(path.join(b.srcDir, dir))) {
        const rel = dir ? `${dir}/${e}` : e;
        if (statSync(path.join(b.srcDir, rel)).isDirectory()) walk(rel);
        else if (/^Kconfig/.test(e)) out.push(rel);
      }
    };
    walk('');
    return out;
  };
  const nmNames = (file: string): Set<string> =>
    new Set(execFileSync('nm', [file], { encoding: 'utf8', maxBuffer: 64 << 20 }).split('\n').map((l) => l.trim().split(/\s+/).pop() ?? '').filter(Boolean));

  before(() => {
    b = buildMiniKernel();
    make('defconfig');
    defconfigText = dotConfig();
  });
  after(() => b && cleanupMiniBuild(b));

  test('scripts/kconfig/conf is a host program built from the kconfig sources (flex, bison, HOSTCC)', () => {
    const conf = path.join(b.buildDir, 'scripts/kconfig/conf');
    assert.ok(statSync(conf).mode & 0o111, 'conf is executable');
    assert.match(readFileSync(path.join(b.buildDir, 'scripts/kconfig/.conf.cmd'), 'utf8'), /^cmd_scripts\/kconfig\/conf := gcc .* -o scripts\/kconfig\/conf scripts\/kconfig\/conf\.o .*scripts\/kconfig\/lexer\.lex\.o /m);
    assert.match(readFileSync(path.join(b.buildDir, 'scripts/kconfig/lexer.lex.c'), 'utf8'), /flex/i);
    assert.match(readFileSync(path.join(b.buildDir, 'scripts/kconfig/parser.tab.c'), 'utf8'), /Bison/);
    // conf --help prints its usage and exits 1, as Linux's does.
    const help = spawnSync(conf, ['--help'], { encoding: 'utf8' });
    assert.match(help.stdout, /--olddefconfig/);
  });

  test('make olddefconfig leaves the .config of make defconfig as it is, and it has every value of the defconfig file', () => {
    make('olddefconfig');
    assert.equal(dotConfig(), defconfigText);
    const def = parseDotConfig(kconfigText('arch/mini/configs/mini_defconfig'), 'mini_defconfig');
    const cfg = config();
    for (const [sym, v] of def.values) assert.equal(value(cfg, sym), v, sym);
    for (const sym of def.notSet) assert.equal(value(cfg, sym), undefined, `${sym} is not set`);
    // The build that made it used the same configuration (syncconfig's auto.conf).
    const auto = parseDotConfig(readFileSync(path.join(b.buildDir, 'include/config/auto.conf'), 'utf8'), 'auto.conf');
    for (const [sym, v] of cfg.values) if (v !== 'n') assert.equal(auto.values.get(sym), v.replace(/^"(.*)"$/, '$1'), sym);
    assert.equal(auto.values.size, cfg.values.size);
  });

  test('SERIAL_CORE has no prompt and only SERIAL_UARTLITE selects it; TCP_CONG_CUBIC is defined twice', () => {
    const serial = kconfigText('drivers/serial/Kconfig');
    assert.match(serial, /^config SERIAL_CORE\n\ttristate\n/m);
    const selecting = kconfigFiles().flatMap((f) => (kconfigText(f).match(/^\s*select SERIAL_CORE\b.*$/gm) ?? []).map((l) => `${f}: ${l.trim()}`));
    assert.deepEqual(selecting, ['drivers/serial/Kconfig: select SERIAL_CORE']);
    assert.match(serial, /^config SERIAL_UARTLITE\n\ttristate "[^"]+"\n(\t.*\n)*\tselect SERIAL_CORE\n/m);
    assert.match(serial, /^config SERIAL_UARTLITE_CONSOLE\n\tbool "[^"]+"\n\tdepends on SERIAL_UARTLITE=y\n/m);
    const ipv4 = kconfigText('net/ipv4/Kconfig');
    assert.equal(ipv4.match(/^config TCP_CONG_CUBIC$/gm)?.length, 2);
    assert.match(ipv4, /^if TCP_CONG_ADVANCED\n\nconfig TCP_CONG_CUBIC\n\ttristate "CUBIC TCP"\n/m);
    assert.match(ipv4, /^config TCP_CONG_CUBIC\n\ttristate\n\tdepends on !TCP_CONG_ADVANCED\n\tdefault y\n/m);
  });

  test('the defconfig builds them in: SERIAL_UARTLITE, SERIAL_CORE, SERIAL_UARTLITE_CONSOLE and TCP_CONG_CUBIC at y, their code in vmlinux (nm)', () => {
    const cfg = parseDotConfig(defconfigText);
    for (const sym of ['CONFIG_SERIAL_UARTLITE', 'CONFIG_SERIAL_CORE', 'CONFIG_SERIAL_UARTLITE_CONSOLE', 'CONFIG_TCP_CONG_CUBIC']) assert.equal(value(cfg, sym), 'y', sym);
    assert.ok(cfg.notSet.has('CONFIG_TCP_CONG_ADVANCED'));
    const names = nmNames(path.join(b.buildDir, 'vmlinux'));
    for (const sym of ['ulite_init', 'ulite_console_write', 'uart_register_driver', 'uart_console_write', 'cubictcp_register', 'cubictcp_cong_avoid']) assert.ok(names.has(sym), `vmlinux has ${sym}`);
    const builtin = readFileSync(path.join(b.buildDir, 'modules.builtin'), 'utf8').split('\n');
    for (const ko of ['kernel/drivers/serial/uartlite.ko', 'kernel/drivers/serial/serial_core.ko', 'kernel/net/ipv4/tcp_cubic.ko']) assert.ok(builtin.includes(ko), ko);
  });

  test('SERIAL_UARTLITE=m: olddefconfig makes the selected SERIAL_CORE m and drops SERIAL_UARTLITE_CONSOLE; rebuilt, both are modules', () => {
    const cfg = olddefconfigAfter(setLine('SERIAL_UARTLITE', 'y', 'm'));
    assert.equal(value(cfg, 'CONFIG_SERIAL_UARTLITE'), 'm');
    assert.equal(value(cfg, 'CONFIG_SERIAL_CORE'), 'm');
    assert.equal(value(cfg, 'CONFIG_SERIAL_UARTLITE_CONSOLE'), undefined);
    assert.doesNotMatch(dotConfig(), /SERIAL_UARTLITE_CONSOLE/);
    // Nothing else moved.
    const before = parseDotConfig(defconfigText);
    const changed = [...new Set([...before.values.keys(), ...cfg.values.keys()])].filter((s) => before.values.get(s) !== cfg.values.get(s)).sort();
    assert.deepEqual(changed, ['CONFIG_SERIAL_CORE', 'CONFIG_SERIAL_UARTLITE', 'CONFIG_SERIAL_UARTLITE_CONSOLE']);

    make('-j2');
    const order = readFileSync(path.join(b.buildDir, 'modules.order'), 'utf8').split('\n');
    assert.ok(order.includes('drivers/serial/serial_core.ko') && order.includes('drivers/serial/uartlite.ko'), order.join(' '));
    const vmlinux = nmNames(path.join(b.buildDir, 'vmlinux'));
    for (const sym of ['ulite_init', 'ulite_console_write', 'uart_register_driver', 'uart_console_write']) assert.ok(!vmlinux.has(sym), `vmlinux lost ${sym}`);
    assert.ok(vmlinux.has('cubictcp_register'), 'tcp_cubic stays built in');
    const uartlite = nmNames(path.join(b.buildDir, 'drivers/serial/uartlite.ko'));
    assert.ok(uartlite.has('ulite_init') && !uartlite.has('ulite_console_write'), 'uartlite.ko has no console code');
    assert.ok(nmNames(path.join(b.buildDir, 'drivers/serial/serial_core.ko')).has('uart_register_driver'));
  });

  test('CONFIG_SERIAL_CORE=m alone is undone: a symbol without a prompt takes what its select gives', () => {
    const cfg = olddefconfigAfter(setLine('SERIAL_CORE', 'y', 'm'));
    assert.equal(value(cfg, 'CONFIG_SERIAL_CORE'), 'y');
    assert.equal(dotConfig(), defconfigText);
  });

  test('CONFIG_TCP_CONG_CUBIC=m is undone: the definition with a prompt is invisible, the other says default y', () => {
    const cfg = olddefconfigAfter(setLine('TCP_CONG_CUBIC', 'y', 'm'));
    assert.equal(value(cfg, 'CONFIG_TCP_CONG_CUBIC'), 'y');
    assert.equal(dotConfig(), defconfigText);
  });

  test('with TCP_CONG_ADVANCED=y the prompt of TCP_CONG_CUBIC is visible, and m stays', () => {
    const cfg = olddefconfigAfter((t) => setLine('TCP_CONG_CUBIC', 'y', 'm')(t.replace(/^# CONFIG_TCP_CONG_ADVANCED is not set$/m, 'CONFIG_TCP_CONG_ADVANCED=y')));
    assert.equal(value(cfg, 'CONFIG_TCP_CONG_ADVANCED'), 'y');
    assert.equal(value(cfg, 'CONFIG_TCP_CONG_CUBIC'), 'm');
  });

  test('SERIAL_MINI=m keeps CRC16 at y (it has a prompt) and drops SERIAL_MINI_CONSOLE (depends on SERIAL_MINI=y)', () => {
    const cfg = olddefconfigAfter(setLine('SERIAL_MINI', 'y', 'm'));
    assert.equal(value(cfg, 'CONFIG_SERIAL_MINI'), 'm');
    assert.equal(value(cfg, 'CONFIG_CRC16'), 'y');
    assert.equal(value(cfg, 'CONFIG_SERIAL_MINI_CONSOLE'), undefined);
  });

  test('make yes2modconfig: the driver and its helper go to m, TCP_CONG_CUBIC stays y', () => {
    writeFileSync(path.join(b.buildDir, '.config'), defconfigText);
    make('yes2modconfig');
    const cfg = config();
    for (const sym of ['CONFIG_SERIAL_UARTLITE', 'CONFIG_SERIAL_CORE', 'CONFIG_SERIAL_MINI', 'CONFIG_EEPROM_MINI', 'CONFIG_CRC16']) assert.equal(value(cfg, sym), 'm', sym);
    assert.equal(value(cfg, 'CONFIG_TCP_CONG_CUBIC'), 'y');
    assert.equal(value(cfg, 'CONFIG_SERIAL_UARTLITE_CONSOLE'), undefined);
    assert.equal(value(cfg, 'CONFIG_SERIAL_MINI_CONSOLE'), undefined);
  });
});
