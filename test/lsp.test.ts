/**
 * The language server over a real stdio connection, with the real tree-sitter
 * parser, on the real Linux 6.1 build and on the mini tree: lenses carry the
 * exact sizes nm reports, init and module and not-built files say so, and lenses
 * move with an edit without waiting for a re-index.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { functionBaseName } from '../server/src/binary/symbolNames';
import { humanSize } from '../server/src/shared/units';
import { FIXTURE, fixtureSkip, nmSized, readelfSymbols, runCli, tempDir } from './helpers';
import { PublishedDiagnostic, startServer, startServerOnMiniBuild, TestServer } from './lspClient';
import { buildMiniKernel, cleanupMiniBuild, MiniBuild } from './minikernel';

interface Lens {
  range: { start: { line: number; character: number } };
  command: { title: string; command: string; arguments: unknown[] };
}

async function lensesOf(server: TestServer, uri: string): Promise<Lens[]> {
  return server.connection.sendRequest('textDocument/codeLens', { textDocument: { uri } });
}

describe('language server on the Linux 6.1 fixture', { skip: fixtureSkip }, () => {
  let server: TestServer;
  before(async () => {
    server = await startServer(FIXTURE);
    await server.waitForStatus((s) => s.state === 'ready');
  });
  after(() => server?.stop());

  test('once the Modularize analysis is made (in its worker, after indexing), the status carries the essay\'s figures, as kbloat modularize gives them', async () => {
    const st = await server.waitForStatus((s) => s.state === 'ready' && s.modularized !== undefined, 120_000);
    const cli = runCli(['modularize', FIXTURE, '--json']);
    assert.equal(cli.status, 0, cli.stderr);
    const r = JSON.parse(cli.stdout) as { resident: number; residentIfModularized: number; unblockedCount: number; floor: { config: number; withTristate: number; tristateEdits: string[] } };
    assert.deepEqual(st.modularized, {
      resident: r.resident,
      residentIfModularized: r.residentIfModularized,
      unblocked: r.unblockedCount,
      floor: r.floor.withTristate,
      floorByConfig: r.floor.config,
      tristateEdits: r.floor.tristateEdits.length,
    });
    assert.equal(st.modularized!.resident, st.resident);
    assert.ok(st.modularized!.floor! < st.modularized!.resident);
  });

  test('a large file\'s first lenses come from the index at once, each one as the parser\'s lenses have it a moment later', async () => {
    for (const rel of ['kernel/sched/fair.c', 'mm/page_alloc.c']) {
      const { uri, text } = await server.open(path.join(FIXTURE, rel));
      assert.ok(text.length >= 128 * 1024, `${rel} is a large file`);
      const first = await lensesOf(server, uri);
      // The parser's answer follows with a refresh; ask until it is there.
      let full = first;
      for (let k = 0; k < 100 && full.length === first.length; k++) {
        await new Promise((r) => setTimeout(r, 100));
        full = await lensesOf(server, uri);
      }
      assert.ok(full.length > first.length, `${rel}: the parser adds lenses (configured-out and inlined functions, #if blocks)`);
      const key = (l: { range: { start: { line: number } }; command: { title: string } }) => `${l.range.start.line + 1}: ${l.command.title}`;
      const parsed = new Set(full.map(key));
      assert.deepEqual(first.map(key).filter((k) => !parsed.has(k)), [], `${rel}: every early lens is one the parser places the same way`);
      // The functions with a symbol of their own are in the early answer already.
      const sized = first.filter((l) => / in vmlinux/.test(l.command.title)).length;
      assert.ok(sized > 20, `${rel}: ${sized} function lenses before the parse`);
    }
  });

  test('every function with a symbol in vmlinux gets a lens with its exact size', async () => {
    const file = path.join(FIXTURE, 'kernel/fork.c');
    const { uri, text } = await server.open(file);
    const lenses = await lensesOf(server, uri);
    const lines = text.split('\n');
    // Ground truth: the FUNC symbols of kernel/fork.o (readelf), clones folded, sizes
    // summed; two names at one place (an alias, as SYSCALL_DEFINE0 makes on i386) are one body.
    const expected = new Map<string, number>();
    const weak = new Set<string>();
    const places = new Set<string>();
    for (const s of readelfSymbols(path.join(FIXTURE, 'kernel/fork.o'))) {
      if (s.type !== 'FUNC' || s.size === 0) continue;
      if (s.bind === 'WEAK') weak.add(s.name);
      const base = functionBaseName(s.name);
      const place = `${base}:${s.ndx}:${s.value}:${s.size}`;
      if (places.has(place)) continue;
      places.add(place);
      expected.set(base, (expected.get(base) ?? 0) + s.size);
    }
    assert.ok(expected.size > 30);
    let checked = 0;
    for (const [name, size] of expected) {
      // The definition line: a top-level line naming the function before its parameters
      // (SYSCALL_DEFINEn(name, ...) for sys_name). Functions with no such line in fork.c
      // came from headers (inline copies) and have no lens here.
      const def = name.startsWith('sys_') ? new RegExp(`^(COMPAT_)?SYSCALL_DEFINE\\d\\(${name.slice(4)}\\b`) : new RegExp(`^[A-Za-z_].*\\b${name}\\s*\\(`);
      const defLines = lines.map((l, i) => (def.test(l) && !/;\s*$/.test(l) ? i : -1)).filter((i) => i >= 0);
      if (defLines.length === 0) continue;
      // Of definitions in exclusive #if branches only the built one has the size; the others say why not.
      const lens = lenses.find((l) => defLines.includes(l.range.start.line) && !l.command.title.startsWith('not built — ')) ?? lenses.find((l) => defLines.includes(l.range.start.line));
      assert.ok(lens, `a lens for ${name} at line ${defLines.map((i) => i + 1).join('/')}`);
      // A weak default that another object overrides has no symbol of its own in vmlinux.
      const overridden = weak.has(name) && !nmSized(path.join(FIXTURE, 'vmlinux')).some((v) => v.name === name && v.size === size);
      if (overridden) assert.match(lens.command.title, /^weak — overridden by /, name);
      else assert.ok(lens.command.title.startsWith(`${humanSize(size)} in vmlinux`), `${name}: "${lens.command.title}" should say ${humanSize(size)}`);
      checked++;
    }
    assert.ok(checked >= expected.size * 0.8, `checked ${checked} of ${expected.size}`);
    assert.match(lenses.find((l) => l.range.start.line === 0)!.command.title, /^fork\.c: .* in vmlinux .*built in: obj-y in kernel\/Makefile/);
  });

  test('__init functions say init; a module file names its .ko', async () => {
    const { uri, text } = await server.open(path.join(FIXTURE, 'kernel/fork.c'));
    const lenses = await lensesOf(server, uri);
    const line = text.split('\n').findIndex((l) => /__init fork_init\(/.test(l));
    const lens = lenses.find((l) => l.range.start.line === line);
    const size = nmSized(path.join(FIXTURE, 'vmlinux')).find((s) => s.name === 'fork_init')!.size;
    assert.equal(lens?.command.title, `${humanSize(size)} in vmlinux · init, freed after boot`);
    const ext2 = await server.open(path.join(FIXTURE, 'fs/ext2/super.c'));
    const ext2Lenses = await lensesOf(server, ext2.uri);
    assert.ok(ext2Lenses.some((l) => / in ext2\.ko$/.test(l.command.title)), JSON.stringify(ext2Lenses.slice(0, 3)));
  });

  test('lenses move with an edit, before any re-index', async () => {
    const { uri } = await server.open(path.join(FIXTURE, 'kernel/fork.c'));
    const before = await lensesOf(server, uri);
    const target = before.find((l) => l.range.start.line > 100)!;
    await server.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: { line: 10, character: 0 }, end: { line: 10, character: 0 } }, text: '\n\n\n' }],
    });
    const afterEdit = await lensesOf(server, uri);
    assert.ok(afterEdit.some((l) => l.range.start.line === target.range.start.line + 3 && l.command.title === target.command.title), `${target.command.title} moved to line ${target.range.start.line + 3}`);
  });

  test('hover: bytes by section, parts, rank and share', async () => {
    const { uri, text } = await server.open(path.join(FIXTURE, 'kernel/fork.c'));
    const line = text.split('\n').findIndex((l) => /^static __latent_entropy struct task_struct \*copy_process\(/.test(l) || /^struct task_struct \*copy_process\(/.test(l) || /\bcopy_process\(/.test(l) && /^[a-z]/.test(l));
    const character = text.split('\n')[line].indexOf('copy_process');
    const hover = await server.connection.sendRequest<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri }, position: { line, character: character + 2 } });
    const size = nmSized(path.join(FIXTURE, 'vmlinux')).filter((s) => functionBaseName(s.name) === 'copy_process').reduce((a, s) => a + s.size, 0);
    assert.match(hover.contents.value, /\*\*copy_process\*\*/);
    assert.ok(hover.contents.value.includes(`${size.toLocaleString('en-US')} B`), hover.contents.value);
    assert.match(hover.contents.value, /Rank #\d+ of [\d,]+ functions in vmlinux/);
  });
});

describe('new built-in code on the Linux 6.1 fixture (edits in the buffer only)', { skip: fixtureSkip }, () => {
  let server: TestServer;
  before(async () => {
    server = await startServer(FIXTURE);
    await server.waitForStatus((s) => s.state === 'ready');
  });
  after(() => server?.stop());

  async function type(rel: string, code: string, pred: (d: PublishedDiagnostic[]) => boolean = () => true) {
    const r = await server.edit(path.join(FIXTURE, rel), 'end', code, pred);
    return { uri: r.uri, diagnostics: r.diagnostics, line: r.line + 1 };
  }

  test('a new function in a built-in file: flagged, with an estimate calibrated on this build, in the lens and the hover', async () => {
    const code = '\nint fork_count_things(struct task_struct *p, int n)\n{\n\tint i, s = 0;\n\tfor (i = 0; i < n; i++)\n\t\ts += task_pid_nr(p) + i;\n\tif (s > 100)\n\t\tpr_info("many %d\\n", s);\n\treturn s;\n}\n';
    const { uri, diagnostics, line } = await type('kernel/fork.c', code, (d) => d.some((x) => /estimate/.test(x.message)));
    assert.deepEqual(diagnostics.map((d) => d.range.start.line), [line], JSON.stringify(diagnostics.map((d) => d.message)));
    const m = /^new built-in code: fork_count_things\(\) will be linked into vmlinux \(built in because obj-y in kernel\/Makefile\) — ≈ \+([\d,]+) B \(estimate\); not measured: the workspace is not trusted$/.exec(diagnostics[0].message);
    assert.ok(m, diagnostics[0].message);
    const estimate = Number(m[1].replace(/,/g, ''));
    assert.ok(estimate > 8 && estimate < 2000, `a plausible estimate: ${estimate}`);
    const lenses = await lensesOf(server, uri);
    assert.equal(lenses.find((l) => l.range.start.line === line)?.command.title, `≈ +${humanSize(estimate)} (estimate) · new since the last build`);
    const hover = await server.connection.sendRequest<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri }, position: { line, character: 6 } });
    assert.match(hover.contents.value, /fit on \d+ functions of this build; on \d+ others it was off by a median of [\d,]+ B \(\d+%\)/);
  });

  test('not flagged: a module file (fs/ext2) and code under an unset #ifdef', async () => {
    const mod = await type('fs/ext2/super.c', '\nint ext2_extra(void)\n{\n\treturn 0;\n}\n');
    assert.deepEqual(mod.diagnostics, []);
    const config = readFileSync(path.join(FIXTURE, '.config'), 'utf8');
    assert.doesNotMatch(config, /^CONFIG_NUMA=/m);
    const ifdef = await type('kernel/exit.c', '\n#ifdef CONFIG_NUMA\nint exit_numa_only(void)\n{\n\treturn 0;\n}\n#endif\n');
    assert.deepEqual(ifdef.diagnostics, []);
  });
});

describe('language server on the mini tree (not-built files)', () => {
  let b: MiniBuild;
  let server: TestServer;
  let stop: () => Promise<void>;
  before(async () => {
    ({ build: b, server, stop } = await startServerOnMiniBuild());
  });
  after(() => stop?.());

  test('a file that is not built says why', async () => {
    const { uri } = await server.open(path.join(b.srcDir, 'fs/ext2/xattr.c'));
    const lenses = await lensesOf(server, uri);
    assert.ok(lenses.length > 1);
    for (const l of lenses.slice(1)) assert.equal(l.command.title, 'not built — CONFIG_EXT2_FS_XATTR is not set');
    assert.match(lenses[0].command.title, /^xattr\.c: not built — CONFIG_EXT2_FS_XATTR is not set/);
  });

  test('make rewrites vmlinux: stale while it is half-written, never an error, then the new build', async () => {
    const ready = server.statuses.filter((s) => s.state === 'ready');
    const before = ready[ready.length - 1];
    const seen = server.statuses.length;
    // make writing the new vmlinux and System.map in chunks: first a quarter of
    // vmlinux, then half of it, with System.map cut short as well.
    const vmlinux = path.join(b.buildDir, 'vmlinux');
    const systemMap = path.join(b.buildDir, 'System.map');
    const full = readFileSync(vmlinux);
    writeFileSync(vmlinux, full.subarray(0, full.length >> 2));
    await server.waitForStatus((s) => server.statuses.indexOf(s) >= seen && s.state === 'stale');
    appendFileSync(vmlinux, full.subarray(full.length >> 2, full.length >> 1));
    writeFileSync(systemMap, readFileSync(systemMap).subarray(0, 100));
    await server.waitForStatus((s) => server.statuses.indexOf(s) >= seen && s.state === 'stale' && /rewritten|retrying/.test(s.message ?? ''));
    // Meanwhile the last good index keeps serving.
    const meanwhile = await server.open(path.join(b.srcDir, 'kernel/fork.c'));
    assert.ok((await lensesOf(server, meanwhile.uri)).some((l) => / in vmlinux/.test(l.command.title)), 'lenses from the last good build');
    // Then the real rebuild finishes, with more code in the kernel proper.
    appendFileSync(path.join(b.srcDir, 'kernel/fork.c'), '\nint kbloat_test_growth(int x) { int s = 0; for (int i = 0; i < x; i++) s += i * x ^ (s >> 3); return s; }\n');
    execFileSync('make', ['-s', '-C', b.srcDir], { stdio: 'ignore' });
    const after = await server.waitForStatus((s) => server.statuses.indexOf(s) >= seen && s.state === 'ready');
    assert.ok((after.image ?? 0) > (before.image ?? 0), `image grew: ${before.image} -> ${after.image}`);
    assert.ok(!server.statuses.slice(seen).some((s) => s.state === 'error'), JSON.stringify(server.statuses.slice(seen)));
    const { uri } = await server.open(path.join(b.srcDir, 'kernel/fork.c'));
    const lenses = await lensesOf(server, uri);
    const size = nmSized(path.join(b.buildDir, 'vmlinux')).find((s) => s.name === 'kbloat_test_growth')!.size;
    assert.ok(lenses.some((l) => l.command.title === `${humanSize(size)} in vmlinux`), 'the new function has its lens');
  });

  test('the status says ready with the resident size', () => {
    const ready = server.statuses.find((s) => s.state === 'ready')!;
    assert.ok((ready.resident ?? 0) > 0 && (ready.resident ?? 0) < (ready.image ?? 0));
  });
});

describe('language server in a workspace with two O= builds', () => {
  let b: MiniBuild;
  let server: TestServer;
  const settings: Record<string, unknown> = {};
  after(async () => {
    await server?.stop();
    if (b) cleanupMiniBuild(b);
  });

  test('asks which build to measure, then measures the one picked', async () => {
    b = buildMiniKernel({ outOfTree: true });
    const workspace = path.dirname(b.srcDir);
    const second = path.join(workspace, 'build32');
    execFileSync('make', ['-s', '-C', b.srcDir, `O=${second}`, 'ARCH32=1'], { stdio: 'ignore' });
    server = await startServer(workspace, settings);
    const candidates = await server.waitForCandidates();
    assert.deepEqual([...candidates].sort(), [b.buildDir, second].sort());
    assert.ok(!server.statuses.some((s) => s.state === 'ready'), 'nothing is measured before the user picks');
    settings.buildDirectory = 'build32';
    await server.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    const ready = await server.waitForStatus((s) => s.state === 'ready');
    assert.equal(ready.buildDir, second);
    const { uri } = await server.open(path.join(b.srcDir, 'kernel/fork.c'));
    const lenses = await lensesOf(server, uri);
    assert.match(lenses[0].command.title, /^fork\.c: .* in vmlinux/);
  });
});

describe('language server on a broken build', () => {
  test('a vmlinux that stays truncated ends in an error status; the server keeps answering', async () => {
    const dir = tempDir('broken');
    writeFileSync(path.join(dir, 'vmlinux'), readFileSync(process.execPath).subarray(0, 4096));
    writeFileSync(path.join(dir, 'hello.c'), 'int main(void) { return 0; }\n');
    const server = await startServer(dir, {}, { indexing: { retries: 2, retryDelayMs: 50 } });
    try {
      const error = await server.waitForStatus((s) => s.state === 'error');
      assert.match(error.message ?? '', /vmlinux: .*(outside the file|truncated|not an ELF|section)/);
      assert.ok(server.statuses.some((s) => /retrying/.test(s.message ?? '')), 'it was retried first');
      const { uri } = await server.open(path.join(dir, 'hello.c'));
      assert.deepEqual(await lensesOf(server, uri), []);
      const hover = await server.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 5 } });
      assert.equal(hover, null);
      assert.equal(server.process.exitCode, null, 'the server is still running');
    } finally {
      await server.stop();
    }
  });
});
