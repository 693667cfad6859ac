/**
 * The option lenses in `npm run bench`: the latency of the lenses of a large
 * Kconfig file (arch/x86/Kconfig) and of the Makefile with the most object
 * lines, first and after each edit (target p95 <= 30 ms, as for C files).
 *
 * And in `npm run bench -- --distro`, with assertions: trace events on
 * Debian's debug kernel (linux-image-*-cloud-amd64-dbg, fetched by distro.ts)
 * read with the matching sources of Debian's linux-source-6.1
 * ($KBLOAT_LINUX_SOURCE, default ~/.cache/kbloat-bench/linux-source-6.1), in
 * the `kbloat.vmlinux` mode: the lens on kernel/fork.c's `#include
 * <trace/events/task.h>` (under CREATE_TRACE_POINTS) shows the `nm -S` sizes of
 * the functions generated for task.h's events. Tinyconfig has no trace events,
 * so this is the only place they are checked against a real kernel.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestServer } from '../lspClient';

interface Lens {
  range: { start: { line: number } };
  command: { title: string };
}

const lensesOf = (server: TestServer, uri: string): Promise<Lens[]> => server.connection.sendRequest('textDocument/codeLens', { textDocument: { uri } });

/** The Makefile or Kbuild file of the tree with the most object-list lines. */
function largestMakefile(root: string): string {
  let best = { file: '', n: 0 };
  const walk = (dir: string, depth: number): void => {
    if (depth > 8) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && !e.isSymbolicLink()) walk(p, depth + 1);
      else if ((e.name === 'Makefile' || e.name === 'Kbuild') && dir !== root) {
        const n = (readFileSync(p, 'utf8').match(/^(obj|lib|[\w-]+)-(\$\(CONFIG_\w+\)|y|objs)\s*[:+]?=/gm) ?? []).length;
        if (n > best.n) best = { file: p, n };
      }
    }
  };
  walk(root, 0);
  return best.file;
}

async function editLatency(server: TestServer, file: string, languageId: string): Promise<string> {
  const t0 = process.hrtime.bigint();
  const { uri, text } = await server.open(file, languageId);
  const first = await lensesOf(server, uri);
  const firstMs = Number(process.hrtime.bigint() - t0) / 1e6;
  let treeNote = '';
  // A Kconfig file's first lenses start the read of the build's Kconfig tree (the hover of an
  // entry that is set says what depends on it once it is read): typing is measured after that.
  const entry = text.split('\n').findIndex((l) => /^config X86$/.test(l));
  if (languageId === 'kconfig' && entry >= 0) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < 600; i++) {
      const hover = await server.connection.sendRequest<{ contents: { value: string } } | null>('textDocument/hover', { textDocument: { uri }, position: { line: entry, character: 2 } });
      if (hover && !/shown once the Kconfig tree has been read/.test(hover.contents.value)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    treeNote = ` · Kconfig tree read ${(Number(process.hrtime.bigint() - t) / 1e6).toFixed(0)} ms later`;
  }
  const lines = text.split('\n').length;
  const times: number[] = [];
  for (let i = 0; i < 60; i++) {
    // One keystroke's edit (a comment line), then the lens request right after it.
    const t = process.hrtime.bigint();
    await server.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: i + 2 },
      contentChanges: [{ range: { start: { line: Math.min(40 + i, lines - 1), character: 0 }, end: { line: Math.min(40 + i, lines - 1), character: 0 } }, text: '# edit\n' }],
    });
    const got = await lensesOf(server, uri);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    assert.ok(got.length >= first.length - 1, `${file}: lenses kept while typing (${got.length} of ${first.length})`);
  }
  times.sort((a, b) => a - b);
  return `${path.basename(path.dirname(file))}/${path.basename(file)} (${lines} lines, ${first.length} lenses): first ${firstMs.toFixed(1)} ms${treeNote} · after an edit median ${times[times.length >> 1].toFixed(1)} ms, p95 ${times[Math.floor(times.length * 0.95)].toFixed(1)} ms`;
}

/** Lens latency on a large Kconfig file and a large Makefile of the build's tree. */
export async function optionLensBench(server: TestServer, build: string): Promise<void> {
  const kconfig = path.join(build, 'arch/x86/Kconfig');
  if (existsSync(kconfig)) console.log(`option lenses, ${await editLatency(server, kconfig, 'kconfig')} — target p95 <= 30 ms`);
  const makefile = largestMakefile(build);
  if (makefile) console.log(`option lenses, ${await editLatency(server, makefile, 'makefile')} — target p95 <= 30 ms`);
}

/**
 * C functions generated for a trace event or its class (include/trace/trace_events.h, perf.h,
 * bpf_probe.h, linux/tracepoint.h), as this check names them. The static-call trampolines
 * (`__SCT__tp_func_<event>`, 8 B of assembly each) have no DWARF unit, so a DWARF-only index
 * places them in no file: they are counted apart.
 */
const GENERATED = { perEvent: ['__traceiter_'], perClass: ['trace_event_raw_event_', 'perf_trace_', 'trace_raw_output_', '__bpf_trace_'] };

export async function traceEventsDistroCheck(): Promise<void> {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const boot = path.join(base, 'kbloat-bench', 'debian', 'usr/lib/debug/boot');
  const vmlinux = existsSync(boot) ? readdirSync(boot).find((f) => f.startsWith('vmlinux-')) : undefined;
  const source = process.env.KBLOAT_LINUX_SOURCE ?? path.join(base, 'kbloat-bench', 'linux-source-6.1');
  if (!vmlinux || !existsSync(path.join(source, 'kernel/fork.c'))) {
    console.log(`trace events: skipped (need ${boot}/vmlinux-* and the matching sources at ${source}, KBLOAT_LINUX_SOURCE)`);
    return;
  }
  // Ground truth: task.h's events (TRACE_EVENT(name, ...) makes an event and a class of that name), nm -S of vmlinux.
  const header = readFileSync(path.join(source, 'include/trace/events/task.h'), 'utf8');
  const events = [...header.matchAll(/^TRACE_EVENT\((\w+),/gm)].map((m) => m[1]);
  assert.deepEqual(events, ['task_newtask', 'task_rename']);
  const wanted = new Set(events.flatMap((e) => [...GENERATED.perEvent, ...GENERATED.perClass].map((p) => p + e)));
  let code = 0;
  let trampolines = 0;
  const found: string[] = [];
  for (const line of execFileSync('nm', ['-S', path.join(boot, vmlinux)], { encoding: 'utf8', maxBuffer: 1 << 30 }).split('\n')) {
    const m = /^[0-9a-f]+ ([0-9a-f]+) [tT] (\S+)$/.exec(line);
    if (m && wanted.has(m[2].split('.')[0])) (code += parseInt(m[1], 16)), found.push(m[2]);
    else if (m && events.some((e) => m[2] === `__SCT__tp_func_${e}`)) trampolines += parseInt(m[1], 16);
  }
  assert.ok(found.length >= 10, `generated functions in vmlinux: ${found.join(' ')}`);
  const { startServer } = await import('../lspClient');
  const server = await startServer(source, { vmlinux: path.join(boot, vmlinux) });
  try {
    await server.waitForStatus((s) => s.state === 'ready', 300_000);
    const { uri, text } = await server.open(path.join(source, 'kernel/fork.c'));
    const lenses = await lensesOf(server, uri);
    const line = text.split('\n').findIndex((l) => l.startsWith('#include <trace/events/task.h>'));
    const lens = lenses.find((l) => l.range.start.line === line)?.command.title ?? '(none)';
    const m = /^2 trace events · (\S+ \S+) \((\S+ B) code, (\S+ \S+) data\)$/.exec(lens);
    assert.ok(m, `the lens on kernel/fork.c:${line + 1}: "${lens}"`);
    assert.equal(Number(m[2].replace(/[, B]/g, '')), code, `code of task.h's events: nm -S gives ${code} B over ${found.join(', ')}`);
    console.log(`trace events: kernel/fork.c:${line + 1} "${lens}" — the code is nm -S's ${code} B over ${found.length} generated functions: OK (plus ${trampolines} B of static-call trampolines DWARF places in no file)`);
  } finally {
    await server.stop();
  }
}
