/**
 * `npm run bench`: indexes the real fixture cold (no cache) and warm (from the
 * cache) and prints each time as a ratio to `nm --size-sort -S vmlinux` measured
 * on the same machine in the same run, plus peak memory. Each measurement runs in
 * a fresh child process so that one does not warm the next one's heap.
 * Targets (issue 2): cold <= 5x nm, warm <= 1x nm.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const repo = path.resolve(__dirname, '../..');
const build = process.argv[2] ?? process.env.KBLOAT_FIXTURE ?? path.resolve(repo, '../shared/fixtures/linux-6.1-tinyconfig-i386');
const vmlinux = path.join(build, 'vmlinux');
const RUNS = Number(process.env.BENCH_RUNS ?? 7);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeNm(): number {
  const t = process.hrtime.bigint();
  execFileSync('nm', ['--size-sort', '-S', vmlinux], { maxBuffer: 1 << 30, stdio: ['ignore', 'ignore', 'inherit'] });
  return Number(process.hrtime.bigint() - t) / 1e6;
}

interface ChildResult {
  indexMs: number;
  processMs: number;
  maxRssMiB: number;
  fromCache: boolean;
}

/** Runs one indexing in a child: the in-process index time, the whole process time, peak RSS. */
function timeIndex(cache: string, noCache: boolean): ChildResult {
  const script = `
    const t0 = process.hrtime.bigint();
    const { loadIndex } = require(${JSON.stringify(path.join(repo, 'test/bench/load.js'))});
    const r = loadIndex(${JSON.stringify(build)}, { noCache: ${noCache} });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    process.stdout.write(JSON.stringify({ indexMs: ms, fromCache: r.fromCache, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
  `;
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, KBLOAT_CACHE_DIR: cache } });
  const processMs = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(r.stderr);
  return { ...JSON.parse(r.stdout), processMs };
}

function main(): void {
  // The bench module is bundled by esbuild like the CLI, so it measures shipped code.
  execFileSync(process.execPath, [path.join(repo, 'esbuild.mjs'), '--bench'], { cwd: repo, stdio: 'inherit' });
  timeNm(); // warm the page cache for both sides
  const nm = median(Array.from({ length: RUNS }, timeNm));
  const cache = mkdtempSync(path.join(os.tmpdir(), 'kbloat-bench-'));
  const cold = Array.from({ length: Math.max(3, Math.floor(RUNS / 2)) }, () => timeIndex(cache, true));
  timeIndex(cache, false); // fills the cache
  const warm = Array.from({ length: RUNS }, () => timeIndex(cache, false));
  if (!warm.every((w) => w.fromCache)) throw new Error('warm runs did not come from the cache');
  const row = (label: string, rs: ChildResult[]): string => {
    const idx = median(rs.map((r) => r.indexMs));
    const proc = median(rs.map((r) => r.processMs));
    const rss = Math.max(...rs.map((r) => r.maxRssMiB));
    return `${label.padEnd(6)} index ${idx.toFixed(1).padStart(7)} ms = ${(idx / nm).toFixed(2).padStart(5)}x nm   whole process ${proc.toFixed(1).padStart(7)} ms = ${(proc / nm).toFixed(2).padStart(5)}x nm   peak RSS ${rss.toFixed(0)} MiB`;
  };
  console.log(`build: ${build}`);
  console.log(`nm --size-sort -S vmlinux: ${nm.toFixed(1)} ms (median of ${RUNS})`);
  console.log(row('cold', cold));
  console.log(row('warm', warm));
  console.log('targets: cold <= 5x nm, warm <= 1x nm (index time; whole process adds Node start-up)');
}

main();
