/**
 * The irsymtab reader on bitcode objects clang really writes (-flto=thin with
 * the kernel's -fsplit-lto-unit, and full -flto), checked symbol for symbol
 * against llvm-nm on the same files; and damaged bitcode, which must be a
 * typed input error, never a crash or a hang.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { isBitcode, readBitcodeSymtab } from '../server/src/binary/bitcode';
import { KbloatInputError } from '../server/src/common/errors';
import { REPO, run, tempDir } from './helpers';

const have = (tool: string): boolean => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
const skip = have('clang') && have('llvm-nm') ? false : 'clang and llvm-nm are not installed (.ci/setup installs them)';

/** Kernel-shaped C: statics, an __init function, weak and exported symbols, per-CPU-like sections, a table. */
const SOURCES: Record<string, string> = {
  'fork.c': `
static int nr_threads;
int max_threads = 100;
static const char banner[] = "fork";
__attribute__((section(".init.data"))) int init_only = 3;
static int task_weight(int prio) { return prio * 1024 + nr_threads; }
__attribute__((weak)) int arch_dup_task_struct(int x) { return x; }
extern int printk(const char *fmt, ...);
__attribute__((noinline)) int copy_process(int prio) { nr_threads++; return task_weight(prio) + arch_dup_task_struct(prio); }
__attribute__((section(".init.text"), cold)) int fork_init(void) { printk(banner); return init_only; }
int kernel_clone(int prio) { return copy_process(prio) + max_threads; }
`,
  'core.c': `
static int update_stats(int v) { static int calls; return v + ++calls; }
__attribute__((used)) static int keep_me(void) { return 7; }
int sched_tick(int v) { return update_stats(v); }
int sched_table[256];
`,
};

let dir: string;
const objects: string[] = [];
before(() => {
  if (skip) return;
  dir = tempDir('bitcode');
  for (const [name, text] of Object.entries(SOURCES)) {
    writeFileSync(path.join(dir, name), text);
    for (const [tag, flags] of [['thin', ['-flto=thin', '-fsplit-lto-unit']], ['full', ['-flto']], ['thin-O0', ['-flto=thin', '-O0']]] as const) {
      const out = path.join(dir, `${name.replace(/\.c$/, '')}.${tag}.o`);
      run('clang', ['-O2', '-fno-common', ...flags, '-c', path.join(dir, name), '-o', out]);
      objects.push(out);
    }
  }
});
after(() => dir && rmSync(dir, { recursive: true, force: true }));

/** llvm-nm's view: name → its type letter (U for undefined). */
function llvmNm(file: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of run('llvm-nm', [file]).split('\n')) {
    const m = /^\s*(?:-+|[0-9a-f]+)?\s+([A-Za-z])\s+(\S+)$/.exec(line);
    if (m) out.set(m[2], m[1]);
  }
  return out;
}

test('every symbol, its binding, definedness and kind equal llvm-nm', { skip }, () => {
  assert.ok(objects.length >= 6);
  for (const file of objects) {
    const buf = readFileSync(file);
    assert.ok(isBitcode(buf), `${file} is bitcode`);
    const symtab = readBitcodeSymtab(buf, file);
    assert.equal(symtab.sourceFileName, path.join(dir, path.basename(file).replace(/\.(thin|full|thin-O0)\.o$/, '.c')));
    assert.match(symtab.targetTriple, /^x86_64-/);
    const nm = llvmNm(file);
    const ours = new Map(symtab.symbols.map((s) => [s.name, s]));
    assert.deepEqual([...ours.keys()].sort(), [...nm.keys()].sort(), file);
    for (const [name, letter] of nm) {
      const s = ours.get(name)!;
      assert.equal(s.defined, letter !== 'U', `${file}: ${name} ${letter}`);
      if (letter === 'U') continue;
      assert.equal(s.global, letter === letter.toUpperCase(), `${file}: ${name} ${letter}`);
      assert.equal(s.weak, /[WVwv]/.test(letter), `${file}: ${name} ${letter}`);
      // llvm-nm says t/T/W for code, d/D/b/B/r/R/V for data.
      if (!/[Ww]/.test(letter)) assert.equal(s.executable, /[Tt]/.test(letter), `${file}: ${name} ${letter}`);
    }
    // A section the source names is carried (`fork_init` in .init.text) when the symbol is still there.
    if (ours.has('fork_init')) assert.equal(ours.get('fork_init')!.section, '.init.text');
  }
});

test('ELF objects and other files are not bitcode', () => {
  assert.equal(isBitcode(readFileSync(path.join(REPO, 'package.json'))), false);
  assert.equal(isBitcode(Buffer.from([0x7f, 0x45, 0x4c, 0x46])), false);
  assert.equal(isBitcode(Buffer.alloc(2)), false);
});

test('damaged bitcode is a typed input error, never a crash or a hang', { skip }, () => {
  const good = readFileSync(objects[0]);
  let refused = 0;
  const started = Date.now();
  // Truncations at many points and single-byte flips over the whole file.
  const damaged: Buffer[] = [];
  for (let cut = 4; cut < good.length; cut += Math.max(1, Math.floor(good.length / 97))) damaged.push(good.subarray(0, cut));
  for (let at = 4; at < good.length; at += Math.max(1, Math.floor(good.length / 211))) {
    const b = Buffer.from(good);
    b[at] ^= 0x5a;
    damaged.push(b);
  }
  for (const b of damaged) {
    try {
      const r = readBitcodeSymtab(b, 'damaged.o');
      // A flip inside code or a name is still a symbol table; its names stay strings.
      for (const s of r.symbols) assert.equal(typeof s.name, 'string');
    } catch (e) {
      assert.ok(e instanceof KbloatInputError, `not a typed error: ${String(e)}`);
      assert.equal(e.code, 'bad-bitcode');
      refused++;
    }
  }
  assert.ok(refused > damaged.length / 4, `only ${refused} of ${damaged.length} damaged files were refused`);
  assert.ok(Date.now() - started < 20_000, 'reading damaged bitcode took too long');
});
