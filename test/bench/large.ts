/**
 * `npm run bench -- --large` (opt-in, never in CI): Linux 6.1 x86_64 `defconfig`
 * built once from Debian's linux-source-6.1 into the bench's cache folder
 * ($KBLOAT_BENCH_CACHE, else ~/.cache/kbloat-bench) as an O= build, then the
 * targets of issue 16 measured on it, each printed with its target:
 *  - the build-tree index cold (`kbloat report --json --no-cache`) and warm (from
 *    the cache), whole processes, as ratios to `nm --size-sort -S vmlinux` in the
 *    same run, and their peak RSS;
 *  - the DWARF index of Debian's debug vmlinux, when `npm run bench -- --distro`
 *    has downloaded it;
 *  - the language server's first lens after the index is ready, and the lens
 *    answers after edits of kernel/fork.c and mm/slub.c while another process
 *    keeps one core busy;
 *  - the Modularize analysis on the warm index.
 * Every measurement runs in a fresh child process. make and tar are spawned with
 * argument arrays, never through a shell.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { benchCache, finishedBuild, linuxSource } from './kernelCache';

const repo = path.resolve(__dirname, '../..');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
}

/** The defconfig build folder, built first when it is not there (about 40 minutes on 2 cores). */
function defconfigBuild(): string {
  // Another build to measure the same way (a dry run of the bench on a smaller tree).
  if (process.env.KBLOAT_BENCH_LARGE_BUILD) return path.resolve(process.env.KBLOAT_BENCH_LARGE_BUILD);
  const out = path.join(benchCache(), 'defconfig-x86_64');
  if (finishedBuild(out)) return out;
  const src = linuxSource();
  const jobs = String(os.cpus().length);
  console.log(`building Linux 6.1 x86_64 defconfig into ${out} with make -j${jobs} (about 40 minutes on 2 cores; once)`);
  mkdirSync(out, { recursive: true });
  if (!existsSync(path.join(out, '.config'))) execFileSync('make', ['-C', src, `O=${out}`, 'defconfig'], { stdio: 'inherit' });
  execFileSync('make', ['-C', src, `O=${out}`, `-j${jobs}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (!finishedBuild(out)) throw new Error(`make left no vmlinux in ${out}`);
  return out;
}

interface ProcessRun {
  ms: number;
  /** User + system CPU time (all threads): steadier than wall time on a shared machine. */
  cpuMs: number;
  maxRssMiB: number;
}

const TIME = '/usr/bin/time';
const haveTime = existsSync(TIME);

/**
 * Runs a command as a whole process: wall time, and with GNU time its CPU time
 * and peak RSS (worker threads included), which nm is measured with too.
 */
function timeProcess(cmd: string, args: string[], env: NodeJS.ProcessEnv, tmp: string): ProcessRun {
  const usage = path.join(tmp, `usage-${process.hrtime.bigint()}`);
  const [file, argv] = haveTime ? [TIME, ['-o', usage, '-f', '%U %S %M', cmd, ...args]] : [cmd, args];
  const t = process.hrtime.bigint();
  const r = spawnSync(file, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  if (!haveTime) return { ms, cpuMs: NaN, maxRssMiB: NaN };
  const [user, sys, rssKiB] = readFileSync(usage, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  rmSync(usage);
  return { ms, cpuMs: (user + sys) * 1000, maxRssMiB: rssKiB / 1024 };
}

function timeNode(args: string[], env: NodeJS.ProcessEnv, tmp: string): ProcessRun {
  return timeProcess(process.execPath, args, env, tmp);
}

function timeNm(vmlinux: string, tmp: string): ProcessRun {
  return timeProcess('nm', ['--size-sort', '-S', vmlinux], {}, tmp);
}

function row(label: string, runs: ProcessRun[], nm: ProcessRun, target: string): string {
  const ms = median(runs.map((r) => r.ms));
  const cpu = median(runs.map((r) => r.cpuMs));
  const rss = Math.max(...runs.map((r) => r.maxRssMiB));
  return `${label.padEnd(26)} ${ms.toFixed(0).padStart(6)} ms = ${(ms / nm.ms).toFixed(2).padStart(5)}x nm   CPU ${cpu.toFixed(0).padStart(5)} ms = ${(cpu / nm.cpuMs).toFixed(2).padStart(5)}x nm's   peak RSS ${rss.toFixed(0).padStart(4)} MiB   — ${target}`;
}

function indexBench(build: string, tmp: string): { cache: string } {
  const vmlinux = path.join(build, 'vmlinux');
  timeNm(vmlinux, tmp); // the page cache warm for both sides
  const nms: ProcessRun[] = [];
  const cache = mkdtempSync(path.join(tmp, 'cache-'));
  const env = { KBLOAT_CACHE_DIR: cache };
  const cli = path.join(repo, 'dist/cli.js');
  const report = (extra: string[]): string[] => [cli, 'report', build, ...extra];
  const load = (noCache: boolean): string[] => ['-e', `require(${JSON.stringify(path.join(repo, 'test/bench/load.js'))}).loadIndex(${JSON.stringify(build)}, { noCache: ${noCache} })`];
  // What a rebuilt vmlinux meets: no index entry, the Kbuild facts of the same Makefiles kept.
  const dropIndexEntries = (): void => {
    for (const f of readdirSync(cache)) if (!f.startsWith('kbuild-')) rmSync(path.join(cache, f));
  };
  const kinds = {
    cold: [] as ProcessRun[],
    rebuilt: [] as ProcessRun[],
    warm: [] as ProcessRun[],
    cliCold: [] as ProcessRun[],
    cliWarm: [] as ProcessRun[],
    cliText: [] as ProcessRun[],
  };
  // Interleaved, so that a change in the machine's load touches every row and nm alike.
  for (let i = 0; i < RUNS; i++) {
    nms.push(timeNm(vmlinux, tmp));
    kinds.cold.push(timeNode(load(true), env, tmp));
    kinds.cliCold.push(timeNode(report(['--json', '--no-cache']), env, tmp));
    timeNode(load(false), env, tmp); // the facts and the index entry
    kinds.warm.push(timeNode(load(false), env, tmp));
    kinds.cliWarm.push(timeNode(report(['--json']), env, tmp));
    kinds.cliText.push(timeNode(report([]), env, tmp));
    dropIndexEntries();
    kinds.rebuilt.push(timeNode(load(false), env, tmp));
    nms.push(timeNm(vmlinux, tmp));
  }
  const nm = { ms: median(nms.map((r) => r.ms)), cpuMs: median(nms.map((r) => r.cpuMs)), maxRssMiB: Math.max(...nms.map((r) => r.maxRssMiB)) };
  console.log(`build: ${build}`);
  console.log(`nm --size-sort -S vmlinux: ${nm.ms.toFixed(0)} ms, CPU ${nm.cpuMs.toFixed(0)} ms (medians of ${nms.length}, interleaved with the runs below; whole processes, medians of ${RUNS})`);
  console.log(row('index cold (--no-cache)', kinds.cold, nm, 'target <= 2x nm, <= 200 MiB'));
  console.log(row('index after a rebuild', kinds.rebuilt, nm, 'vmlinux changed, Makefiles not: Kbuild facts kept'));
  console.log(row('index warm (cached)', kinds.warm, nm, 'target <= 0.5x nm'));
  console.log(row('report --json --no-cache', kinds.cliCold, nm, 'the CLI, cold, the whole index printed'));
  console.log(row('report --json, warm', kinds.cliWarm, nm, 'the CLI, warm, the whole index printed'));
  console.log(row('report (text), warm', kinds.cliText, nm, 'the CLI, warm, the top files'));
  return { cache };
}

/** The Modularize analysis on the warm index, in a child: load + report. */
function modularizeBench(build: string, cache: string): void {
  const script = `
    const { loadIndex, ModularizeAnalysis } = require(${JSON.stringify(path.join(repo, 'test/bench/load.js'))});
    const { index } = loadIndex(${JSON.stringify(build)}, {});
    const t0 = process.hrtime.bigint();
    const r = ModularizeAnalysis.load(index).report();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    process.stdout.write(JSON.stringify({ ms, candidates: r.candidates.length }));
  `;
  const runs = Array.from({ length: 3 }, () => {
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, KBLOAT_CACHE_DIR: cache } });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout) as { ms: number; candidates: number };
  });
  console.log(`modularize analysis (load + report, ${runs[0].candidates} candidates): median ${median(runs.map((r) => r.ms)).toFixed(0)} ms — target <= 2000 ms`);
}

/** Keeps one core busy until stopped: the latency figures are taken with the machine loaded. */
function busyCore(): { stop: () => void } {
  const child = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  return { stop: () => void child.kill() };
}

async function lspBench(build: string): Promise<void> {
  const { startServer } = await import('../lspClient');
  // An O= build's sources are behind its `source` link: the workspace is the source tree.
  let source = build;
  try {
    source = realpathSync(path.join(build, 'source'));
  } catch {
    // An in-tree build.
  }
  const server = await startServer(source, { buildDirectory: build });
  const busy = busyCore();
  try {
    const t0 = process.hrtime.bigint();
    await server.waitForStatus((s) => s.state === 'ready', 600_000);
    const readyMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.process.pid}/status`, 'utf8'))?.[1];
    console.log(`language server: ready ${readyMs.toFixed(0)} ms after start (cold index in its worker), RSS then ${rss ? (Number(rss) / 1024).toFixed(0) : '?'} MiB; one core kept busy`);
    let first = true;
    for (const rel of ['kernel/fork.c', 'mm/slub.c']) {
      const file = path.join(source, rel);
      if (!existsSync(file)) continue;
      const t1 = process.hrtime.bigint();
      const { uri, text } = await server.open(file);
      const lenses: unknown[] = await server.connection.sendRequest('textDocument/codeLens', { textDocument: { uri } });
      const firstMs = Number(process.hrtime.bigint() - t1) / 1e6;
      console.log(`${first ? 'first lens' : 'lens on opening'}: ${firstMs.toFixed(0)} ms after opening ${rel} (${text.split('\n').length} lines, ${lenses.length} lenses)${first ? ' — target <= 300 ms after the index is ready' : ''}`);
      first = false;
      const times: number[] = [];
      for (let i = 0; i < 60; i++) {
        const t = process.hrtime.bigint();
        await server.connection.sendNotification('textDocument/didChange', {
          textDocument: { uri, version: i + 2 },
          contentChanges: [{ range: { start: { line: 40 + i, character: 0 }, end: { line: 40 + i, character: 0 } }, text: '/* edit */\n' }],
        });
        await server.connection.sendRequest('textDocument/codeLens', { textDocument: { uri } });
        times.push(Number(process.hrtime.bigint() - t) / 1e6);
        // A keystroke every 50 ms or so, as a typist would.
        await new Promise((r) => setTimeout(r, 50));
      }
      console.log(`lens after an edit of ${rel}: median ${median(times).toFixed(1)} ms, p95 ${percentile(times, 0.95).toFixed(1)} ms — target p95 <= 30 ms`);
    }
  } finally {
    busy.stop();
    await server.stop();
  }
}

/** The DWARF index of Debian's debug vmlinux, when `npm run bench -- --distro` downloaded it. */
async function dwarfBench(): Promise<void> {
  const { cachedDebianVmlinux, bench } = await import('./distro');
  const vmlinux = cachedDebianVmlinux();
  if (!vmlinux) {
    console.log('DWARF index of a distro debug vmlinux: not measured (run `npm run bench -- --distro` once to download it) — target <= 4x nm, <= 250 MiB');
    return;
  }
  bench('DWARF index, Debian debug vmlinux', vmlinux, 3);
  console.log('targets: cold <= 4x nm -S, peak RSS <= 250 MiB');
}

export async function largeBench(): Promise<void> {
  const build = defconfigBuild();
  execFileSync(process.execPath, [path.join(repo, 'esbuild.mjs'), '--bench'], { cwd: repo, stdio: 'inherit' });
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'kbloat-bench-large-'));
  try {
    console.log(`load average before: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} CPUs`);
    const { cache } = indexBench(build, tmp);
    modularizeBench(build, cache);
    await dwarfBench();
    await lspBench(build);
    console.log(`load average after: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
