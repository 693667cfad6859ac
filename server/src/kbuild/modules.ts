/**
 * Readers for the module lists a build leaves at its top: `modules.order` (the
 * loadable modules), the per-module `*.mod` files (each module's objects) and
 * `modules.builtin` (tristate modules that were built into vmlinux).
 */

/**
 * Top-level folders of a kernel tree. An old-style `kernel/` prefix is only
 * stripped when what follows starts with one of them, so that a new-style entry
 * for a module that lives in `kernel/` (e.g. `kernel/configs.ko`) keeps its path.
 */
const TOP_DIRS = new Set([
  'arch', 'block', 'certs', 'crypto', 'drivers', 'firmware', 'fs', 'init', 'io_uring', 'ipc', 'kernel',
  'lib', 'mm', 'net', 'rust', 'samples', 'security', 'sound', 'usr', 'virt',
]);

function entries(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    out.push(line.replace(/^\.\//, ''));
  }
  return out;
}

function stripKernelPrefix(p: string): string | undefined {
  if (!p.startsWith('kernel/')) return undefined;
  const rest = p.slice('kernel/'.length);
  const first = rest.split('/')[0];
  return rest.includes('/') && TOP_DIRS.has(first) ? rest : undefined;
}

/** `.o` (Linux >= 6.2) or `.ko` -> build-relative `.ko`. */
function toKo(p: string): string {
  return p.endsWith('.o') ? p.slice(0, -2) + '.ko' : p;
}

/**
 * The `.ko` paths of `modules.order`, relative to the build folder. Old kernels
 * wrote `kernel/fs/ext2/ext2.ko` (the install path); Linux >= 6.2 writes
 * `fs/ext2/ext2.o`. The prefix is dropped only when every entry carries it,
 * since in the new style it cannot appear on all of them unless all modules
 * happen to live in `kernel/`, which the TOP_DIRS check also catches.
 */
export function parseModulesOrder(text: string): string[] {
  const list = entries(text);
  const stripped = list.map(stripKernelPrefix);
  const allPrefixed = list.length > 0 && stripped.every((s) => s !== undefined);
  const out = list.map((p, i) => toKo(allPrefixed ? stripped[i]! : p));
  return [...new Set(out)];
}

/** The objects of one module, from its `*.mod` file (old ones begin with the `.ko` line, which is skipped). */
export function parseModFile(text: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const tok of text.split(/\s+/)) {
    const p = tok.replace(/^\.\//, '');
    if (!p.endsWith('.o') || seen.has(p)) continue;
    seen.add(p);
    out.push(p);
  }
  return out;
}

/** The `.ko` paths of `modules.builtin`, relative to the build folder (the `kernel/` install prefix removed). */
export function parseModulesBuiltin(text: string): string[] {
  const out = entries(text).map((p) => toKo(p.startsWith('kernel/') ? p.slice('kernel/'.length) : p));
  return [...new Set(out)];
}
