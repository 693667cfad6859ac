/**
 * A big-endian ELF64 kernel image: a tiny powerpc64 "kernel" compiled and linked
 * by the cross toolchain (objcopy cannot change the endianness of x86 objects),
 * with two same-named statics in two core.c files, an init section, a linker map
 * and a thin vmlinux.a. Indexed with and without the map; ground truth from
 * readelf and nm.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { buildIndex } from '../server/src/index/buildTree';
import { nmSized, readelfSections, run, tempDir } from './helpers';

const CROSS = 'powerpc64-linux-gnu-';
const haveCross = spawnSync(`${CROSS}gcc`, ['--version']).status === 0;

const SOURCES: Record<string, string> = {
  'kernel/core.c': `static int nr_events;
const char linux_banner[] = "Linux version 6.1.0-be (test)";
__attribute__((noinline)) static int update_stats(int x) { nr_events += x; return nr_events * 7 + x / 3; }
int kernel_tick(int x) { return update_stats(x) + update_stats(x + 1); }
`,
  'drivers/misc/core.c': `static int nr_events[16];
void poke(int i, int v) { nr_events[i & 15] = v; }
__attribute__((noinline)) static int update_stats(int x) { int s = 0; for (int i = 0; i < 16; i++) s += nr_events[i] * x; return s; }
int driver_poll(int x) { return update_stats(x) ^ 5; }
`,
  'init/main.c': `int kernel_tick(int); int driver_poll(int);
__attribute__((section(".init.text"))) int start_kernel(void) { return kernel_tick(1) + driver_poll(2); }
`,
};

const LDS = `ENTRY(start_kernel)
SECTIONS {
  . = 0xc000000000000000;
  _text = .; _stext = .;
  .text : { *(.text .text.*) }
  _etext = .;
  .rodata : { *(.rodata .rodata.*) }
  .notes : { *(.note.*) }
  .data : { *(.data .data.*) *(.toc .got) }
  . = ALIGN(4096);
  __init_begin = .;
  .init.text : { *(.init.text) }
  __init_end = .;
  .bss : { *(.bss .bss.*) *(COMMON) }
  _end = .;
  /DISCARD/ : { *(.comment) *(.eh_frame) *(.note.GNU-stack) }
}
`;

function buildBigEndianKernel(withMap: boolean): string {
  const dir = tempDir('be-kernel');
  for (const [rel, text] of Object.entries(SOURCES)) {
    mkdirSync(path.join(dir, path.dirname(rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
    run(`${CROSS}gcc`, ['-O2', '-mabi=elfv2', '-ffreestanding', '-fno-pic', '-fno-asynchronous-unwind-tables', '-c', '-o', rel.replace(/\.c$/, '.o'), rel], dir);
  }
  writeFileSync(path.join(dir, 'vmlinux.lds'), LDS);
  const objs = Object.keys(SOURCES).map((r) => r.replace(/\.c$/, '.o'));
  run('ar', ['cDPrST', 'vmlinux.a', ...objs], dir);
  run(`${CROSS}ld`, ['--no-warn-rwx-segments', '--build-id=sha1', '-T', 'vmlinux.lds', '--whole-archive', 'vmlinux.a', ...(withMap ? ['-Map', 'vmlinux.map'] : []), '-o', 'vmlinux'], dir);
  writeFileSync(path.join(dir, 'System.map'), run('nm', ['-n', 'vmlinux'], dir));
  return dir;
}

for (const withMap of [true, false]) {
  describe(`big-endian powerpc64 kernel image, ${withMap ? 'with' : 'without'} a linker map`, { skip: haveCross ? false : `${CROSS}gcc is not installed (.ci/setup installs gcc-powerpc64-linux-gnu)` }, () => {
    let dir: string;
    before(() => {
      dir = buildBigEndianKernel(withMap);
    });

    test('every byte and every symbol, statics in the right core.c', () => {
      const index = buildIndex(dir);
      assert.equal(index.build.endian, 'big');
      assert.equal(index.build.elfClass, 64);
      assert.equal(index.build.arch, 'powerpc64');
      assert.equal(index.build.attribution, withMap ? 'linker-map' : 'objects');
      assert.equal(index.build.kernelVersion, '6.1.0-be');
      const vmlinux = path.join(dir, 'vmlinux');
      for (const sec of readelfSections(vmlinux).filter((s) => s.flags.includes('A') && s.size > 0)) {
        const attributed = index.files.reduce((a, f) => a + (f.sections[sec.name] ?? 0), 0);
        assert.equal(attributed + (index.unattributed[sec.name] ?? 0), sec.size, sec.name);
      }
      for (const rel of ['kernel/core', 'drivers/misc/core']) {
        const own = nmSized(path.join(dir, `${rel}.o`)).find((s) => s.name === 'update_stats')!;
        const f = index.files.find((x) => x.path === `${rel}.c`)!;
        assert.equal(f.functions.find((fn) => fn.name === 'update_stats')?.size, own.size, rel);
        assert.equal(f.bytes.text, run('size', ['-A', `${rel}.o`], dir).match(/^\.text\s+(\d+)/m)!.map(Number)[1], `${rel} text`);
      }
      const main = index.files.find((x) => x.path === 'init/main.c')!;
      assert.equal(main.bytes.init, nmSized(vmlinux).find((s) => s.name === 'start_kernel')!.size);
      rmSync(dir, { recursive: true, force: true });
    });
  });
}
