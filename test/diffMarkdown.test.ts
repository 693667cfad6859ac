/**
 * `kbloat diff --format markdown`, the pull request comment, read back with
 * markdown-it (CommonMark with GFM tables, HTML allowed as on GitHub): every
 * table line is a row of a table with as many cells as its header, the
 * `<details>` blocks balance, the headline's figures are readelf's (allocated
 * sections, and the __init_begin..__init_end region that nm locates), every
 * list's rows shown, folded and counted as left out add up to the rows of the
 * diff's JSON, and names with `|`, backticks and HTML read back as written.
 * Two real builds of the mini tree (the second changed as in diff.test.ts), and
 * the hard case: the Linux 6.1 fixture against a mini build, where nearly
 * everything differs and the comment must be cut to GitHub's 65,536 characters.
 * The CLI is run from its sources (tsx), not from dist/.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import MarkdownIt from 'markdown-it';
import { formatDiffMarkdown, GITHUB_COMMENT_LIMIT } from '../server/src/render/diffMarkdown';
import type { BuildDiff, SymbolChange } from '../server/src/tracker/diff';
import { FIXTURE, fixtureSkip, readelfSections, REPO, run, tempDir } from './helpers';
import { buildMiniKernel, cleanupMiniBuild, MiniBuild } from './minikernel';
import { mutate } from './miniChanges';

type Token = ReturnType<MarkdownIt['parse']>[number];

/** The CLI from its sources, with a cache of its own. */
function kbloat(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO, 'server/src/bin/cli.ts'), ...args], {
    cwd: REPO,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: { ...process.env, KBLOAT_CACHE_DIR: tempDir('cache') },
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}


interface Table {
  /** Source line of the header (zero-based). */
  line: number;
  header: string[];
  rows: string[][];
}

/** The rows of one list of the comment: in its open table, folded in its details block, and counted as left out. */
interface Group {
  heading?: string;
  noun?: string;
  open: number;
  /** The count in the details' summary. */
  summary?: number;
  folded: number;
  leftOut: number;
  tables: Table[];
}

interface Comment {
  tokens: Token[];
  tables: Table[];
  /** The headline table and the table of section classes. */
  headline: Table;
  classes?: Table;
  groups: Group[];
}

const md = new MarkdownIt({ html: true });

/** What a cell reads: its text and code spans, markup left out. */
function cellText(inline: Token): string {
  return (inline.children ?? []).filter((t) => t.type === 'text' || t.type === 'code_inline').map((t) => t.content).join('');
}

/** The cells of a table source line as a GFM renderer splits it (a `|` after a backslash does not split). */
function rawCells(line: string): number {
  let pipes = 0;
  for (let i = 0; i < line.length; i++) if (line[i] === '|' && line[i - 1] !== '\\') pipes++;
  return pipes - 1;
}

/** Parses the comment and checks its structure; returns its tables and lists. */
function readComment(text: string): Comment {
  const tokens = md.parse(text, {});
  const lines = text.split('\n');
  const tables: Table[] = [];
  const groups: Group[] = [];
  const tableLines = new Set<number>();
  let table: Table | undefined;
  let row: string[] | undefined;
  let rowSource = '';
  let inHead = false;
  let inDetails = false;
  let classesDetails = false;
  let group: Group | undefined;
  let headline: Table | undefined;
  let classes: Table | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    for (const x of t.children ?? []) if (x.type === 'html_inline') assert.match(x.content, /^<\/?code>$/, 'no inline HTML but <code>');
    if (t.type === 'table_open') {
      table = { line: t.map![0], header: [], rows: [] };
      for (let l = t.map![0]; l < t.map![1]; l++) tableLines.add(l);
    } else if (t.type === 'thead_open') inHead = true;
    else if (t.type === 'thead_close') inHead = false;
    else if (t.type === 'tr_open') {
      row = [];
      rowSource = lines[t.map![0]];
      assert.ok(rowSource.startsWith('|') && rowSource.endsWith('|'), `line ${t.map![0] + 1} is a table row: ${rowSource}`);
    } else if ((t.type === 'th_open' || t.type === 'td_open') && row) row.push(cellText(tokens[i + 1]));
    else if (t.type === 'tr_close' && table && row) {
      if (inHead) table.header = row;
      else {
        assert.equal(row.length, table.header.length, `a row of the table at line ${table.line + 1} has the header's cells`);
        table.rows.push(row);
      }
      assert.equal(rawCells(rowSource), table.header.length, `line "${rowSource}" has ${table.header.length} cells`);
      row = undefined;
    } else if (t.type === 'table_close' && table) {
      tables.push(table);
      if (!headline) headline = table;
      else if (classesDetails) classes = table;
      else if (group) {
        group.tables.push(table);
        if (inDetails) group.folded += table.rows.length;
        else group.open += table.rows.length;
      } else assert.fail(`a table outside any list, at line ${table.line + 1}`);
      table = undefined;
    } else if (t.type === 'heading_open' && t.tag === 'h4') {
      groups.push((group = { heading: tokens[i + 1].content, open: 0, folded: 0, leftOut: 0, tables: [] }));
    } else if (t.type === 'html_block') {
      const c = t.content.trim();
      if (c === '</details>') {
        assert.ok(inDetails || classesDetails, '</details> closes a <details>');
        inDetails = classesDetails = false;
        continue;
      }
      const m = /^<details>\n<summary>(.*)<\/summary>$/.exec(c);
      assert.ok(m, `the only HTML blocks are details: ${c}`);
      assert.ok(!inDetails && !classesDetails, 'details are not nested');
      if (m[1] === 'By section class') {
        classesDetails = true;
        continue;
      }
      inDetails = true;
      const s = /^([\d,]+) (more )?(.+)$/.exec(m[1]);
      assert.ok(s, `a summary that counts: ${m[1]}`);
      const n = Number(s[1].replace(/,/g, ''));
      if (s[2]) {
        assert.ok(group && group.summary === undefined, `"${m[1]}" follows an open table`);
        group.summary = n;
        group.noun = s[3];
      } else groups.push((group = { noun: s[3], open: 0, summary: n, folded: 0, leftOut: 0, tables: [] }));
    } else if (t.type === 'inline' && tokens[i - 1]?.type === 'paragraph_open') {
      const m = /^([\d,]+) more (.+) left out to keep this comment within GitHub's length limit/.exec(cellText(t));
      if (m) {
        assert.ok(group, 'rows left out of a list');
        const n = Number(m[1].replace(/,/g, ''));
        const own = group.noun ?? (group.heading !== undefined ? HEADINGS[group.heading] : undefined);
        // A list shown only folded, with no room for a row, is only this line.
        if (!inDetails && own !== m[2]) groups.push((group = { noun: m[2], open: 0, summary: n, folded: 0, leftOut: 0, tables: [] }));
        else assert.equal(own, m[2], `the line counting ${m[2]} is under their list`);
        group.leftOut = n;
        group.noun = m[2];
      }
    }
  }
  assert.ok(!inDetails && !classesDetails, 'the last <details> is closed');
  // Every line that looks like a table row is in a table; <details> and </details> balance, line by line.
  lines.forEach((l, i) => {
    if (l.startsWith('|')) assert.ok(tableLines.has(i), `line ${i + 1} is in a table: ${l}`);
  });
  let depth = 0;
  for (const l of lines) {
    if (l === '<details>') depth++;
    if (l === '</details>') depth--;
    assert.ok(depth === 0 || depth === 1, 'details balance and do not nest');
  }
  assert.equal(depth, 0);
  assert.equal(text.split('<details>').length, text.split('</details>').length, 'as many <details> as </details>');
  assert.ok(headline, 'a headline table');
  return { tokens, tables, headline, classes, groups };
}

/** `+4,160 B` → 4160. */
function bytesOf(cell: string): number {
  const m = /^([+-]?)([\d,]+) B$/.exec(cell);
  assert.ok(m, `exact bytes: ${cell}`);
  return (m[1] === '-' ? -1 : 1) * Number(m[2].replace(/,/g, ''));
}

/** readelf's image (allocated sections) and init (the allocated sections between __init_begin and __init_end, located by nm). */
function elfTotals(vmlinux: string): { image: number; init: number } {
  const syms = new Map<string, bigint>();
  for (const line of run('nm', [vmlinux]).split('\n')) {
    const m = /^([0-9a-f]+) \S (__init_(?:begin|end))$/.exec(line);
    if (m) syms.set(m[2], BigInt('0x' + m[1]));
  }
  const begin = syms.get('__init_begin');
  const end = syms.get('__init_end');
  assert.ok(begin !== undefined && end !== undefined, `__init_begin and __init_end in ${vmlinux}`);
  const alloc = readelfSections(vmlinux).filter((s) => s.flags.includes('A') && s.size > 0);
  return {
    image: alloc.reduce((a, s) => a + s.size, 0),
    init: alloc.filter((s) => s.addr >= begin && s.addr + BigInt(s.size) <= end).reduce((a, s) => a + s.size, 0),
  };
}

/** The headline's image, resident and init rows are readelf's figures; the percentages are the deltas over the old sizes. */
function checkHeadline(c: Comment, oldElf: string, newElf: string): void {
  const h = c.headline;
  assert.deepEqual(h.header, ['', 'old', 'new', 'delta', '%']);
  assert.deepEqual(h.rows.map((r) => r[0]), ['image', 'resident', 'init']);
  const a = elfTotals(oldElf);
  const b = elfTotals(newElf);
  const expected: Record<string, [number, number]> = { image: [a.image, b.image], resident: [a.image - a.init, b.image - b.init], init: [a.init, b.init] };
  for (const r of h.rows) {
    const [o, n] = expected[r[0]];
    assert.deepEqual([bytesOf(r[1]), bytesOf(r[2]), bytesOf(r[3])], [o, n, n - o], r[0]);
    if (n === o) assert.equal(r[4], '0%');
    else {
      const pct = (100 * (n - o)) / o;
      const shown = Number(r[4].replace(/%$/, ''));
      assert.ok(Math.abs(shown - pct) <= 0.05 + Math.abs(pct) * 0.01, `${r[0]}: ${r[4]} is ${pct}%`);
    }
  }
  // The section classes add up to the image.
  assert.ok(c.classes, 'the table of section classes');
  for (const [col, total] of [[1, a.image], [2, b.image]] as const) assert.equal(c.classes.rows.reduce((s, r) => s + bytesOf(r[col]), 0), total);
}

/** The rows each list of the comment stands for, from the diff's JSON. */
function expectedLists(j: BuildDiff): Map<string, number> {
  const kinds = (list: SymbolChange[], ks: string[]): number => list.filter((c) => ks.includes(c.kind)).length;
  const m = new Map<string, number>([
    ['.config changes', j.configChanges.length],
    ['directories', j.dirs.length],
    ['files', j.files.length],
    ['Kconfig symbols', j.configs.length],
  ]);
  for (const [what, list] of [['functions', j.functions], ['variables', j.variables]] as const) {
    m.set(`${what} added or grown`, kinds(list, ['added', 'grown']));
    m.set(`${what} removed or shrunk`, kinds(list, ['removed', 'shrunk']));
    m.set(`${what} renamed, moved or with other clones`, kinds(list, ['renamed', 'moved', 'clones']));
  }
  return m;
}

const HEADINGS: Record<string, string> = {
  '`.config` changes': '.config changes',
  'Largest movers by directory': 'directories',
  'Largest movers by file': 'files',
  'Largest movers by Kconfig symbol': 'Kconfig symbols',
  'Functions added or grown': 'functions added or grown',
  'Functions removed or shrunk': 'functions removed or shrunk',
  'Variables added or grown': 'variables added or grown',
  'Variables removed or shrunk': 'variables removed or shrunk',
};

/** Every list: open rows (at most `top`), folded rows and rows left out add up to the diff's; every non-empty list is there. */
function checkLists(c: Comment, j: BuildDiff, top: number): void {
  const expected = expectedLists(j);
  const seen = new Set<string>();
  for (const g of c.groups) {
    const noun = g.heading !== undefined ? HEADINGS[g.heading] : g.noun;
    assert.ok(noun !== undefined && expected.has(noun), `a known list: ${g.heading ?? g.noun}`);
    if (g.noun !== undefined) assert.equal(g.noun.replace(/^(function|variable) /, '$1s '), noun);
    seen.add(noun);
    const total = expected.get(noun)!;
    assert.ok(g.open <= top, `${noun}: at most ${top} rows open`);
    if (g.summary !== undefined) assert.equal(g.summary, total - g.open, `${noun}: the summary counts the rows not open`);
    assert.equal(g.open + g.folded + g.leftOut, total, `${noun}: ${g.open} open + ${g.folded} folded + ${g.leftOut} left out`);
  }
  for (const [noun, n] of expected) if (n > 0) assert.ok(seen.has(noun), `the list of ${noun} is in the comment`);
}

let oldBuild: MiniBuild;
let newBuild: MiniBuild;
let pairJson: BuildDiff;
let pairMarkdown: string;
before(() => {
  oldBuild = buildMiniKernel();
  newBuild = buildMiniKernel({ prepare: mutate });
  const j = kbloat(['diff', oldBuild.buildDir, newBuild.buildDir, '--json']);
  assert.equal(j.status, 0, j.stderr);
  pairJson = JSON.parse(j.stdout);
  const r = kbloat(['diff', oldBuild.buildDir, newBuild.buildDir, '--format', 'markdown']);
  assert.equal(r.status, 0, r.stderr);
  pairMarkdown = r.stdout;
});
after(() => [oldBuild, newBuild].forEach((b) => b && cleanupMiniBuild(b)));

const vmlinux = (b: MiniBuild): string => path.join(b.buildDir, 'vmlinux');

/** The row whose first cell is `first` in the list under `heading` (or whose summary names `heading`). */
function rowOf(c: Comment, heading: string, first: string): string[] {
  const rows = c.groups.filter((g) => g.heading === heading || g.noun === heading).flatMap((g) => g.tables.flatMap((t) => t.rows)).filter((r) => r[0] === first);
  assert.equal(rows.length, 1, `one row for ${first} under ${heading}`);
  return rows[0];
}

test('mini pair: tables, details, the headline against readelf, every list accounted for', () => {
  const c = readComment(pairMarkdown);
  checkHeadline(c, vmlinux(oldBuild), vmlinux(newBuild));
  checkLists(c, pairJson, 10);
  assert.match(pairMarkdown, /^### Kernel size: resident \+4,\d{3} B \(\+[\d.]+%\)\n/);
  // Nothing was cut from this small diff.
  assert.ok(c.groups.every((g) => g.leftOut === 0));
  const sysfs = pairJson.configChanges.find((x) => x.name === 'CONFIG_EEPROM_MINI_SYSFS')!;
  assert.deepEqual(rowOf(c, '`.config` changes', 'CONFIG_EEPROM_MINI_SYSFS').slice(1, 3), ['y', 'n']);
  assert.equal(rowOf(c, '`.config` changes', 'CONFIG_EEPROM_MINI_SYSFS')[5], 'drivers/misc/eeprom_sysfs.c');
  assert.ok(sysfs.bytes < 0 && sysfs.bytes > -10240);
  assert.equal(rowOf(c, '`.config` changes', 'CONFIG_EEPROM_MINI_SYSFS')[3], `-${(-sysfs.bytes).toLocaleString('en-US')} B`);
  assert.deepEqual(rowOf(c, 'Largest movers by file', 'drivers/misc/eeprom_sysfs.c').at(-1), 'built-in → not-built');
  assert.deepEqual(rowOf(c, 'Variables added or grown', 'panic_extra_table'), ['panic_extra_table', 'kernel/panic.c', '-', '4,096 B', '+4,096 B']);
  // Renames and moves are folded, as such, not as an addition and a removal.
  assert.deepEqual(rowOf(c, 'functions renamed, moved or with other clones', 'renamed').slice(0, 3), ['renamed', 'task_weight → task_load_weight', 'kernel/fork.c']);
  assert.deepEqual(rowOf(c, 'functions renamed, moved or with other clones', 'moved').slice(0, 3), ['moved', 'strlen', 'lib/string.c → kernel/panic.c']);
  for (const name of ['task_weight', 'task_load_weight', 'strlen']) assert.ok(!c.tables.some((t) => t.rows.some((r) => r[0] === name)), `${name} is no addition or removal`);
  // Each rollup's rows add up to the change of the image.
  const dirs = c.groups.find((g) => g.heading === 'Largest movers by directory')!;
  const delta = dirs.tables.flatMap((t) => t.rows).reduce((a, r) => a + bytesOf(r[3]), 0);
  assert.equal(delta, pairJson.totals.image.delta);
});

test('mini pair: --only code has one total, --split one column per class, bad combinations exit 2', () => {
  const code = kbloat(['diff', oldBuild.buildDir, newBuild.buildDir, '--format', 'markdown', '--only', 'code']);
  assert.equal(code.status, 0, code.stderr);
  const c = readComment(code.stdout);
  assert.deepEqual(c.headline.rows.map((r) => r[0]), ['total']);
  const t = pairJson.totals.classes.text!;
  assert.deepEqual(c.headline.rows[0].slice(1, 4).map(bytesOf), [t.old, t.new, t.delta]);
  assert.ok(!c.groups.some((g) => g.heading?.startsWith('Variables')), 'no variables in a code diff');

  const split = kbloat(['diff', oldBuild.buildDir, newBuild.buildDir, '--format', 'markdown', '--split']);
  assert.equal(split.status, 0, split.stderr);
  const s = readComment(split.stdout);
  const files = s.groups.find((g) => g.heading === 'Largest movers by file')!.tables[0];
  assert.deepEqual(files.header.slice(0, 4), ['file', 'old', 'new', 'delta']);
  assert.ok(files.header.includes('data') && files.header.includes('init') && !files.header.includes('resident'));

  for (const args of [['--format', 'markdown', '--json'], ['--format', 'md']]) {
    const r = kbloat(['diff', oldBuild.buildDir, newBuild.buildDir, ...args]);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, /^kbloat: [^\n]+\n$/);
    assert.equal(r.stdout, '');
  }
});

test('names with |, backticks, HTML and markdown marks read back as written', () => {
  const names = ['a|b', 'tick`tock', '``double``', '`lead', 'trail`', '<script>alert(1)</script>', '__init__ *x* [y](z) ~~s~~', 'back\\|slash', 'back\\slash', 'amp&lt;', '#1 @team'];
  const d: BuildDiff = structuredClone(pairJson);
  d.functions = names.map((name, i): SymbolChange => ({ kind: 'added', name, file: `dir/${name}.c`, old: null, new: 100 - i, delta: 100 - i, section: '.text' }));
  d.files = d.files.slice(0, 1).map((f) => ({ ...f, key: 'drivers/<b>|x`.c', path: 'drivers/<b>|x`.c' }));
  d.configChanges = [{ name: 'CONFIG_X', old: '"a|b`c"', new: '<i>n</i>', bytes: 0, resident: 0, files: [] }];
  const text = formatDiffMarkdown(d, { top: names.length });
  const c = readComment(text);
  const fns = c.groups.find((g) => g.heading === 'Functions added or grown')!.tables[0].rows;
  assert.deepEqual(fns.map((r) => r[0]), names);
  assert.deepEqual(fns.map((r) => r[1]), names.map((n) => `dir/${n}.c`));
  assert.equal(rowOf(c, 'Largest movers by file', 'drivers/<b>|x`.c')[0], 'drivers/<b>|x`.c');
  assert.deepEqual(rowOf(c, '`.config` changes', 'CONFIG_X').slice(1, 3), ['"a|b`c"', '<i>n</i>']);
  // readComment saw no HTML but the details, their summaries and <code>; and the names are in code.
  assert.ok(c.tokens.some((t) => (t.children ?? []).some((x) => x.type === 'code_inline' && x.content === '<script>alert(1)</script>')));
  // Control characters and very long names are shortened, not passed on.
  d.functions = [{ kind: 'added', name: `x\ny\r|${'z'.repeat(500)}`, file: 'f.c', old: null, new: 1, delta: 1, section: '.text' }];
  const long = readComment(formatDiffMarkdown(d));
  const cell = long.groups.find((g) => g.heading === 'Functions added or grown')!.tables[0].rows[0][0];
  assert.match(cell, /^x\ufffdy\ufffd\|z+…$/);
  assert.ok([...cell].length <= 160);
});

let hardJson: BuildDiff;
let hardMarkdown: string;

test('hard case: the Linux 6.1 fixture against a mini build fits GitHub\'s limit, cut with counts', { skip: fixtureSkip }, () => {
  const j = kbloat(['diff', FIXTURE, oldBuild.buildDir, '--json']);
  assert.equal(j.status, 0, j.stderr);
  hardJson = JSON.parse(j.stdout);
  assert.ok(hardJson.functions.length > 5000, 'nearly everything differs');
  const r = kbloat(['diff', FIXTURE, oldBuild.buildDir, '--format', 'markdown']);
  assert.equal(r.status, 0, r.stderr);
  hardMarkdown = r.stdout;
  assert.ok(hardMarkdown.length <= GITHUB_COMMENT_LIMIT, `${hardMarkdown.length} characters`);
  // The limit is GitHub's count of characters; UTF-16 units are never fewer.
  assert.ok([...hardMarkdown].length <= GITHUB_COMMENT_LIMIT);
  const c = readComment(hardMarkdown);
  checkHeadline(c, path.join(FIXTURE, 'vmlinux'), vmlinux(oldBuild));
  checkLists(c, hardJson, 10);
  assert.ok(c.groups.some((g) => g.leftOut > 0), 'rows were left out, and counted');
  // The folded rows use the room there is.
  assert.ok(hardMarkdown.length > GITHUB_COMMENT_LIMIT - 4096, `${hardMarkdown.length} characters`);
  // Both ways round.
  const back = kbloat(['diff', oldBuild.buildDir, FIXTURE, '--format', 'markdown']);
  assert.equal(back.status, 0, back.stderr);
  assert.ok(back.stdout.length <= GITHUB_COMMENT_LIMIT);
  checkHeadline(readComment(back.stdout), vmlinux(oldBuild), path.join(FIXTURE, 'vmlinux'));
});

test('hard case: smaller limits and longer open tables still make whole tables and exact counts', { skip: fixtureSkip }, () => {
  assert.ok(hardJson, 'the hard case ran');
  for (const [limit, top] of [[8192, 10], [20000, 10], [GITHUB_COMMENT_LIMIT, 1000], [30000, 3], [GITHUB_COMMENT_LIMIT, 1]]) {
    const text = formatDiffMarkdown(hardJson, { limit, top });
    assert.ok(text.length <= limit, `${text.length} > ${limit} (top ${top})`);
    const c = readComment(text);
    checkLists(c, hardJson, top);
    assert.equal(c.headline.rows.length, 3);
  }
  assert.throws(() => formatDiffMarkdown(hardJson, { limit: 1000 }), RangeError);
});
