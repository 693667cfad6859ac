/**
 * Shared test helpers: where the real fixture is, and binutils as ground truth.
 * Commands are spawned with argument arrays, never through a shell.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import type { BuildOptions } from 'esbuild';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, realpathSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '..');
/**
 * The real Linux 6.1 build (read-only). KBLOAT_FIXTURE overrides where it is.
 * Its real path, as kbloat names the files of a build (a link to it is resolved).
 */
const GIVEN_FIXTURE = process.env.KBLOAT_FIXTURE ?? path.resolve(REPO, '../shared/fixtures/linux-6.1-tinyconfig-i386');
export const FIXTURE = existsSync(GIVEN_FIXTURE) ? realpathSync(GIVEN_FIXTURE) : GIVEN_FIXTURE;
export const HAVE_FIXTURE = existsSync(path.join(FIXTURE, 'vmlinux'));
export const fixtureSkip = HAVE_FIXTURE ? false : `the Linux 6.1 fixture is not at ${FIXTURE} (set KBLOAT_FIXTURE)`;

export function run(cmd: string, args: string[], cwd?: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 30 });
}

export interface ReadelfSection {
  name: string;
  type: string;
  addr: bigint;
  size: number;
  flags: string;
}

/** `readelf -SW`, parsed: the independent record of the section table. */
export function readelfSections(file: string): ReadelfSection[] {
  const out: ReadelfSection[] = [];
  for (const line of run('readelf', ['-SW', file]).split('\n')) {
    const m = /^\s*\[\s*(\d+)\]\s+(\S*)\s+(\S+)\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+[0-9a-f]+\s+(\S*)\s+\d+\s+\d+\s+\d+$/.exec(line);
    if (m && m[1] !== '0') out.push({ name: m[2], type: m[3], addr: BigInt('0x' + m[4]), size: parseInt(m[5], 16), flags: m[6] });
  }
  return out;
}

export interface NmSymbol {
  addr: bigint;
  size: number;
  type: string;
  name: string;
}

/** `nm -S` (symbols with a size only). */
export function nmSized(file: string): NmSymbol[] {
  const out: NmSymbol[] = [];
  for (const line of run('nm', ['-S', file]).split('\n')) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) (\S) (\S+)$/.exec(line);
    if (m) out.push({ addr: BigInt('0x' + m[1]), size: parseInt(m[2], 16), type: m[3], name: m[4] });
  }
  return out;
}

/** `readelf -sW`: every symbol with its type and binding. */
export function readelfSymbols(file: string): { num: number; value: bigint; size: number; type: string; bind: string; ndx: string; name: string }[] {
  const out = [];
  for (const line of run('readelf', ['-sW', file]).split('\n')) {
    const m = /^\s*(\d+): ([0-9a-f]+)\s+(\d+|0x[0-9a-f]+)\s+(\S+)\s+(\S+)\s+\S+\s+(\S+)\s*(.*)$/.exec(line);
    if (m) out.push({ num: Number(m[1]), value: BigInt('0x' + m[2]), size: Number(m[3]), type: m[4], bind: m[5], ndx: m[6], name: m[7] });
  }
  return out;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `kbloat-${prefix}-`));
}

/** Runs the bundled CLI (dist/cli.js, built by `npm run build`). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(REPO, 'dist/cli.js'), ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: { ...process.env, KBLOAT_CACHE_DIR: tempDir('cache'), ...env },
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * `npm run package` (production bundles, @vscode/vsce), as the Marketplace gets it;
 * returns a copy of the .vsix in a temporary folder, so that tests do not share the file.
 */
export function packageExtension(): string {
  execFileSync('npm', ['run', '--silent', 'package'], { cwd: REPO, stdio: 'pipe', env: { ...process.env, npm_config_yes: 'true' } });
  const copy = path.join(tempDir('vsix'), 'kbloat.vsix');
  copyFileSync(path.join(REPO, 'kbloat.vsix'), copy);
  return copy;
}

/** A size as the editor writes it (`1,234 B`, `12.3 KiB`, `3.6 MiB`), as an interval of bytes it can stand for. */
export function shownBytes(text: string): { min: number; max: number } {
  const m = /([\d,]+(?:\.\d)?) (B|KiB|MiB)\b/.exec(text);
  assert.ok(m, `a size in "${text}"`);
  if (m[2] === 'B') {
    const n = Number(m[1].replace(/,/g, ''));
    return { min: n, max: n };
  }
  const unit = m[2] === 'KiB' ? 1024 : 1024 * 1024;
  const v = Number(m[1]);
  return { min: (v - 0.05) * unit, max: (v + 0.05) * unit };
}

export function assertShows(text: string, bytes: number, what: string): void {
  const { min, max } = shownBytes(text);
  assert.ok(bytes >= min && bytes <= max, `${what}: "${text}" stands for ${bytes} B`);
}

/**
 * Functions of a built-in source file to check sizes of, chosen by rule from
 * `nm -S` of its object: text symbols without compiler clones (`.isra`,
 * `.cold`...), named once in vmlinux, defined on exactly one line of the source;
 * the largest, the median and the smallest. `line` is zero-based; sizes are
 * `nm -S vmlinux`'s.
 */
export function sampleFunctions(buildDir: string, sourcePath: string): { name: string; line: number; size: number }[] {
  const lines = readFileSync(path.join(buildDir, sourcePath), 'utf8').split('\n');
  const inVmlinux = new Map<string, number[]>();
  for (const s of nmSized(path.join(buildDir, 'vmlinux'))) inVmlinux.set(s.name, [...(inVmlinux.get(s.name) ?? []), s.size]);
  const objectSymbols = nmSized(path.join(buildDir, sourcePath.replace(/\.c$/, '.o')));
  const cloned = new Set(objectSymbols.filter((s) => s.name.includes('.')).map((s) => s.name.split('.')[0]));
  const picked = [];
  for (const s of objectSymbols) {
    if (!/^[tT]$/.test(s.type) || s.name.includes('.') || cloned.has(s.name) || inVmlinux.get(s.name)?.length !== 1) continue;
    const definition = new RegExp(`^[^\\s#].*\\b${s.name}\\(`);
    const defs = lines.flatMap((l, i) => (definition.test(l) && !/;\s*$/.test(l) ? [i] : []));
    if (defs.length === 1) picked.push({ name: s.name, line: defs[0], size: inVmlinux.get(s.name)![0] });
  }
  picked.sort((a, b) => b.size - a.size || a.name.localeCompare(b.name));
  assert.ok(picked.length >= 3, `functions to check in ${sourcePath}`);
  return [picked[0], picked[picked.length >> 1], picked[picked.length - 1]];
}

/** esbuild.mjs's options, for a test that bundles entry points into a folder of its own (dist/ is the build's). */
export const BUNDLE_OPTIONS: BuildOptions = {
  absWorkingDir: REPO,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  logLevel: 'warning',
  alias: { 'web-tree-sitter': './node_modules/web-tree-sitter/tree-sitter.cjs' },
};
