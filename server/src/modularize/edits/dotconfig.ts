/**
 * The `.config` step of "Modularize…": one option set to m. Only the line of
 * that option changes; what depends on it is left to `make olddefconfig`,
 * which knows the whole Kconfig tree and settles it the way the kernel does.
 */
import { EditResult, endOf, insert, replace, splitLines } from './text';

/**
 * `CONFIG_X=y` becomes `CONFIG_X=m`; `# CONFIG_X is not set` and a missing line
 * become `CONFIG_X=m` too (a new option). Already `=m`: no edit. The user runs
 * `make olddefconfig` afterwards, which settles what depends on the change.
 */
export function dotconfigSetModule(text: string, symbol: string): EditResult {
  const name = symbol.startsWith('CONFIG_') ? symbol : `CONFIG_${symbol}`;
  const lines = splitLines(text);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.startsWith(`${name}=`)) {
      const value = l.slice(name.length + 1).trim();
      if (value === 'm') return { edits: [] };
      if (value !== 'y') return { edits: [], problem: `${name}=${value} in .config is not a tristate value` };
      return { edits: [replace(i, 0, l.length, `${name}=m`)] };
    }
    if (l === `# ${name} is not set`) return { edits: [replace(i, 0, l.length, `${name}=m`)] };
  }
  const end = endOf(lines);
  return { edits: [insert(end.line, end.character, `${end.needsNewline ? '\n' : ''}${name}=m\n`)] };
}
