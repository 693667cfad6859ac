/**
 * The preprocessor conditionals that lenses and new-code diagnostics read
 * (kbuild/preproc.ts: enclosingConditionals, evaluate, isConfiguredOut),
 * against what the compiler did: on the Linux 6.1 fixture's own sources and
 * configuration, a function the code calls configured out has no symbol in its
 * object (`nm`), and a global function in branches it calls on has one; on a
 * small C file written here, `gcc -E` with `-D` options decides which nested
 * `#if`/`#elif`/`#else` branches survive, and the evaluator must say the same.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { configValue, KernelConfig, parseDotConfig } from '../server/src/kbuild/dotconfig';
import { enclosingConditionals, evaluate, isConfiguredOut } from '../server/src/kbuild/preproc';
import { FIXTURE, fixtureSkip, run, tempDir } from './helpers';

const DIRECTIVE = /^\s*#\s*(if|ifdef|ifndef|elif|else)\b/;

/** Tree-relative paths of the .c files under `dir` of the fixture that were compiled (their .o is there). */
function compiledSources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(FIXTURE, dir), { withFileTypes: true })) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...compiledSources(rel));
    else if (e.name.endsWith('.c') && existsSync(path.join(FIXTURE, rel.replace(/\.c$/, '.o')))) out.push(rel);
  }
  return out.sort();
}

interface Definition {
  name: string;
  /** Zero-based line of the name. */
  line: number;
  /** `static` or `inline` on the line or on the declaration line before it. */
  local: boolean;
}

/**
 * Function definitions found lexically, the kernel's way of writing them: a
 * line at column 0 that names the function before its parameters (the return
 * type on it or on the line before), after which a `{` comes before any `;`
 * (a prototype ends at its `;`), within a few lines. One-line stubs
 * (`void f(void) {}`) count. Annotations on lines of their own, before the
 * declaration (`__printf(1, 2)`) or after the declarator (`__acquires(x)`,
 * which follows a `)`), are left out.
 */
function definitions(lines: string[]): Definition[] {
  const out: Definition[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(?:[A-Za-z_]\w*[\s*]+)*\**([a-z_]\w*)\(/.exec(lines[i]);
    if (!m || /^(if|for|while|switch|return|sizeof)$/.test(m[1])) continue;
    // `__printf(1, 2)` alone on a line annotates the declaration on the next one.
    if (/^[^()]*\([^()]*(\([^()]*\)[^()]*)*\)\s*$/.test(lines[i]) && /^[A-Za-z_]/.test(lines[i + 1] ?? '')) continue;
    const rest = [lines[i].slice(m[0].length), ...lines.slice(i + 1, i + 12)].join('\n');
    const brace = rest.indexOf('{');
    const semi = rest.indexOf(';');
    if (brace < 0 || (semi >= 0 && semi < brace) || /\n#/.test(rest.slice(0, brace))) continue;
    const prev = i > 0 && !/^\s*$|[;}]\s*$|\*\/\s*$|^#/.test(lines[i - 1]) ? lines[i - 1] : '';
    if (/\)\s*$/.test(prev)) continue;
    out.push({ name: m[1], line: i, local: /\b(static|inline)\b/.test(`${prev} ${lines[i]}`) });
  }
  return out;
}

/**
 * What `nm --defined-only` says the objects define, in one run: object -> name
 * (clone suffixes such as `.constprop.0` stripped) -> whether some symbol of that name is global.
 */
function definedNames(objects: string[]): Map<string, Map<string, boolean>> {
  const out = new Map<string, Map<string, boolean>>(objects.map((o) => [o, new Map()]));
  for (const line of run('nm', ['-A', '--defined-only', ...objects], FIXTURE).split('\n')) {
    const m = /^([^:]+):[0-9a-f]*\s+(\S) (\S+)$/.exec(line);
    if (!m) continue;
    const names = out.get(m[1])!;
    const name = m[3].split('.')[0];
    names.set(name, (names.get(name) ?? false) || /[A-Z]/.test(m[2]));
  }
  return out;
}

describe('conditionals of the Linux 6.1 fixture sources, against their objects', { skip: fixtureSkip }, () => {
  let dotconfig: KernelConfig;
  let autoconf: KernelConfig;
  let sources: string[];
  let symbols: Map<string, Map<string, boolean>>;
  const valueOf = (name: string): string => configValue(autoconf, name);
  const objectOf = (source: string) => source.replace(/\.c$/, '.o');

  before(() => {
    sources = compiledSources('kernel');
    symbols = definedNames(sources.map(objectOf));
    dotconfig = parseDotConfig(readFileSync(path.join(FIXTURE, '.config'), 'utf8'), '.config');
    autoconf = parseDotConfig(readFileSync(path.join(FIXTURE, 'include/config/auto.conf'), 'utf8'), 'include/config/auto.conf');
  });

  test('.config and include/config/auto.conf give every bool and tristate the same value', () => {
    // auto.conf is what the compiler saw; .config is what the editor reads: they must agree for the evaluator's answers to be the build's.
    let compared = 0;
    for (const [name, v] of dotconfig.values) {
      if (v !== 'y' && v !== 'm') continue;
      assert.equal(configValue(autoconf, name), v, name);
      compared++;
    }
    for (const name of dotconfig.notSet) assert.equal(configValue(autoconf, name), 'n', name);
    assert.ok(compared > 100, `${compared} options compared`);
  });

  test('a function the config turns off has no symbol in its object; a global one in branches it keeps has one (kernel/**/*.c, nm)', () => {
    const files = sources;
    assert.ok(files.length > 50, `${files.length} compiled sources under kernel/`);
    const configuredOut: string[] = [];
    const kept: string[] = [];
    const wrong: string[] = [];
    for (const file of files) {
      const text = readFileSync(path.join(FIXTURE, file), 'utf8');
      const lines = text.split('\n');
      const at = enclosingConditionals(text);
      const defs = definitions(lines);
      const defined = symbols.get(objectOf(file))!;
      for (const d of defs) {
        const enclosing = at(d.line);
        const off = isConfiguredOut(enclosing, valueOf);
        if (off) {
          // What isConfiguredOut returns is one of the enclosing directives, and one that is false.
          assert.ok(enclosing.includes(off), `${file}:${d.line + 1}: the conditional returned encloses the line`);
          assert.ok(DIRECTIVE.test(lines[off.line]), `${file}:${off.line + 1} is an #if/#ifdef/#ifndef/#elif/#else line`);
          assert.equal(evaluate(off, valueOf), false);
          // The same name defined again in a branch that is kept (a stub under #else) has a symbol: no verdict on this line.
          if (defs.some((o) => o.name === d.name && !isConfiguredOut(at(o.line), valueOf))) continue;
          configuredOut.push(`${file}:${d.line + 1} ${d.name}`);
          if (defined.has(d.name)) wrong.push(`${file}:${d.line + 1}: ${d.name} is configured out (#if ${off.text}, line ${off.line + 1}) but ${objectOf(file)} defines it`);
        } else if (!d.local && enclosing.every((c) => evaluate(c, valueOf) === true)) {
          // Known to be compiled, and global: gcc must emit it (static or inline ones may be inlined away).
          kept.push(`${file}:${d.line + 1} ${d.name}`);
          if (!defined.has(d.name)) wrong.push(`${file}:${d.line + 1}: ${d.name} is in branches the config keeps (${enclosing.map((c) => c.text).join(' / ') || 'none'}) but ${objectOf(file)} has no symbol for it`);
        }
      }
    }
    assert.deepEqual(wrong, []);
    // The rule found real cases of both kinds, under real conditionals.
    assert.ok(configuredOut.length >= 100, `${configuredOut.length} configured-out functions checked`);
    assert.ok(kept.length >= 500, `${kept.length} kept functions checked`);
  });

  test('#else and #elif branches: of the definitions of one name, at most one is kept, and exactly one when the object has the symbol', () => {
    // The file compiled, so the preprocessor left at most one definition of each name (two would not compile);
    // a global symbol in the object was compiled from exactly one of them.
    let names = 0;
    const wrong: string[] = [];
    for (const file of sources) {
      const text = readFileSync(path.join(FIXTURE, file), 'utf8');
      const at = enclosingConditionals(text);
      const byName = new Map<string, Definition[]>();
      for (const d of definitions(text.split('\n'))) byName.set(d.name, [...(byName.get(d.name) ?? []), d]);
      const globals = new Set([...symbols.get(objectOf(file))!].filter(([, global]) => global).map(([name]) => name));
      for (const [name, defs] of byName) {
        if (defs.length < 2) continue;
        // Only where the config decides every definition's branches.
        const verdicts = defs.map((d) => (isConfiguredOut(at(d.line), valueOf) ? 'off' : at(d.line).every((c) => evaluate(c, valueOf) === true) ? 'on' : 'unknown'));
        if (verdicts.includes('unknown')) continue;
        names++;
        const on = verdicts.filter((v) => v === 'on').length;
        if (on > 1 || (globals.has(name) && on !== 1)) wrong.push(`${file}: ${name}${globals.has(name) ? ' (global in the object)' : ''} at lines ${defs.map((d, i) => `${d.line + 1} (${verdicts[i]})`).join(', ')}`);
      }
    }
    assert.deepEqual(wrong, []);
    assert.ok(names >= 20, `${names} names defined in more than one branch`);
  });

  test('#ifdef of an option set to m is false in the kernel (autoconf.h defines CONFIG_X_MODULE, not CONFIG_X)', {
  }, () => {
    const autoconfH = readFileSync(path.join(FIXTURE, 'include/generated/autoconf.h'), 'utf8');
    const vmlinuxFunctions = new Set(run('readelf', ['-sW', path.join(FIXTURE, 'vmlinux')]).split('\n').flatMap((l) => {
      const f = l.trim().split(/\s+/);
      return f.length >= 8 && f[3] === 'FUNC' && f[4] === 'GLOBAL' ? [f[7]] : [];
    }));
    const members = run('ar', ['t', 'vmlinux.a'], FIXTURE).split('\n').filter((o) => o.endsWith('.o'));
    let found = 0;
    let evidenced = 0;
    const claimedOn: string[] = [];
    for (const object of members) {
      const source = object.replace(/\.o$/, '.c');
      if (!existsSync(path.join(FIXTURE, source))) continue;
      const text = readFileSync(path.join(FIXTURE, source), 'utf8');
      const lines = text.split('\n');
      const at = enclosingConditionals(text);
      for (let i = 0; i < lines.length; i++) {
        const m = /^\s*#\s*(?:ifdef\s+(CONFIG_\w+)|if\s+defined\s*\(?\s*(CONFIG_\w+)\s*\)?\s*$)/.exec(lines[i]);
        const symbol = m?.[1] ?? m?.[2];
        if (!symbol || valueOf(symbol) !== 'm') continue;
        found++;
        // What the compiler saw: the module macro only.
        assert.match(autoconfH, new RegExp(`^#define ${symbol}_MODULE 1$`, 'm'));
        assert.doesNotMatch(autoconfH, new RegExp(`^#define ${symbol} `, 'm'));
        // What the object shows: no call from the branch to a function vmlinux defines was compiled.
        const end = lines.findIndex((l, j) => j > i && /^\s*#\s*(else|elif|endif)\b/.test(l));
        const called = new Set([...lines.slice(i + 1, end).join('\n').matchAll(/\b([a-z_]\w*)\s*\(/g)].map((c) => c[1]).filter((n) => vmlinuxFunctions.has(n)));
        const undefinedThere = new Set(run('nm', ['-u', path.join(FIXTURE, object)]).split('\n').map((l) => l.trim().split(/\s+/).pop()));
        for (const n of called) assert.ok(!undefinedThere.has(n), `${object} references ${n}, called under #ifdef ${symbol}`);
        if (called.size) evidenced++;
        if (!isConfiguredOut(at(i + 1), valueOf)) claimedOn.push(`${source}:${i + 2}, under #ifdef ${symbol} (=m), is taken to be compiled`);
      }
    }
    assert.ok(found > 0, 'the fixture has an #ifdef of an option set to m in built-in code');
    assert.ok(evidenced > 0, 'and its object shows that a call under it was not compiled');
    assert.deepEqual(claimedOn, []);
  });
});

/**
 * include/linux/kconfig.h of Linux 6.1: IS_ENABLED() and friends as the kernel
 * defines them, so that gcc evaluates the same forms the kernel's sources use.
 */
const KCONFIG_H = `
#define __ARG_PLACEHOLDER_1 0,
#define __take_second_arg(__ignored, val, ...) val
#define __and(x, y)			___and(x, y)
#define ___and(x, y)			____and(__ARG_PLACEHOLDER_##x, y)
#define ____and(arg1_or_junk, y)	__take_second_arg(arg1_or_junk y, 0)
#define __or(x, y)			___or(x, y)
#define ___or(x, y)			____or(__ARG_PLACEHOLDER_##x, y)
#define ____or(arg1_or_junk, y)		__take_second_arg(arg1_or_junk 1, y)
#define __is_defined(x)			___is_defined(x)
#define ___is_defined(val)		____is_defined(__ARG_PLACEHOLDER_##val)
#define ____is_defined(arg1_or_junk)	__take_second_arg(arg1_or_junk 1, 0)
#define IS_BUILTIN(option) __is_defined(option)
#define IS_MODULE(option) __is_defined(option##_MODULE)
#define IS_REACHABLE(option) __or(IS_BUILTIN(option), __and(IS_MODULE(option), __is_defined(MODULE)))
#define IS_ENABLED(option) __or(IS_BUILTIN(option), IS_MODULE(option))
`;

/** Nested conditionals in the forms preproc.ts says it evaluates; every `int mark_N;` line is one verdict. */
const NESTED_C = `
#ifdef CONFIG_A
int mark_1;
#ifndef CONFIG_B
int mark_2;
#else /* B */
int mark_3;
#endif
#elif IS_ENABLED(CONFIG_B) && !defined(CONFIG_C)
int mark_4;
#elif defined CONFIG_C || IS_BUILTIN(CONFIG_B)
int mark_5;
#else
int mark_6;
#if IS_MODULE(CONFIG_A) || !IS_ENABLED(CONFIG_C)
int mark_7;
#endif
#endif
#if IS_ENABLED(CONFIG_A) || (defined(CONFIG_B) && !IS_BUILTIN(CONFIG_A))
int mark_8;
#  if !IS_ENABLED(CONFIG_C) // a comment after the condition
int mark_9;
#  elif (IS_BUILTIN(CONFIG_C) && defined(CONFIG_A))
int mark_10;
#  else
int mark_11;
#  endif
#endif
#if 0
int mark_12;
#else
int mark_13;
#endif
#if defined(CONFIG_A) && defined(CONFIG_B) && defined(CONFIG_C)
int mark_14;
#elif !(defined(CONFIG_A) || defined(CONFIG_B) || defined(CONFIG_C))
int mark_15;
#endif
/* #if 0 in a comment opens nothing
int mark_16;
#endif */
int mark_17;
`;

/** The markers' lines and gcc's and the evaluator's verdicts on them. */
function verdicts(dir: string, source: string, gccArgs: string[], valueOf: (s: string) => string) {
  const file = path.join(dir, 'conditionals.c');
  writeFileSync(file, source);
  const out = run('gcc', ['-E', '-P', ...gccArgs, file]);
  const compiled = new Set([...out.matchAll(/\bmark_(\d+)\b/g)].map((m) => Number(m[1])));
  const lines = source.split('\n');
  const at = enclosingConditionals(source);
  const result: { mark: number; line: number; gcc: boolean; ours: boolean | undefined; enclosing: string[] }[] = [];
  lines.forEach((l, i) => {
    const m = /^int mark_(\d+);$/.exec(l);
    if (!m) return;
    const enclosing = at(i);
    const values = enclosing.map((c) => evaluate(c, valueOf));
    const ours = isConfiguredOut(enclosing, valueOf) ? false : values.every((v) => v === true) ? true : undefined;
    result.push({ mark: Number(m[1]), line: i, gcc: compiled.has(Number(m[1])), ours, enclosing: enclosing.map((c) => c.text) });
  });
  return result;
}

describe('nested conditionals against gcc -E', () => {
  let dir: string;
  before(() => {
    dir = tempDir('preproc');
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('every y/n combination of three options: the evaluator decides each branch as gcc does', () => {
    const source = KCONFIG_H + NESTED_C;
    const symbols = ['CONFIG_A', 'CONFIG_B', 'CONFIG_C'];
    const seen = new Set<string>();
    for (let combo = 0; combo < 8; combo++) {
      const values = new Map(symbols.map((s, i) => [s, combo & (1 << i) ? 'y' : 'n']));
      // Kconfig's autoconf.h writes `#define CONFIG_X 1` for y and nothing for n.
      const defines = symbols.filter((s) => values.get(s) === 'y').map((s) => `-D${s}=1`);
      const rows = verdicts(dir, source, defines, (s) => values.get(s) ?? 'n');
      assert.equal(rows.length, 17);
      for (const r of rows) {
        // mark_16 is comment text, not code: only what follows it (mark_17, under no conditional) says the comment's #if opened nothing.
        if (r.mark === 16) continue;
        const what = `mark_${r.mark} with ${defines.join(' ') || 'nothing defined'} under ${JSON.stringify(r.enclosing)}`;
        assert.notEqual(r.ours, undefined, `${what}: every form here is one the evaluator decides`);
        assert.equal(r.ours, r.gcc, what);
        seen.add(`${r.mark}:${r.gcc}`);
      }
    }
    // The combinations reach both verdicts for every marker that can have both (12 and the comment never, 13 and 17 always).
    for (let mark = 1; mark <= 17; mark++) {
      if ([12, 16].includes(mark)) assert.ok(!seen.has(`${mark}:true`), `mark_${mark} is never compiled`);
      else if ([13, 17].includes(mark)) assert.ok(!seen.has(`${mark}:false`), `mark_${mark} is always compiled`);
      else assert.ok(seen.has(`${mark}:true`) && seen.has(`${mark}:false`), `mark_${mark} is compiled in some combinations and not in others`);
    }
  });

  test('conditions the evaluator cannot decide stay unknown and never turn code off', () => {
    const source = `${KCONFIG_H}
#if CONFIG_NR > 2
int mark_1;
#endif
#ifdef MODULE
int mark_2;
#else
int mark_3;
#endif
#if defined(CONFIG_A) && __GNUC__ >= 4
int mark_4;
#endif
#if defined(CONFIG_A) || \\
    defined(CONFIG_B)
int mark_5;
#endif
`;
    // CONFIG_A on, CONFIG_B off, CONFIG_NR=4: gcc keeps 1, 3, 4 and 5.
    const values = new Map([['CONFIG_A', 'y'], ['CONFIG_NR', '4']]);
    const rows = verdicts(dir, source, ['-DCONFIG_A=1', '-DCONFIG_NR=4'], (s) => values.get(s) ?? 'n');
    assert.deepEqual(rows.map((r) => [r.mark, r.gcc]), [[1, true], [2, false], [3, true], [4, true], [5, true]]);
    for (const r of rows) {
      // Unknown is allowed; a wrong answer is not.
      if (r.ours !== undefined) assert.equal(r.ours, r.gcc, `mark_${r.mark} under ${JSON.stringify(r.enclosing)}`);
    }
    // With CONFIG_A off the first line of a continued condition alone decides nothing: unknown, not off.
    const off = verdicts(dir, source, ['-DCONFIG_B=1', '-DCONFIG_NR=4'], (s) => (s === 'CONFIG_B' ? 'y' : s === 'CONFIG_NR' ? '4' : 'n'));
    const five = off.find((r) => r.mark === 5)!;
    assert.equal(five.gcc, true);
    assert.notEqual(five.ours, false, 'a condition continued on the next line is not judged on its first line');
  });

  test('options set to m and non-bool options, with the fixture\'s own autoconf.h', {
    skip: fixtureSkip,
  }, () => {
    const autoconf = parseDotConfig(readFileSync(path.join(FIXTURE, 'include/config/auto.conf'), 'utf8'));
    const valueOf = (s: string) => configValue(autoconf, s);
    const pick = (re: RegExp) => [...autoconf.values].find(([, v]) => re.test(v))![0];
    const m = pick(/^m$/);
    const int = pick(/^[1-9]\d+$/);
    const forms = (s: string) => [`defined(${s})`, `!defined(${s})`, `IS_ENABLED(${s})`, `IS_BUILTIN(${s})`, `IS_MODULE(${s})`, `IS_REACHABLE(${s})`, `!IS_ENABLED(${s})`];
    const cases = [...forms(m), ...forms(int)];
    let source = KCONFIG_H;
    cases.forEach((c, i) => (source += `#if ${c}\nint mark_${i + 1};\n#endif\n`));
    source += `#ifdef ${m}\nint mark_${cases.length + 1};\n#endif\n#ifndef ${m}\nint mark_${cases.length + 2};\n#endif\n`;
    const rows = verdicts(dir, source, ['-include', path.join(FIXTURE, 'include/generated/autoconf.h')], valueOf);
    const wrong = rows.filter((r) => r.ours !== undefined && r.ours !== r.gcc).map((r) => `${r.enclosing.join(' / ')}: gcc ${r.gcc}, evaluator ${r.ours}`);
    assert.deepEqual(wrong, []);
  });
});
