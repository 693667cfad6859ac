/**
 * The rules of ARCHITECTURE.md, checked on every source file of the server and
 * the client: which folder may import which (the table under "Layers"), where
 * LSP and VS Code types may be imported, which files may start processes, and
 * no import cycles between files. A failure names the file and the import.
 * The rules are read from ARCHITECTURE.md itself, so that the document and the
 * check cannot drift apart; the checker is also run on planted violations, so
 * that a rule it stopped enforcing fails here.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

const REPO = path.resolve(__dirname, '..');

interface Rules {
  /** Folder → the folders it may import besides itself. */
  layers: Map<string, Set<string>>;
  /** Files and folders that may import the editor protocol (vscode, vscode-languageserver*, vscode-languageclient). */
  editorImports: string[];
  /** The only files that may import node:child_process. */
  processes: string[];
}

/** The bullet list of backquoted paths that follows a line containing `heading` in ARCHITECTURE.md. */
function listAfter(doc: string, heading: string): string[] {
  const at = doc.indexOf(heading);
  assert.ok(at >= 0, `ARCHITECTURE.md has no "${heading}" rule`);
  const out: string[] = [];
  for (const line of doc.slice(at).split('\n').slice(1)) {
    const m = /^- `([^`]+)`/.exec(line);
    if (m) out.push(m[1]);
    else if (out.length && line.trim() === '') break;
  }
  assert.ok(out.length, `the "${heading}" rule lists nothing`);
  return out;
}

export function readRules(doc: string): Rules {
  const layers = new Map<string, Set<string>>();
  const start = doc.indexOf('| folder | may import |');
  assert.ok(start >= 0, 'ARCHITECTURE.md has no "| folder | may import |" table');
  for (const line of doc.slice(start).split('\n').slice(2)) {
    if (!line.startsWith('|')) break;
    const [folder, allowed] = line.split('|').slice(1, 3).map((c) => c.trim());
    const names = (s: string): string[] => [...s.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    layers.set(names(folder)[0], new Set(names(allowed)));
  }
  return {
    layers,
    editorImports: listAfter(doc, 'Only these import the editor protocol'),
    processes: listAfter(doc, 'Only these start processes'),
  };
}

/**
 * The row of the layer table a file is under: its folder below server/src, or
 * the sub-folder when the table has a row of its own for it
 * (`server/src/kbuild/make/text.ts` → `kbuild/make`); `client/src/x.ts` → `client`.
 */
function folderOf(file: string, rules: Rules): string {
  if (file.startsWith('client/')) return 'client';
  const parts = file.split('/').slice(2, -1);
  for (let n = parts.length; n > 1; n--) if (rules.layers.has(parts.slice(0, n).join('/'))) return parts.slice(0, n).join('/');
  return parts[0];
}

/** A folder may import itself, its own sub-folders, and what its row names (with their sub-folders). */
function mayImport(from: string, to: string, rules: Rules): boolean {
  if (to === from || to.startsWith(from + '/')) return true;
  const row = rules.layers.get(from) ?? new Set<string>();
  return [...row].some((allowed) => to === allowed || to.startsWith(allowed + '/'));
}

const under = (file: string, entries: string[]): boolean => entries.some((e) => file === e || file.startsWith(e.endsWith('/') ? e : e + '/'));

export interface ImportEdge {
  from: string;
  spec: string;
  /** Repository-relative file for a relative import; undefined for a package. */
  to?: string;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)|\brequire\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The imports of one file's text (type-only imports too: they make cycles as much as any). */
export function importsOf(file: string, text: string, exists: (f: string) => boolean): ImportEdge[] {
  const out: ImportEdge[] = [];
  // Comments are not imports: blank them (a doc comment may show an example).
  const code = text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`])\/\/[^\n]*/g, '$1');
  for (const m of code.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3] ?? m[4];
    if (!spec.startsWith('.')) {
      out.push({ from: file, spec });
      continue;
    }
    const base = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
    const to = [`${base}.ts`, `${base}/index.ts`, base].find(exists);
    assert.ok(to, `${file}: import '${spec}' resolves to no file`);
    out.push({ from: file, spec, to });
  }
  return out;
}

const EDITOR_PACKAGE = /^(vscode$|vscode-languageserver|vscode-languageclient|vscode-jsonrpc)/;
const PROCESS_MODULE = /^(node:)?child_process$/;

/** Every broken rule, one line each naming the file and the import. */
export function violations(files: Map<string, string>, rules: Rules): string[] {
  const out: string[] = [];
  const exists = (f: string): boolean => files.has(f);
  const graph = new Map<string, string[]>();
  for (const [file, text] of files) {
    const from = folderOf(file, rules);
    const allowed = rules.layers.get(from);
    if (!allowed) out.push(`${file}: its folder ${from}/ is not in ARCHITECTURE.md's layer table`);
    const edges = importsOf(file, text, exists);
    graph.set(file, edges.flatMap((e) => (e.to ? [e.to] : [])));
    for (const e of edges) {
      if (e.to) {
        const to = folderOf(e.to, rules);
        if (allowed && !mayImport(from, to, rules)) out.push(`${file}: imports '${e.spec}' (${to}/), which ${from}/ may not import`);
        if (e.to === 'server/src/shared/protocol.ts' && !under(file, rules.editorImports)) out.push(`${file}: imports '${e.spec}', the LSP protocol, outside the files that may`);
      } else if (EDITOR_PACKAGE.test(e.spec) && !under(file, rules.editorImports)) {
        out.push(`${file}: imports '${e.spec}', an editor protocol type, outside the files that may`);
      } else if (PROCESS_MODULE.test(e.spec) && !rules.processes.includes(file)) {
        out.push(`${file}: imports '${e.spec}', and only ${rules.processes.join(', ')} start processes`);
      }
    }
  }
  for (const cycle of cycles(graph)) out.push(`import cycle: ${cycle.join(' → ')}`);
  return out;
}

/** The import cycles of a graph, each as its files with the first repeated at the end (Tarjan's strongly connected components). */
export function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      const selfLoop = (graph.get(v) ?? []).includes(v);
      if (component.length > 1 || selfLoop) out.push(pathThrough(graph, new Set(component), v));
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return out;
}

/** One concrete cycle inside a strongly connected component, starting and ending at `start`. */
function pathThrough(graph: Map<string, string[]>, component: Set<string>, start: string): string[] {
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!component.has(w)) continue;
      if (w === start) {
        const route = [start];
        for (let x: string | undefined = v; x && x !== start; x = prev.get(x)) route.splice(1, 0, x);
        return [...route, start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

function sourceFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(path.join(REPO, dir))) {
      const rel = `${dir}/${name}`;
      if (statSync(path.join(REPO, rel)).isDirectory()) walk(rel);
      else if (name.endsWith('.ts')) files.set(rel, readFileSync(path.join(REPO, rel), 'utf8'));
    }
  };
  walk('server/src');
  walk('client/src');
  return files;
}

const DOC = readFileSync(path.join(REPO, 'ARCHITECTURE.md'), 'utf8');

test('every source file keeps the rules of ARCHITECTURE.md', () => {
  const files = sourceFiles();
  assert.ok(files.size > 80, `only ${files.size} source files found`);
  assert.deepEqual(violations(files, readRules(DOC)), []);
});

test('the code map names every folder of server/src, and every folder it names exists', () => {
  const folders = readdirSync(path.join(REPO, 'server/src')).filter((n) => statSync(path.join(REPO, 'server/src', n)).isDirectory());
  const rules = readRules(DOC);
  for (const f of folders) {
    assert.ok(rules.layers.has(f), `server/src/${f}/ is not in the layer table`);
    assert.match(DOC, new RegExp(`^### \`server/src/${f}/\``, 'm'), `server/src/${f}/ has no section in the code map`);
  }
  for (const f of rules.layers.keys()) {
    assert.ok(f === 'client' || statSync(path.join(REPO, 'server/src', f), { throwIfNoEntry: false })?.isDirectory(), `the layer table names ${f}/, which does not exist`);
  }
  for (const f of [...rules.editorImports, ...rules.processes]) {
    const p = path.join(REPO, f);
    assert.ok(statSync(p, { throwIfNoEntry: false }), `ARCHITECTURE.md names ${f}, which does not exist`);
  }
});

test('the checker fails on each kind of broken rule, naming the file and the import', () => {
  const rules = readRules(DOC);
  const files = new Map<string, string>([
    ['server/src/binary/elf.ts', "import { buildIndex } from '../index/buildTree';\n"],
    ['server/src/index/buildTree.ts', "import type { ElfFile } from '../binary/elf';\nimport { Connection } from 'vscode-languageserver/node';\n"],
    ['server/src/kbuild/cmdfile.ts', "import { spawnSync } from 'node:child_process';\n// import { x } from '../features/codeLens';\n"],
    ['server/src/kbuild/make/text.ts', "import { parseCmdFile } from '../cmdfile';\n"],
    ['server/src/kbuild/objLines.ts', "import { splitWords } from './make/text';\n"],
    ['client/src/extension.ts', "import { readHistory } from '../../server/src/tracker/history';\nimport { humanSize } from '../../server/src/shared/units';\n"],
    ['server/src/tracker/history.ts', ''],
    ['server/src/shared/units.ts', ''],
  ]);
  const found = violations(files, rules);
  const expect = [
    "server/src/binary/elf.ts: imports '../index/buildTree' (index/), which binary/ may not import",
    "server/src/index/buildTree.ts: imports 'vscode-languageserver/node', an editor protocol type, outside the files that may",
    `server/src/kbuild/cmdfile.ts: imports 'node:child_process', and only ${rules.processes.join(', ')} start processes`,
    "client/src/extension.ts: imports '../../server/src/tracker/history' (tracker/), which client/ may not import",
    "server/src/kbuild/make/text.ts: imports '../cmdfile' (kbuild/), which kbuild/make/ may not import",
    'import cycle: server/src/binary/elf.ts → server/src/index/buildTree.ts → server/src/binary/elf.ts',
  ];
  assert.deepEqual(found.sort(), expect.sort());
});
