/**
 * Option lenses and hovers through the real language server (dist/server.js
 * over stdio) on the Linux 6.1 fixture, one file type each: a Kconfig file, the
 * build's `.config` and `include/config/auto.conf` (opened as plain text, as
 * VS Code opens them), a Kbuild Makefile and a `Kbuild` file, and a C file's
 * `#if` lines and duplicate definitions; figures against `size -A` and `nm -S`;
 * lenses move with an edit and a half-written entry breaks nothing.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { humanSize } from '../server/src/shared/units';
import { FIXTURE, fixtureSkip, nmSized, readelfSections, run } from './helpers';
import { startServer, TestServer } from './lspClient';

interface Lens {
  range: { start: { line: number; character: number } };
  command: { title: string };
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `size -A` of objects as bounds on their bytes in vmlinux (merged string sections may fold). */
function sizeBounds(objects: string[]): { min: number; max: number } {
  const b = { min: 0, max: 0 };
  for (const o of objects) {
    const flags = new Map(readelfSections(path.join(FIXTURE, o)).map((s) => [s.name, s.flags]));
    for (const line of run('size', ['-A', '-d', o], FIXTURE).split('\n')) {
      const m = /^(\S+)\s+(\d+)\s+\d+$/.exec(line);
      if (!m || !flags.get(m[1])?.includes('A') || /^(\.discard|\.exitcall\.exit|\.modinfo|\.note\.GNU-stack|\.comment|\.eh_frame)/.test(m[1])) continue;
      b.max += Number(m[2]);
      if (!flags.get(m[1])!.includes('M')) b.min += Number(m[2]);
    }
  }
  return b;
}

/** Whether a size as shown (`15.0 KiB`, `353 B`) can stand for a figure within the bounds. */
function shows(shown: string, b: { min: number; max: number }): boolean {
  const m = /^([\d,.]+) (B|KiB|MiB)$/.exec(shown);
  if (!m) return false;
  const unit = m[2] === 'B' ? 1 : m[2] === 'KiB' ? 1024 : 1 << 20;
  const v = Number(m[1].replace(/,/g, '')) * unit;
  const slack = m[2] === 'B' ? 0 : 0.05 * unit;
  return v + slack >= b.min && v - slack <= b.max;
}

describe('option lenses through the language server on the Linux 6.1 fixture', { skip: fixtureSkip }, () => {
  let server: TestServer;
  const lensesOf = (uri: string): Promise<Lens[]> => server.connection.sendRequest('textDocument/codeLens', { textDocument: { uri } });
  const hoverAt = (uri: string, line: number): Promise<{ contents: { value: string } } | null> => server.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line, character: 3 } });
  const lineOf = (text: string, re: RegExp) => text.split('\n').findIndex((l) => re.test(l));
  /** The members of a composite, read from its Makefile by this test. */
  const members = (mk: string, stem: string) => {
    const text = readFileSync(path.join(FIXTURE, mk), 'utf8');
    return [...text.matchAll(new RegExp(`^${esc(stem)}-(?:y|objs)\\s*[:+]?=(.*)$`, 'gm'))].flatMap((m) => m[1].trim().split(/\s+/)).map((w) => `${path.posix.dirname(mk)}/${w}`);
  };

  before(async () => {
    server = await startServer(FIXTURE);
    await server.waitForStatus((s) => s.state === 'ready');
  });
  after(() => server?.stop());

  test('Kconfig: =y with the bytes of its objects, not set, and what turning it off takes along once the tree is read', async () => {
    const { uri, text } = await server.open(path.join(FIXTURE, 'drivers/hid/Kconfig'), 'kconfig');
    const refreshed = server.nextRefresh();
    const lenses = await lensesOf(uri);
    const hid = lenses.find((l) => l.range.start.line === lineOf(text, /^config HID$/))!;
    const m = /^=y · (\S+ \S+) in vmlinux \(3 files\) · off takes (\S+ \S+) more along · could be a module$/.exec(hid.command.title);
    assert.ok(m, hid.command.title);
    assert.ok(shows(m[1], sizeBounds(members('drivers/hid/Makefile', 'hid'))), `${m[1]} for hid.o's members`);
    assert.ok(shows(m[2], sizeBounds(['drivers/hid/hid-generic.o'])), `${m[2]} for hid-generic.o`);
    assert.equal(lenses.find((l) => l.range.start.line === lineOf(text, /^config HIDRAW$/))!.command.title, 'not set');
    // The Kconfig tree is read once, then the lenses are refreshed and the hover names what depends on it.
    // (It is read in a worker thread: other refreshes may come first, so ask again until it is there.)
    await refreshed;
    let hover = await hoverAt(uri, lineOf(text, /^config HID$/));
    for (const until = Date.now() + 60_000; !/Kconfig turns off with it/.test(hover?.contents.value ?? '') && Date.now() < until;) {
      await new Promise((r) => setTimeout(r, 200));
      hover = await hoverAt(uri, lineOf(text, /^config HID$/));
    }
    assert.match(hover!.contents.value, /^\*\*CONFIG_HID\*\* =y · /);
    assert.match(hover!.contents.value, /Kconfig turns off with it: .*`CONFIG_HID_GENERIC`/);
    assert.match(hover!.contents.value, /^\| drivers\/hid\/hid-core\.c \| [\d,]+ B \| could be hid\.ko \|$/m);
    assert.match(hover!.contents.value, /depends on `INPUT`/);
  });

  test('Kconfig: lenses move with an edit, and a half-written entry breaks nothing', async () => {
    const { uri, text } = await server.open(path.join(FIXTURE, 'drivers/tty/serial/8250/Kconfig'), 'kconfig');
    const before = await lensesOf(uri);
    const line = lineOf(text, /^config SERIAL_8250$/);
    const title = before.find((l) => l.range.start.line === line)!.command.title;
    assert.match(title, /^=y · \S+ \S+ in vmlinux \(2 files\)/);
    await server.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: 'config KBLOAT_HALF\n\tbool "half\n\tdepends on (\n' }],
    });
    const afterEdit = await lensesOf(uri);
    assert.equal(afterEdit.find((l) => l.range.start.line === line + 3)?.command.title, title);
  });

  test('.config and include/config/auto.conf (plain text): the same lens on CONFIG_ lines, not set on `# … is not set`', async () => {
    const kconfig = await server.open(path.join(FIXTURE, 'drivers/hid/Kconfig'), 'kconfig');
    const kLenses = await lensesOf(kconfig.uri);
    const hidTitle = kLenses.find((l) => l.range.start.line === lineOf(kconfig.text, /^config HID$/))!.command.title;
    const { uri, text } = await server.open(path.join(FIXTURE, '.config'), 'plaintext');
    const lenses = await lensesOf(uri);
    assert.equal(lenses.find((l) => l.range.start.line === lineOf(text, /^CONFIG_HID=y$/))?.command.title, hidTitle);
    assert.equal(lenses.find((l) => l.range.start.line === lineOf(text, /^# CONFIG_HIDRAW is not set$/))?.command.title, 'not set');
    const auto = await server.open(path.join(FIXTURE, 'include/config/auto.conf'), 'plaintext');
    const autoLenses = await lensesOf(auto.uri);
    const ext2 = autoLenses.find((l) => l.range.start.line === lineOf(auto.text, /^CONFIG_EXT2_FS=m$/))!.command.title;
    const m = /^=m · (\S+ \S+) in ext2\.ko$/.exec(ext2);
    assert.ok(m, ext2);
    const objects = readFileSync(path.join(FIXTURE, 'fs/ext2/ext2.mod'), 'utf8').split(/\s+/).filter(Boolean);
    assert.ok(shows(m[1], sizeBounds(objects)), `${m[1]} for ${objects.join(' ')}`);
    const hover = await hoverAt(uri, lineOf(text, /^CONFIG_HID=y$/));
    assert.match(hover!.contents.value, /^\*\*CONFIG_HID\*\* =y/);
  });

  test('Makefile and Kbuild: each object and folder with its bytes, unset options not built', async () => {
    const { uri, text } = await server.open(path.join(FIXTURE, 'drivers/hid/Makefile'), 'makefile');
    const lenses = await lensesOf(uri);
    const hid = lenses.find((l) => l.range.start.line === lineOf(text, /^obj-\$\(CONFIG_HID\)\s/))!.command.title;
    const m = /^HID=y · hid\.o (\S+ \S+)$/.exec(hid);
    assert.ok(m && shows(m[1], sizeBounds(members('drivers/hid/Makefile', 'hid'))), hid);
    assert.equal(lenses.find((l) => l.range.start.line === lineOf(text, /^obj-\$\(CONFIG_UHID\)\s/))!.command.title, 'not built: CONFIG_UHID is not set');
    const kbuild = await server.open(path.join(FIXTURE, 'arch/x86/Kbuild'), 'plaintext');
    const kLenses = await lensesOf(kbuild.uri);
    const events = kLenses.find((l) => l.range.start.line === lineOf(kbuild.text, /^obj-\$\(CONFIG_PERF_EVENTS\)\s*\+=\s*events\/$/))!.command.title;
    const e = /^PERF_EVENTS=y · events\/ (\S+ \S+)$/.exec(events);
    const underEvents = run('ar', ['t', 'vmlinux.a'], FIXTURE).split('\n').filter((o) => o.startsWith('arch/x86/events/'));
    assert.ok(e && shows(e[1], sizeBounds(underEvents)), `${events} for ${underEvents.length} objects`);
    const hover = await hoverAt(uri, lineOf(text, /^obj-\$\(CONFIG_HID\)\s/));
    assert.match(hover!.contents.value, /^\| hid\.o \| [\d,]+ B \|/m);
  });

  test('C: #if lines say what their branch builds or why it is out; one size for thread_stack_free_rcu', async () => {
    const { uri, text } = await server.open(path.join(FIXTURE, 'kernel/fork.c'));
    const lenses = await lensesOf(uri);
    const at = (line: number) => lenses.filter((l) => l.range.start.line === line).map((l) => l.command.title);
    assert.deepEqual(at(lineOf(text, /^#\s*ifdef CONFIG_VMAP_STACK/)), ['configured out: CONFIG_VMAP_STACK is not set']);
    const lines = text.split('\n').map((l, i) => (/^static void thread_stack_free_rcu\(/.test(l) ? i : -1)).filter((i) => i >= 0);
    assert.equal(lines.length, 3);
    const size = nmSized(path.join(FIXTURE, 'vmlinux')).find((s) => s.name === 'thread_stack_free_rcu')!.size;
    const titles = lines.map((l) => at(l)[0]);
    assert.equal(titles.filter((t) => t === `${humanSize(size)} in vmlinux`).length, 1, titles.join(' | '));
    assert.equal(titles.filter((t) => t.startsWith('not built — ')).length, 2, titles.join(' | '));
  });
});
