/**
 * The .vsix as the Marketplace gets it (`npm run package`, @vscode/vsce): it holds
 * exactly what runs — the bundles, the two WASM files, the grammars, the icon,
 * README, CHANGELOG, LICENSE — and none of node_modules, sources, tests or
 * fixtures, within a size budget. The contents are listed with Python's zipfile,
 * not with our own code.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { packageExtension } from './helpers';

const BUDGET = 5 * 1024 * 1024;

test('npm run package: required files in, sources and node_modules out, under 5 MB', (t) => {
  const vsix = packageExtension();
  t.after(() => rmSync(path.dirname(vsix), { recursive: true, force: true }));
  assert.ok(existsSync(vsix));
  const listing = execFileSync('python3', ['-c', 'import sys, zipfile\nfor i in zipfile.ZipFile(sys.argv[1]).infolist(): print(i.filename)', vsix], { encoding: 'utf8' });
  const files = listing.trim().split('\n');
  const required = [
    'extension/package.json',
    'extension/readme.md',
    'extension/changelog.md',
    'extension/LICENSE.txt',
    'extension/media/icon.png',
    'extension/dist/extension.js',
    'extension/dist/server.js',
    'extension/dist/indexWorker.js',
    'extension/dist/modularizeWorker.js',
    'extension/dist/sourceFactsWorker.js',
    'extension/dist/tree-sitter.wasm',
    'extension/dist/tree-sitter-c.wasm',
  ];
  for (const f of required) assert.ok(files.includes(f), `${f} is in the .vsix`);
  // Everything the package.json names must be shipped too (grammars, language configurations, icon).
  const manifest = JSON.parse(execFileSync('python3', ['-c', 'import sys, zipfile\nprint(zipfile.ZipFile(sys.argv[1]).read("extension/package.json").decode())', vsix], { encoding: 'utf8' }));
  const named = [manifest.icon, manifest.main, ...(manifest.contributes.grammars ?? []).map((g: { path: string }) => g.path), ...(manifest.contributes.languages ?? []).map((l: { configuration?: string }) => l.configuration).filter(Boolean)];
  for (const n of named) assert.ok(files.includes(`extension/${path.posix.normalize(n)}`), `${n}, named by package.json, is shipped`);
  // The README is the extension's page: the images it links relatively must be shipped, unchanged.
  const readme = execFileSync('python3', ['-c', 'import sys, zipfile\nprint(zipfile.ZipFile(sys.argv[1]).read("extension/readme.md").decode())', vsix], { encoding: 'utf8' });
  const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((l) => !/^\w+:/.test(l));
  assert.ok(images.length > 0, 'the README shows a screenshot');
  for (const img of images) assert.ok(files.includes(`extension/${path.posix.normalize(img)}`), `${img}, shown by the README, is shipped`);
  const forbidden = files.filter((f) => /node_modules\/|\/(server|client)\/src\/|\/test\/|\/examples\/|\.ts$|\.map$|\/\.ci\//.test(f));
  assert.deepEqual(forbidden, []);
  assert.ok(statSync(vsix).size < BUDGET, `${statSync(vsix).size} bytes`);
});
