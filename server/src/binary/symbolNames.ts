/**
 * Kernel symbol-name rules: which symbols are compiler clones of one function,
 * and which are generated. The clone rules follow what gcc and clang emit; the
 * generated-name rules are those of the kernel's scripts/bloat-o-meter.
 */

const PREFIXES = ['__pfx_', '__cfi_'];
// One clone suffix at a time; they stack (`foo.constprop.0.isra.0`, `foo.part.0.cold`).
const CLONE_SUFFIX = /\.(constprop|isra|part|cold|lto_priv|llvm|specialized|localalias)(\.\d+)?$|\.cold$/;
const SYSCALL_WRAPPER = /^__(se|do|ia32|x64|x32|arm64|riscv|s390|s390x|powerpc|loongarch)_(compat_)?sys_/;

/**
 * The function a symbol belongs to: `foo.constprop.0` → `foo`, `__pfx_foo` → `foo`,
 * `__se_sys_read` → `sys_read`. Returns the name itself when it is no clone.
 */
export function functionBaseName(name: string): string {
  let n = name;
  for (const p of PREFIXES) {
    if (n.startsWith(p) && n.length > p.length) {
      n = n.slice(p.length);
      break;
    }
  }
  for (let guard = 0; guard < 8; guard++) {
    const m = CLONE_SUFFIX.exec(n);
    if (!m || m.index === 0) break;
    n = n.slice(0, m.index);
  }
  const sys = SYSCALL_WRAPPER.exec(n);
  if (sys) n = `${sys[2] ?? ''}sys_${n.slice(sys[0].length)}`;
  return n;
}

/** Symbols scripts/bloat-o-meter leaves out as generated. */
export function isGeneratedSymbol(name: string): boolean {
  return (
    name.startsWith('__mod_') ||
    name.startsWith('__se_sys') ||
    name.startsWith('__se_compat_sys') ||
    name.startsWith('__addressable_') ||
    name === 'linux_banner' ||
    name === 'vermagic'
  );
}

/** bloat-o-meter's normalisation: statics and clones get `.NUMBER` suffixes. */
export function bloatOMeterName(name: string): string {
  return name.replace(/\.[0-9]+/g, '');
}
