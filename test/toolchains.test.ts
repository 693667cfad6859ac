/**
 * The example tree built by other toolchains, as Linux 6.1's Kbuild builds it:
 * `make LLVM=1` (clang, ld.lld, llvm-ar, llvm-nm...), the same with Clang
 * ThinLTO and full LTO, and gcc cross builds for arm64 and riscv64.
 *
 * Each build is read with that toolchain's own binutils (llvm-readelf,
 * aarch64-linux-gnu-readelf...) and compared with the gcc x86_64 build: the
 * same vmlinux.a members, lib.a members, modules.order, *.mod files,
 * modules.builtin, exports and initcalls; vmlinux is linked for the expected
 * machine; System.map is `nm -n vmlinux` as scripts/mksysmap filters it. In the
 * LTO builds every built-in C object is LLVM bitcode, and vmlinux.o, the
 * modules' .o and the .ko files are native code.
 *
 * kbloat's attribution is not tested here. The builds run one at a time, and
 * each temporary folder is removed as soon as its tests are done.
 */
import assert from 'node:assert/strict';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { run } from './helpers';
import { buildMiniKernel, cleanupMiniBuild, MiniBuild, MiniBuildOptions, miniBuildSkip, miniTools, MiniTools } from './minikernel';

const BITCODE_MAGIC = Buffer.from([0x42, 0x43, 0xc0, 0xde]); // 'BC' 0xC0DE
const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const ET_REL = 1;

type ObjectKind = { kind: 'bitcode' } | { kind: 'elf'; elfClass: number; type: number; machine: number } | { kind: 'other' };

/** What a file is, from its first bytes (all the tree's targets are little-endian). */
function objectKind(file: string): ObjectKind {
  const head = Buffer.alloc(20);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (head.subarray(0, 4).equals(BITCODE_MAGIC)) return { kind: 'bitcode' };
  if (head.subarray(0, 4).equals(ELF_MAGIC)) return { kind: 'elf', elfClass: head[4] === 2 ? 64 : 32, type: head.readUInt16LE(16), machine: head.readUInt16LE(18) };
  return { kind: 'other' };
}

function assertNative(file: string, t: MiniTools, type?: number): void {
  const k = objectKind(file);
  assert.equal(k.kind, 'elf', `${file} is an ELF object`);
  if (k.kind !== 'elf') return;
  assert.equal(k.machine, t.elfMachine, `${file}: e_machine`);
  assert.equal(k.elfClass, t.elfClass, `${file}: ELF class`);
  if (type !== undefined) assert.equal(k.type, type, `${file}: e_type`);
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

/** The architecture folder of a build (arch/mini for x86_64 and i386). */
function srcArch(t: MiniTools): string {
  return t.arch === 'arm64' ? 'arm64' : t.arch === 'riscv64' ? 'riscv' : 'mini';
}

/** vmlinux.a's members with the architecture folder written as arch/mini, to compare with the x86 build. */
function members(b: MiniBuild, t: MiniTools, archive: string): string[] {
  return lines(run(t.ar, ['t', archive], b.buildDir));
}

/** `nm -n`, as scripts/mksysmap (Linux 6.1) filters it into System.map. */
const MKSYSMAP_DROP = [/ [aNUw] /, / \$[adt]/, / \.L/, / __crc_/, / __kstrtab_/, / __kstrtabns_/, / L0$/];

function initcalls(b: MiniBuild, t: MiniTools): string[] {
  return lines(run(t.nm, ['-n', 'vmlinux'], b.buildDir))
    .map((l) => l.split(/\s+/)[2] ?? '')
    .filter((n) => n.startsWith('__initcall__'));
}

/** What the gcc x86_64 build leaves behind, for the other builds to match. */
interface Reference {
  members: string[];
  libMembers: string[];
  modulesOrder: string;
  mods: Map<string, string>;
  modulesBuiltin: string;
  symvers: string[];
  initcalls: string[];
}

let reference: Reference | undefined;
function gccReference(): Reference {
  if (reference) return reference;
  const b = buildMiniKernel({});
  try {
    const t = miniTools({});
    const modulesOrder = readFileSync(path.join(b.buildDir, 'modules.order'), 'utf8');
    const mods = new Map(lines(modulesOrder).map((ko) => [ko, readFileSync(path.join(b.buildDir, ko.replace(/\.ko$/, '.mod')), 'utf8')]));
    reference = {
      members: members(b, t, 'vmlinux.a'),
      libMembers: members(b, t, 'lib/lib.a'),
      modulesOrder,
      mods,
      modulesBuiltin: readFileSync(path.join(b.buildDir, 'modules.builtin'), 'utf8'),
      symvers: lines(readFileSync(path.join(b.buildDir, 'Module.symvers'), 'utf8')).sort(),
      initcalls: initcalls(b, t),
    };
    return reference;
  } finally {
    cleanupMiniBuild(b);
  }
}

const VARIANTS: { name: string; options: MiniBuildOptions }[] = [
  { name: 'make LLVM=1 (clang, ld.lld, llvm binutils), x86_64', options: { toolchain: 'llvm' } },
  { name: 'make LLVM=1 lto_thin.config (CONFIG_LTO_CLANG_THIN=y), x86_64', options: { toolchain: 'llvm', lto: 'thin' } },
  { name: 'make LLVM=1 lto_full.config (CONFIG_LTO_CLANG_FULL=y), x86_64', options: { toolchain: 'llvm', lto: 'full' } },
  { name: 'make ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-', options: { arch: 'arm64' } },
  { name: 'make ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu-', options: { arch: 'riscv64' } },
];

for (const { name, options } of VARIANTS) {
  const t = miniTools(options);
  const skip = miniBuildSkip(options) || miniBuildSkip({});
  describe(name, { skip }, () => {
    let b: MiniBuild;
    let ref: Reference;
    const file = (rel: string): string => path.join(b.buildDir, rel);
    const arch = srcArch(t);
    const toMini = (p: string): string => p.replace(new RegExp(`^arch/${arch}/`), 'arch/mini/');

    before(() => {
      ref = gccReference();
      b = buildMiniKernel(options);
    });
    after(() => b && cleanupMiniBuild(b));

    test(`vmlinux is linked for ${t.arch} (${t.readelf} -h)`, () => {
      const h = run(t.readelf, ['-h', 'vmlinux'], b.buildDir);
      assert.match(h, /^\s*Type:\s+EXEC \(Executable file\)$/m);
      assert.match(h, new RegExp(`^\\s*Machine:\\s+${t.readelfMachine}$`, 'm'));
      assert.match(h, new RegExp(`^\\s*Class:\\s+ELF${t.elfClass}$`, 'm'));
      assertNative(file('vmlinux'), t);
      // The toolchain that built it says so in .comment (kept, as ELF_DETAILS keeps it).
      const comment = run(t.readelf, ['-p', '.comment', 'vmlinux'], b.buildDir);
      assert.match(comment, t.toolchain === 'llvm' ? /clang version/ : /GCC: /);
      if (t.toolchain === 'llvm') assert.match(comment, /LLD/);
      assert.ok(readFileSync(file('.vmlinux.cmd'), 'utf8').startsWith(`cmd_vmlinux := ${t.ld} `), '.vmlinux.cmd names the linker');
    });

    test(`vmlinux.a and lib.a hold the objects of the gcc x86_64 build, head.o first (${t.ar} t)`, () => {
      const own = members(b, t, 'vmlinux.a');
      assert.equal(own[0], `arch/${arch}/kernel/head.o`);
      assert.deepEqual(own.map(toMini), ref.members);
      assert.deepEqual(members(b, t, 'lib/lib.a'), ref.libMembers);
    });

    test(t.lto ? 'every built-in C object is LLVM bitcode, head.S native; each has its .cmd file' : `every built-in object is native ${t.arch} code; each has its .cmd file`, () => {
      for (const obj of [...members(b, t, 'vmlinux.a'), ...members(b, t, 'lib/lib.a')]) {
        const assembly = existsSync(path.join(b.srcDir, obj.replace(/\.o$/, '.S')));
        if (t.lto && !assembly) assert.equal(objectKind(file(obj)).kind, 'bitcode', `${obj} is LLVM bitcode`);
        else assertNative(file(obj), t, ET_REL);
        const cmd = readFileSync(file(path.join(path.dirname(obj), `.${path.basename(obj)}.cmd`)), 'utf8');
        assert.ok(cmd.startsWith(`cmd_${obj} := ${t.cc} `), `${obj}: its .cmd file names ${t.cc}`);
        assert.match(cmd, new RegExp(`^source_${obj.replace(/\./g, '\\.')} := `, 'm'), `${obj}: fixdep wrote its source_ line`);
        if (!assembly && t.lto === 'thin') assert.match(cmd, / -flto=thin -fsplit-lto-unit /, obj);
        if (!assembly && t.lto === 'full') assert.match(cmd, / -flto /, obj);
        if (!assembly && !t.lto) assert.doesNotMatch(cmd, /-flto/, obj);
      }
    });

    test('modules.order, the *.mod files, modules.builtin and Module.symvers are those of the gcc build', () => {
      assert.equal(readFileSync(file('modules.order'), 'utf8'), ref.modulesOrder);
      for (const [ko, mod] of ref.mods) {
        assert.equal(readFileSync(file(ko.replace(/\.ko$/, '.mod')), 'utf8'), mod, ko);
        // Each module is native code, whatever its parts are: modpost reads the
        // module's .o (Linux 6.1 runs ld -r on LLVM bitcode there) and the .ko.
        assertNative(file(ko), t, ET_REL);
        assertNative(file(ko.replace(/\.ko$/, '.o')), t, ET_REL);
        for (const part of lines(mod)) {
          if (part === ko.replace(/\.ko$/, '.o')) continue; // a single-object module: linked in place
          if (t.lto) assert.equal(objectKind(file(part)).kind, 'bitcode', `${part} is LLVM bitcode`);
          else assertNative(file(part), t, ET_REL);
        }
        const modO = file(ko.replace(/\.ko$/, '.mod.o'));
        if (t.lto) assert.equal(objectKind(modO).kind, 'bitcode', `${modO} is LLVM bitcode (the .ko link compiles it)`);
        else assertNative(modO, t, ET_REL);
      }
      assert.equal(readFileSync(file('modules.builtin'), 'utf8'), ref.modulesBuiltin);
      assert.deepEqual(lines(readFileSync(file('Module.symvers'), 'utf8')).sort(), ref.symvers);
    });

    test(`System.map is ${t.nm} -n vmlinux as scripts/mksysmap filters it; vmlinux.map is written`, () => {
      const nm = lines(run(t.nm, ['-n', 'vmlinux'], b.buildDir)).filter((l) => !MKSYSMAP_DROP.some((re) => re.test(l)));
      const map = lines(readFileSync(file('System.map'), 'utf8'));
      assert.ok(map.length > 100, `System.map has ${map.length} lines`);
      assert.deepEqual(map, nm);
      for (const sym of ['_text', '_stext', 'start_kernel', '__init_begin', '__init_end', 'jiffies']) assert.ok(map.some((l) => l.endsWith(` ${sym}`)), `System.map lists ${sym}`);
      assert.ok(statSync(file('vmlinux.map')).size > 1000, 'vmlinux.map (CONFIG_VMLINUX_MAP=y)');
    });

    test('the initcalls of the gcc build, in the same order', () => {
      assert.deepEqual(initcalls(b, t), ref.initcalls);
    });

    if (t.lto) {
      test('vmlinux.o is native: ld.lld -r ran the LTO, in initcall order; vmlinux is linked from it', () => {
        assertNative(file('vmlinux.o'), t, ET_REL);
        assert.match(run(t.readelf, ['-h', 'vmlinux.o'], b.buildDir), /^\s*Type:\s+REL \(Relocatable file\)$/m);
        const ldO = readFileSync(file('.vmlinux.o.cmd'), 'utf8');
        assert.match(ldO, /^cmd_vmlinux\.o := ld\.lld .* -r -o vmlinux\.o -T \.tmp_initcalls\.lds --whole-archive vmlinux\.a --no-whole-archive --start-group lib\/lib\.a --end-group$/m);
        assert.match(readFileSync(file('.vmlinux.cmd'), 'utf8'), / --whole-archive vmlinux\.o --no-whole-archive /);
        // .tmp_initcalls.lds: one input section per initcall, in link order (scripts/generate_initcall_order.sh).
        const lds = readFileSync(file('.tmp_initcalls.lds'), 'utf8');
        const ordered = [...lds.matchAll(/\*\(\.initcall(\w+)\.init\.\.(\S+)\) ;/g)].map((m) => `__initcall__${m[2]}${m[1]}`);
        assert.deepEqual(ordered, ref.initcalls);
        // Each initcall goes through a stub function (include/linux/init.h under CONFIG_LTO_CLANG);
        // with -fvisibility=hidden, as 6.1's LTO builds, the link makes it local.
        const syms = lines(run(t.nm, ['vmlinux'], b.buildDir));
        for (const ic of ref.initcalls) {
          const stub = ic.replace(/^__initcall__/, '__initstub__');
          assert.ok(syms.some((l) => / [Tt] /.test(l) && l.endsWith(` ${stub}`)), `${stub} is a function of vmlinux`);
        }
      });
    }
  });
}
