/**
 * Reader for a kernel configuration as Kconfig writes it: `.config` and
 * `include/config/auto.conf` share one format (`CONFIG_X=value` lines and
 * `# CONFIG_X is not set` comments), so one parser serves both.
 */
import { KbloatInputError } from '../common/errors';

export interface KernelConfig {
  /**
   * 'CONFIG_X' -> the value exactly as written: 'y', 'm', '"str"' (quotes and escapes kept), '123', '0x10';
   * strings in an auto.conf of Linux >= 5.16 come without quotes.
   */
  values: Map<string, string>;
  /** Symbols written as `# CONFIG_X is not set`. */
  notSet: Set<string>;
  /** Lines that were neither an assignment nor a comment (Kconfig ignores them too); at most MAX_WARNINGS. */
  warnings?: string[];
}

const MAX_WARNINGS = 20;
const ASSIGN = /^([A-Za-z0-9_]+)=(.*)$/;
const NOT_SET = /^#\s*([A-Za-z0-9_]+) is not set\s*$/;

export function parseDotConfig(text: string, file?: string): KernelConfig {
  // A NUL byte means this is not a text file at all (a vmlinux picked by mistake, say).
  if (text.includes('\0')) throw new KbloatInputError('bad-config', 'is not a text file (it contains NUL bytes)', file);
  const values = new Map<string, string>();
  const notSet = new Set<string>();
  const warnings: string[] = [];
  let bad = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    const trimmed = line.trim();
    if (trimmed === '') continue;
    if (trimmed.startsWith('#')) {
      const m = NOT_SET.exec(trimmed);
      if (m) {
        // The last mention of a symbol wins, as when Kconfig reads the file.
        values.delete(m[1]);
        notSet.add(m[1]);
      }
      continue;
    }
    const m = ASSIGN.exec(trimmed);
    if (m && validValue(m[2].trim())) {
      notSet.delete(m[1]);
      values.set(m[1], m[2].trim());
      continue;
    }
    bad++;
    if (warnings.length < MAX_WARNINGS) warnings.push(`line ${i + 1}: not a configuration line: ${JSON.stringify(trimmed.slice(0, 80))}`);
  }
  // A file with no assignment at all but with other text is something else (a Makefile, a log):
  // reading it as an empty configuration would silently turn every option off.
  if (values.size === 0 && notSet.size === 0 && bad > 0) {
    throw new KbloatInputError('bad-config', `is not a kernel configuration (${warnings[0]})`, file);
  }
  const cfg: KernelConfig = { values, notSet };
  if (warnings.length) cfg.warnings = warnings;
  return cfg;
}

/**
 * A value is valid unless it opens a quote it never closes (escaped quotes do not
 * close it). Unquoted values may hold spaces: from Linux 5.16 on, auto.conf writes
 * strings without quotes (`CONFIG_CC_VERSION_TEXT=gcc (Debian 12.2.0) 12.2.0`).
 */
function validValue(v: string): boolean {
  if (!v.startsWith('"')) return true;
  let i = 1;
  while (i < v.length) {
    const c = v[i];
    if (c === '\\') i += 2;
    else if (c === '"') return i === v.length - 1;
    else i++;
  }
  return false;
}

/**
 * The value of a symbol: 'y', 'm', the raw string/number, or 'n' when the symbol is
 * not set or absent (Kconfig treats both the same way). A name without the
 * `CONFIG_` prefix is looked up with it.
 */
export function configValue(cfg: KernelConfig, name: string): string {
  let v = cfg.values.get(name);
  if (v === undefined && !name.startsWith('CONFIG_')) v = cfg.values.get('CONFIG_' + name);
  return v === undefined ? 'n' : v;
}

/** The text of a string option without its quotes and escapes (`"a\"b"` -> `a"b`); other values unchanged. */
export function unquoteConfigString(v: string): string {
  if (v.length < 2 || !v.startsWith('"') || !v.endsWith('"')) return v;
  return v.slice(1, -1).replace(/\\(.)/g, '$1');
}
