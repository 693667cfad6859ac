/**
 * `kbloat blame` on a real git history of the mini kernel (test/gitKernel.ts):
 * eight commits by eight authors after the base revision (a function added,
 * one grown, one shrunk, one moved to another file, a data table added, one
 * function changed by two commits, a header change and a configuration
 * change), four revisions built with make, and the CLI run from its sources on
 * the builds. The ground truth is not kbloat's: function sizes come from
 * `nm -S`, resident sizes from `readelf -S`, authors and subjects from
 * `git log`, the Markdown is rendered by markdown-it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import MarkdownIt from 'markdown-it';
import { revisionOfRelease, splitEvenly } from '../server/src/tracker/blame';
import { nmSized, readelfSections, REPO } from './helpers';
import { buildRevision, cleanEnv, cleanupGitKernel, editFile, gitIn, GitKernel, KernelCommit, makeGitKernel, RevisionBuild } from './gitKernel';

const STRLEN = /\nsize_t strlen\(const char \*s\)\n\{[^}]*\}\nEXPORT_SYMBOL\(strlen\);\n/;

const person = (name: string): { name: string; email: string } => ({ name, email: `${name.split(' ')[0].toLowerCase()}@example.org` });

/** The history after the base revision, in order; each commit is named by its author's first name. */
const HISTORY: (KernelCommit & { key: string })[] = [
  {
    key: 'alice',
    author: person('Alice Added'),
    message: 'panic: add panic_taint_count()',
    change: (t) =>
      writeFileSync(path.join(t, 'kernel/panic.c'), readFileSync(path.join(t, 'kernel/panic.c'), 'utf8') +
        '\nint panic_taint_count(void)\n{\n\tint n = 0, i;\n\n\tfor (i = 0; i < 32; i++)\n\t\tif (tainted_mask & (1UL << i))\n\t\t\tn += i * 3 + 1;\n\treturn n;\n}\nEXPORT_SYMBOL(panic_taint_count);\n'),
  },
  {
    key: 'bob',
    author: person('Bob Grower'),
    message: 'lib/string: memcmp: compare words while both are aligned',
    change: (t) =>
      editFile(t, 'lib/string.c', '\tint res = 0;\n\n\tfor (su1 = cs', '\tint res = 0;\n\n\tif (cs == ct)\n\t\treturn 0;\n\twhile (count >= 8 && !(((unsigned long)cs | (unsigned long)ct) & 7) &&\n\t       *(const unsigned long *)cs == *(const unsigned long *)ct) {\n\t\tcs += 8;\n\t\tct += 8;\n\t\tcount -= 8;\n\t}\n\tfor (su1 = cs'),
  },
  {
    key: 'carol',
    author: person('Carol Shrinker'),
    message: 'mm: alloc_pages: leave __GFP_ZERO to the callers',
    change: (t) => editFile(t, 'mm/page_alloc.c', '\tif (gfp & __GFP_ZERO)\n\t\tmemset(page->virtual, 0, PAGE_SIZE << order);\n', ''),
  },
  {
    key: 'dave',
    author: person('Dave Mover'),
    message: 'lib/string: move strlen() to fs/filesystems.c',
    change: (t) => {
      let strlen = '';
      editFile(t, 'lib/string.c', STRLEN, '\n');
      strlen = STRLEN.exec(readFileSync(path.join(REPO, 'examples/minikernel/lib/string.c'), 'utf8'))![0];
      writeFileSync(path.join(t, 'fs/filesystems.c'), readFileSync(path.join(t, 'fs/filesystems.c'), 'utf8') + strlen);
    },
  },
  {
    key: 'ivan',
    author: person('Ivan Tables'),
    message: 'misc: a table of default minors',
    change: (t) => editFile(t, 'drivers/misc/core.c', '/* The same name as the static', 'const unsigned short misc_default_minors[256] = { 1, 2, 3 };\n\n/* The same name as the static'),
  },
  {
    key: 'erin',
    author: person('Erin Sharer'),
    message: 'fork: kernel_clone: flag tasks with odd exit signals',
    change: (t) => editFile(t, 'kernel/fork.c', '\tif (!p)\n\t\treturn -ENOMEM;\n\twake_up_process(p);', '\tif (!p)\n\t\treturn -ENOMEM;\n\tif (args->exit_signal > 64)\n\t\tp->flags |= 0x100;\n\twake_up_process(p);'),
  },
  {
    key: 'frank',
    author: person('Frank Sharer'),
    message: 'fork: kernel_clone: threads start at the default priority',
    change: (t) => editFile(t, 'kernel/fork.c', '\twake_up_process(p);\n\treturn p->pid;', '\twake_up_process(p);\n\tif (args->flags & CLONE_THREAD)\n\t\tp->prio = DEFAULT_PRIO + (int)(args->stack_size >> 12);\n\treturn p->pid;'),
  },
  {
    key: 'grace',
    author: person('Grace Header'),
    message: 'crc16: mix the data byte in twice',
    change: (t) => editFile(t, 'include/linux/crc16.h', 'return (crc >> 8) ^ crc16_table[(crc ^ data) & 0xff];', 'crc = (crc >> 8) ^ crc16_table[(crc ^ data) & 0xff];\n\treturn (crc >> 8) ^ crc16_table[(crc ^ (data >> 1)) & 0xff];'),
  },
  {
    key: 'heidi',
    author: person('Heidi Config'),
    message: 'mini_defconfig: drop the EEPROM sysfs interface',
    change: (t) => editFile(t, 'arch/mini/configs/mini_defconfig', 'CONFIG_EEPROM_MINI_SYSFS=y', '# CONFIG_EEPROM_MINI_SYSFS is not set'),
  },
];

interface BlameJson {
  range: string;
  commits: {
    commit: string;
    author: string;
    email: string;
    date: string;
    subject: string;
    bytes: number;
    functions: { name: string; file: string; bytes: number; shared?: boolean }[];
    files: { path: string; bytes: number }[];
  }[];
  unexplained: number;
}

let k: GitKernel;
let hash: Record<string, string>;
let base: RevisionBuild;
let frank: RevisionBuild;
let grace: RevisionBuild;
let heidi: RevisionBuild;
let scratch: string;
let cacheDir: string;

before(() => {
  k = makeGitKernel(HISTORY);
  hash = { base: k.commits[0] };
  HISTORY.forEach((c, i) => (hash[c.key] = k.commits[i + 1]));
  scratch = mkdtempSync(path.join(os.tmpdir(), 'kbloat-blame-'));
  cacheDir = path.join(scratch, 'cache');
  // The base in its worktree (release 6.1.0-mini, which names no commit); the others in O= folders, each naming its commit as setlocalversion would.
  base = buildRevision(k, hash.base, { outOfTree: false });
  const named = (rev: string): RevisionBuild => buildRevision(k, rev, { makeArgs: [`CONFIG_LOCALVERSION=-g${rev.slice(0, 12)}`] });
  frank = named(hash.frank);
  grace = named(hash.grace);
  heidi = named(hash.heidi);
});

after(() => {
  if (k) cleanupGitKernel(k);
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** The CLI from its sources, as a user runs it (no dist/ needed). */
function kbloat(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO, 'server/src/bin/cli.ts'), ...args], {
    cwd: REPO,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env: cleanEnv({ KBLOAT_CACHE_DIR: cacheDir }),
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function blameJson(oldB: RevisionBuild, newB: RevisionBuild, range?: string): BlameJson {
  const r = kbloat(['blame', oldB.buildDir, newB.buildDir, '--source', k.tree, ...(range ? ['--range', range] : []), '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  return JSON.parse(r.stdout) as BlameJson;
}

const vmlinux = (b: RevisionBuild): string => path.join(b.buildDir, 'vmlinux');

/** The init region of a vmlinux, from nm: what is freed after boot. */
function initRegion(file: string): { begin: bigint; end: bigint } {
  const out = spawnSync('nm', [file], { encoding: 'utf8' }).stdout;
  const at = (name: string): bigint => {
    const m = new RegExp(`^([0-9a-f]+) \\S ${name}$`, 'm').exec(out);
    assert.ok(m, `nm shows no ${name} in ${file}`);
    return BigInt('0x' + m[1]);
  };
  return { begin: at('__init_begin'), end: at('__init_end') };
}

/** Resident bytes from readelf: the allocated sections outside the init region. */
function residentOf(file: string): number {
  const init = initRegion(file);
  return readelfSections(file)
    .filter((s) => s.flags.includes('A') && !(s.addr >= init.begin && s.addr < init.end))
    .reduce((n, s) => n + s.size, 0);
}

/** Resident function sizes from `nm -S`, compiler clones (`.cold`, `.constprop.0`…) folded into their function, aliases counted once. */
function nmFunctions(file: string): Map<string, number> {
  const init = initRegion(file);
  const seen = new Set<string>();
  const out = new Map<string, number>();
  for (const s of nmSized(file)) {
    if (!/^[tTwW]$/.test(s.type) || (s.addr >= init.begin && s.addr < init.end)) continue;
    const place = `${s.addr}:${s.size}`;
    if (seen.has(place)) continue;
    seen.add(place);
    const name = s.name.replace(/(\.(?:cold|constprop|isra|part|llvm)(?:\.\d+)?)+$/, '');
    out.set(name, (out.get(name) ?? 0) + s.size);
  }
  return out;
}

function nmDelta(oldB: RevisionBuild, newB: RevisionBuild, name: string): number {
  return (nmFunctions(vmlinux(newB)).get(name) ?? 0) - (nmFunctions(vmlinux(oldB)).get(name) ?? 0);
}

/** The files a commit changed, as git lists them. */
function touched(commit: string): Set<string> {
  return new Set(gitIn(k.tree, ['show', '--no-renames', '--format=', '--name-only', commit]).split('\n').filter(Boolean));
}

describe('kbloat blame over the whole history (base..heidi)', () => {
  let b: BlameJson;
  let byKey: Map<string, BlameJson['commits'][number]>;
  before(() => {
    b = blameJson(base, heidi, `${hash.base}..${hash.heidi}`);
    byKey = new Map();
    for (const [key, h] of Object.entries(hash)) {
      const c = b.commits.find((x) => x.commit === h);
      if (c) byKey.set(key, c);
    }
  });

  test('the JSON has exactly the documented keys', () => {
    assert.deepEqual(Object.keys(b), ['range', 'commits', 'unexplained']);
    assert.equal(b.range, `${hash.base}..${hash.heidi}`);
    assert.equal(typeof b.unexplained, 'number');
    for (const c of b.commits) {
      assert.deepEqual(Object.keys(c), ['commit', 'author', 'email', 'date', 'subject', 'bytes', 'functions', 'files']);
      assert.match(c.commit, /^[0-9a-f]{40}$/);
      for (const f of c.functions) assert.deepEqual(Object.keys(f), f.shared ? ['name', 'file', 'bytes', 'shared'] : ['name', 'file', 'bytes']);
      for (const f of c.files) assert.deepEqual(Object.keys(f), ['path', 'bytes']);
    }
  });

  test("authors, emails, dates and subjects are git log's", () => {
    assert.ok(b.commits.length >= 6, `only ${b.commits.length} commits charged`);
    for (const c of b.commits) {
      const [author, email, date, subject] = gitIn(k.tree, ['log', '-1', '--format=%an%x00%ae%x00%aI%x00%s', c.commit]).trim().split('\0');
      assert.deepEqual({ author: c.author, email: c.email, date: c.date, subject: c.subject }, { author, email, date, subject });
    }
    assert.equal(byKey.get('alice')?.author, 'Alice Added');
    assert.equal(byKey.get('carol')?.email, 'carol@example.org');
  });

  test('each commit is charged exactly what nm -S shows its functions changed', () => {
    const d = (name: string): number => nmDelta(base, heidi, name);
    const fns = (key: string): { name: string; file: string; bytes: number; shared?: boolean }[] =>
      (byKey.get(key)?.functions ?? []).slice().sort((x, y) => x.file.localeCompare(y.file) || x.name.localeCompare(y.name));
    assert.ok(d('panic_taint_count') > 0 && d('memcmp') > 0 && d('alloc_pages') < 0, 'the history changes what it should');
    assert.deepEqual(fns('alice'), [{ name: 'panic_taint_count', file: 'kernel/panic.c', bytes: d('panic_taint_count') }]);
    assert.deepEqual(fns('bob'), [{ name: 'memcmp', file: 'lib/string.c', bytes: d('memcmp') }]);
    assert.deepEqual(fns('carol'), [{ name: 'alloc_pages', file: 'mm/page_alloc.c', bytes: d('alloc_pages') }]);
    // A move is a removal from one file and an addition to the other, both the mover's.
    const strlen = nmFunctions(vmlinux(base)).get('strlen')!;
    assert.ok(strlen > 0);
    assert.deepEqual(fns('dave'), [
      { name: 'strlen', file: 'fs/filesystems.c', bytes: nmFunctions(vmlinux(heidi)).get('strlen') },
      { name: 'strlen', file: 'lib/string.c', bytes: -strlen },
    ]);
    assert.deepEqual(fns('ivan'), []);
  });

  test('a function two commits changed is split evenly between them and marked shared', () => {
    const delta = nmDelta(base, heidi, 'kernel_clone');
    assert.ok(delta > 0);
    const erin = byKey.get('erin')?.functions.find((f) => f.name === 'kernel_clone');
    const frankF = byKey.get('frank')?.functions.find((f) => f.name === 'kernel_clone');
    assert.ok(erin && frankF, 'both sharers are charged for kernel_clone');
    assert.equal(erin.shared, true);
    assert.equal(frankF.shared, true);
    assert.equal(erin.bytes + frankF.bytes, delta);
    assert.ok(Math.abs(erin.bytes - frankF.bytes) <= 1);
    // The newer commit takes the odd byte.
    assert.deepEqual([frankF.bytes, erin.bytes], splitEvenly(delta, 2));
  });

  test('data goes to the commit that touched the file; no commit is charged for a file it did not touch', () => {
    const ivan = byKey.get('ivan');
    const table = nmSized(vmlinux(heidi)).find((s) => s.name === 'misc_default_minors');
    assert.ok(ivan && table);
    const core = ivan.files.find((f) => f.path === 'drivers/misc/core.c');
    assert.ok(core, 'the table is charged to its file');
    // The table and, at most, the alignment padding around it.
    assert.ok(core.bytes >= table.size && core.bytes < table.size + 64, `${core.bytes} B for a ${table.size} B table`);
    for (const c of b.commits) {
      const files = touched(c.commit);
      for (const f of [...c.files.map((x) => x.path), ...c.functions.map((x) => x.file)]) assert.ok(files.has(f), `${c.subject} is charged for ${f}, which it did not touch`);
      assert.equal(c.bytes, c.functions.reduce((s, x) => s + x.bytes, 0) + c.files.reduce((s, x) => s + x.bytes, 0));
    }
  });

  test('the header and the configuration change are charged to no commit', () => {
    assert.equal(byKey.get('grace'), undefined);
    assert.equal(byKey.get('heidi'), undefined);
    assert.equal(byKey.get('base'), undefined);
  });

  test('every byte is accounted for: the commits and the unexplained bytes add up to the resident change readelf shows', () => {
    const charged = b.commits.reduce((s, c) => s + c.bytes, 0);
    assert.equal(charged + b.unexplained, residentOf(vmlinux(heidi)) - residentOf(vmlinux(base)));
  });

  test('growers first, biggest first; then shrinkers, biggest first', () => {
    const signs = b.commits.map((c) => Math.sign(c.bytes));
    assert.deepEqual(signs, signs.slice().sort((x, y) => (x === y ? 0 : x > 0 ? -1 : y > 0 ? 1 : x < 0 ? -1 : 1)));
    for (let i = 1; i < b.commits.length; i++) {
      if (Math.sign(b.commits[i].bytes) === Math.sign(b.commits[i - 1].bytes)) assert.ok(Math.abs(b.commits[i].bytes) <= Math.abs(b.commits[i - 1].bytes));
    }
    assert.ok(byKey.get('carol')!.bytes < 0, 'the shrinker is among the shrinkers');
  });

  test('the table and the Markdown say the same', () => {
    const table = kbloat(['blame', base.buildDir, heidi.buildDir, '--source', k.tree, '--range', `${hash.base}..${hash.heidi}`]);
    assert.equal(table.status, 0, table.stderr);
    const md = kbloat(['blame', base.buildDir, heidi.buildDir, '--source', k.tree, '--range', `${hash.base}..${hash.heidi}`, '--format', 'markdown']);
    assert.equal(md.status, 0, md.stderr);
    for (const c of b.commits) {
      assert.ok(table.stdout.includes(c.commit.slice(0, 12)) && table.stdout.includes(c.subject), `the table lists ${c.subject}`);
    }
    assert.match(table.stdout, /shrank it.*thank you/);
    assert.match(table.stdout, /Unexplained:/);
    // GitHub-flavoured: markdown-it renders the tables as tables, one row per commit.
    const html = new MarkdownIt().render(md.stdout);
    const rows = [...html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => m[1]);
    for (const c of b.commits) {
      const row = rows.find((r) => r.includes(`<code>${c.commit.slice(0, 12)}</code>`));
      assert.ok(row, `a Markdown row for ${c.subject}`);
      const cells = [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) => m[1]);
      assert.equal(cells.length, 5);
      assert.equal(cells[2], c.author);
      assert.equal(cells[3], c.subject.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
      assert.equal(cells[0].replace(/,/g, ''), `${c.bytes > 0 ? '+' : '-'}${Math.abs(c.bytes)} B`);
    }
    writeFileSync(path.join(scratch, 'blame.md'), md.stdout);
  });
});

describe('bytes no commit of the range explains', () => {
  test('a header change: nothing is charged, all is unexplained', () => {
    const b = blameJson(frank, grace, `${hash.frank}..${hash.grace}`);
    const crc16 = nmDelta(frank, grace, 'crc16');
    assert.ok(crc16 > 0, 'the header change grows crc16()');
    assert.equal(b.commits.reduce((s, c) => s + Math.abs(c.bytes), 0), 0);
    // The growth may vanish in the padding at the end of .text: what counts is that no commit takes it.
    assert.equal(b.unexplained, residentOf(vmlinux(grace)) - residentOf(vmlinux(frank)));
    const table = kbloat(['blame', frank.buildDir, grace.buildDir, '--source', k.tree, '--range', `${hash.frank}..${hash.grace}`]);
    assert.match(table.stdout, new RegExp(`\\+${crc16} B  crc16\\(\\) in lib/crc16\\.c\\s+no commit of the range touched it`));
  });

  test('a configuration change: the file that left vmlinux is unexplained', () => {
    const b = blameJson(grace, heidi, `${hash.grace}..${hash.heidi}`);
    const delta = residentOf(vmlinux(heidi)) - residentOf(vmlinux(grace));
    assert.ok(delta < 0);
    assert.equal(b.commits.reduce((s, c) => s + Math.abs(c.bytes), 0), 0);
    assert.equal(b.unexplained, delta);
    const table = kbloat(['blame', grace.buildDir, heidi.buildDir, '--source', k.tree, '--range', `${hash.grace}..${hash.heidi}`]);
    assert.match(table.stdout, /-\d+ B  drivers\/misc\/eeprom_sysfs\.c\s+built into one build only/);
  });
});

describe('the revisions', () => {
  test('builds whose release carries -gHASH name their revisions: --range may be left out', () => {
    const named = blameJson(frank, heidi);
    const given = blameJson(frank, heidi, `${hash.frank}..${hash.heidi}`);
    assert.equal(named.range, `${hash.frank.slice(0, 12)}..${hash.heidi.slice(0, 12)}`);
    assert.deepEqual({ ...named, range: '' }, { ...given, range: '' });
  });

  test('release strings: -gHASH, release tags, and what names nothing', () => {
    assert.equal(revisionOfRelease('6.1.0-rc3-00012-gabcdef123456'), 'abcdef123456');
    assert.equal(revisionOfRelease('6.1.0-00001-g0123456789ab-dirty'), '0123456789ab');
    assert.equal(revisionOfRelease('6.1.0'), 'v6.1');
    assert.equal(revisionOfRelease('6.1.5'), 'v6.1.5');
    assert.equal(revisionOfRelease('6.2.0-rc3'), 'v6.2-rc3');
    assert.equal(revisionOfRelease('6.1.0+'), undefined);
    assert.equal(revisionOfRelease('6.1.0-mini'), undefined);
  });

  test('a build that names no revision: one line asking for --range, exit 2', () => {
    const r = kbloat(['blame', base.buildDir, heidi.buildDir, '--source', k.tree]);
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^kbloat: .*6\.1\.0-mini.*--range A\.\.B\n$/);
  });
});

describe('bad input: one line on stderr, exit 2', () => {
  const expectBad = (args: string[], pattern: RegExp): void => {
    const r = kbloat(['blame', ...args]);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.split('\n').length, 2, r.stderr);
    assert.match(r.stderr, pattern);
  };
  test('not a git tree', () => expectBad([frank.buildDir, heidi.buildDir, '--source', scratch, '--range', 'a..b'], /not a git work tree/));
  test('an unknown revision', () => expectBad([frank.buildDir, heidi.buildDir, '--source', k.tree, '--range', `no-such-tag..${hash.heidi}`], /unknown revision "no-such-tag"/));
  test('a range that is not A..B', () => expectBad([frank.buildDir, heidi.buildDir, '--source', k.tree, '--range', hash.heidi], /--range must be A\.\.B/));
  test('builds that are not builds', () => expectBad([frank.srcDir, heidi.buildDir, '--source', k.tree, '--range', `${hash.frank}..${hash.heidi}`], /no vmlinux/));
  test('no --source', () => expectBad([frank.buildDir, heidi.buildDir], /--source TREE/));
});
