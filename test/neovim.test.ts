/**
 * The language server is editor-neutral: Neovim's built-in LSP client (Debian's
 * neovim 0.7) starts dist/server.js, opens kernel/fork.c of the Linux 6.1
 * fixture and gets CodeLens whose sizes equal `nm -S` (test/neovim/codelens.lua
 * checks them; this file picks the functions and their sizes with binutils).
 * The server only reads the fixture (the workspace is untrusted: no
 * initializationOptions), and Neovim runs without swap or shada files.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { FIXTURE, fixtureSkip, REPO, sampleFunctions, tempDir } from './helpers';

// Looked up on PATH rather than run: even `nvim --version` writes a log into the home folder.
const haveNvim = (process.env.PATH ?? '').split(path.delimiter).some((d) => d && existsSync(path.join(d, 'nvim')));
const skip = fixtureSkip || (process.env.KBLOAT_SKIP_E2E === '1' && !haveNvim ? 'KBLOAT_SKIP_E2E=1 is set and nvim is not installed' : false);

test('Neovim 0.7 LSP client: lenses of kernel/fork.c equal nm -S', { skip }, (t) => {
  assert.ok(haveNvim, 'nvim is not installed: run .ci/setup (CI installs Debian\'s neovim), or set KBLOAT_SKIP_E2E=1 to skip');
  const work = tempDir('nvim');
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const expected = sampleFunctions(FIXTURE, 'kernel/fork.c');
  writeFileSync(path.join(work, 'expected.json'), JSON.stringify(expected));
  const r = spawnSync('nvim', ['--headless', '-n', '-i', 'NONE', '-u', 'NONE', '-c', `luafile ${path.join(REPO, 'test/neovim/codelens.lua')}`], {
    cwd: work,
    encoding: 'utf8',
    timeout: 120_000,
    env: {
      ...process.env,
      KBLOAT_SERVER: path.join(REPO, 'dist/server.js'),
      KBLOAT_ROOT: FIXTURE,
      KBLOAT_FILE: path.join(FIXTURE, 'kernel/fork.c'),
      KBLOAT_EXPECTED: path.join(work, 'expected.json'),
      KBLOAT_CACHE_DIR: path.join(work, 'cache'),
      // Neovim's own state (logs) stays in the temporary folder.
      XDG_STATE_HOME: path.join(work, 'state'),
      XDG_CACHE_HOME: path.join(work, 'xdg-cache'),
      XDG_DATA_HOME: path.join(work, 'data'),
    },
  });
  assert.equal(r.status, 0, `nvim exited with ${r.status} (${r.signal ?? 'no signal'}):\n${r.stderr}\n${r.stdout}`);
  // Every function the script checked said so: nothing was silently skipped.
  for (const fn of expected) assert.match(r.stdout, new RegExp(`^${fn.name}: [\\d,.]+ (B|KiB|MiB) in vmlinux`, 'm'));
});
