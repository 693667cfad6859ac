/**
 * The C source step of "Modularize…": what a file needs to be built as (part
 * of) a module — `#include <linux/module.h>`, `module_init` for a late enough
 * built-in initcall, `MODULE_LICENSE` and `MODULE_DESCRIPTION`. The file is
 * searched as text with comments and literals blanked by the one C blanker,
 * not parsed: the macros looked for are line-shaped, and a half-edited file
 * the parser would give up on still gets the right edits.
 */
import { blankCommentsAndStrings } from '../../c/blank';
import { EditResult, endOf, insert, replace, splitLines, TextEdit } from './text';

/** `MODULE_LICENSE` strings the kernel accepts, from the file's SPDX line. */
export function moduleLicenseFor(text: string): string {
  const spdx = /SPDX-License-Identifier:\s*([^\n*]*)/.exec(text.slice(0, 2000))?.[1].trim() ?? '';
  const dual = /\bOR\b/i.test(spdx) || /\//.test(spdx);
  if (/GPL/.test(spdx) && dual) {
    if (/\bMIT\b/.test(spdx)) return 'Dual MIT/GPL';
    if (/BSD/.test(spdx)) return 'Dual BSD/GPL';
    if (/MPL/.test(spdx)) return 'Dual MPL/GPL';
  }
  // Everything in the kernel is under GPL-2.0 as a whole (COPYING), whatever else a file adds.
  return 'GPL';
}

/** Built-in initcall levels whose module form is `module_init` at the same place in the boot (device level and later). */
const MODULE_INIT_LEVELS = /^(device_initcall|__initcall|late_initcall|late_initcall_sync|device_initcall_sync)$/;

export interface ModuleSourceNeeds {
  /** For MODULE_DESCRIPTION: usually the Kconfig prompt. */
  description: string;
}

export interface ModuleSourceEdits extends EditResult {
  /** What the user still has to do by hand, in sentences. */
  notes: string[];
}

/**
 * What a C file needs to be built as (part of) a module when it lacks it:
 * `#include <linux/module.h>`, `module_init` in place of a device-level or
 * later built-in initcall, `module_<bus>_driver` for `builtin_<bus>_driver`,
 * `MODULE_LICENSE` and `MODULE_DESCRIPTION`. No `module_exit` is invented:
 * what an exit function must undo is the author's to write, and a module
 * without one simply cannot be unloaded, which is safe.
 */
export function cSourceModuleEdits(text: string, needs: ModuleSourceNeeds): ModuleSourceEdits {
  const code = blankCommentsAndStrings(text);
  const lines = splitLines(text);
  const codeLines = splitLines(code);
  const edits: TextEdit[] = [];
  const notes: string[] = [];
  const has = (re: RegExp) => re.test(code);

  let hasInit = has(/\bmodule_init\s*\(/) || has(/\bmodule_\w+_driver\s*\(/);
  for (let i = 0; i < codeLines.length; i++) {
    const l = codeLines[i];
    const ic = /^(\s*)(\w+)(\s*\(\s*\w+\s*\)\s*;)/.exec(l);
    if (ic && /_initcall(_sync)?$|^__initcall$/.test(ic[2])) {
      if (MODULE_INIT_LEVELS.test(ic[2]) && !hasInit) {
        edits.push(replace(i, ic[1].length, ic[1].length + ic[2].length, 'module_init'));
        hasInit = true;
      } else if (!MODULE_INIT_LEVELS.test(ic[2])) {
        notes.push(`line ${i + 1}: ${ic[2]}() runs earlier in the boot than any module can load; as a module it runs at load time instead`);
      }
      continue;
    }
    const drv = /\bbuiltin_(\w+_driver(?:_probe)?)\s*\(/.exec(l);
    if (drv) {
      edits.push(replace(i, drv.index, drv.index + 'builtin_'.length + drv[1].length, `module_${drv[1]}`));
      hasInit = true;
    }
  }
  if (!has(/\bmodule_exit\s*\(/) && !has(/\bmodule_\w+_driver\s*\(/) && hasInit) {
    notes.push('no module_exit(): the module cannot be unloaded until one undoes what its init did');
  }

  if (!/^\s*#\s*include\s*<linux\/module\.h>/m.test(code)) {
    let lastInclude = -1;
    for (let i = 0; i < codeLines.length; i++) if (/^\s*#\s*include\s*[<"]/.test(codeLines[i])) lastInclude = i;
    // With no include at all, after the leading comment block (the SPDX line and the file's header).
    let after = lastInclude;
    if (after < 0) {
      after = -1;
      for (let i = 0; i < codeLines.length && codeLines[i].trim() === ''; i++) after = i;
    }
    edits.push(insert(after + 1, 0, '#include <linux/module.h>\n'));
  }

  const tail: string[] = [];
  if (!has(/\bMODULE_LICENSE\s*\(/)) tail.push(`MODULE_LICENSE(${JSON.stringify(moduleLicenseFor(text))});`);
  if (!has(/\bMODULE_DESCRIPTION\s*\(/)) tail.push(`MODULE_DESCRIPTION(${JSON.stringify(needs.description)});`);
  if (tail.length) {
    const end = endOf(lines);
    edits.push(insert(end.line, end.character, `${end.needsNewline ? '\n' : ''}\n${tail.join('\n')}\n`));
  }
  return { edits, notes };
}
