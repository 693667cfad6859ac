/**
 * `npm run bench -- --distro` (opt-in, never in CI: it downloads ~280 MB once):
 * Debian's linux-image-cloud-amd64-dbg, fetched with `apt-get download` into a
 * cache folder outside the repository ($XDG_CACHE_HOME/kbloat-bench), its
 * vmlinux (and System.map) taken out with dpkg-deb, then indexed from DWARF alone
 * cold (no index cache) and warm (from the cache), each in a fresh child process,
 * against `nm -S` on the same file. The fixture's vmlinux is indexed the same way.
 * Targets (issue 9): cold <= 3 s and <= 300 MB peak RSS on the Debian vmlinux.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const repo = path.resolve(__dirname, '../..');
const META = 'linux-image-cloud-amd64-dbg';

/** The bench's cache folder: $KBLOAT_BENCH_CACHE, else kbloat-bench in $XDG_CACHE_HOME or ~/.cache. */
function downloads(): string {
  const base = process.env.KBLOAT_BENCH_CACHE || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'kbloat-bench');
  const dir = path.join(base, 'debian');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The Debian debug vmlinux when an earlier `--distro` run downloaded and extracted it (nothing is downloaded here). */
export function cachedDebianVmlinux(): string | undefined {
  const boot = path.join(downloads(), 'usr/lib/debug/boot');
  const vmlinux = existsSync(boot) ? readdirSync(boot).find((f) => f.startsWith('vmlinux-')) : undefined;
  return vmlinux ? path.join(boot, vmlinux) : undefined;
}

/** The versioned package the meta package depends on (linux-image-6.1.0-NN-cloud-amd64-dbg). */
function versionedPackage(): string {
  const out = execFileSync('apt-cache', ['depends', META], { encoding: 'utf8' });
  const dep = /Depends:\s+(linux-image-\S+-dbg)/.exec(out)?.[1];
  if (!dep) throw new Error(`apt-cache depends ${META} names no linux-image-*-dbg package (is a Debian archive in sources.list?)`);
  return dep;
}

async function extract(deb: string, into: string): Promise<void> {
  // Only the boot files: `dpkg-deb -x` would also unpack ~1.2 GB of module debug files.
  const unpack = spawn('dpkg-deb', ['--fsys-tarfile', deb], { stdio: ['ignore', 'pipe', 'inherit'] });
  const tar = spawn('tar', ['-x', '-C', into, '--wildcards', './usr/lib/debug/boot/*'], { stdio: [unpack.stdout, 'inherit', 'inherit'] });
  await new Promise<void>((resolve, reject) => tar.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar exited with ${code}`)))));
}

async function debianVmlinux(): Promise<string> {
  const dir = downloads();
  const pkg = versionedPackage();
  let deb = readdirSync(dir).find((f) => f.startsWith(pkg + '_') && f.endsWith('.deb'));
  if (!deb) {
    console.log(`downloading ${pkg} (~280 MB) into ${dir}`);
    execFileSync('apt-get', ['download', pkg], { cwd: dir, stdio: 'inherit' });
    deb = readdirSync(dir).find((f) => f.startsWith(pkg + '_') && f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${pkg} left no .deb in ${dir}`);
  }
  const boot = path.join(dir, 'usr/lib/debug/boot');
  let vmlinux = existsSync(boot) ? readdirSync(boot).find((f) => f.startsWith('vmlinux-')) : undefined;
  if (!vmlinux) {
    await extract(path.join(dir, deb), dir);
    vmlinux = readdirSync(boot).find((f) => f.startsWith('vmlinux-'));
    if (!vmlinux) throw new Error(`${deb} holds no usr/lib/debug/boot/vmlinux-*`);
  }
  return path.join(boot, vmlinux);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeNm(vmlinux: string): number {
  const t = process.hrtime.bigint();
  execFileSync('nm', ['-S', vmlinux], { maxBuffer: 1 << 30, stdio: ['ignore', 'ignore', 'inherit'] });
  return Number(process.hrtime.bigint() - t) / 1e6;
}

interface Run {
  indexMs: number;
  /** CPU time of the child (user + system): steadier than wall time on a shared machine. */
  cpuMs: number;
  maxRssMiB: number;
  fromCache: boolean;
  files: number;
}

function timeIndex(vmlinux: string, cache: string, noCache: boolean): Run {
  const script = `
    const t0 = process.hrtime.bigint();
    const { loadDistroIndex } = require(${JSON.stringify(path.join(repo, 'test/bench/load.js'))});
    const r = loadDistroIndex({ vmlinux: ${JSON.stringify(vmlinux)}, noCache: ${noCache} });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const u = process.resourceUsage();
    process.stdout.write(JSON.stringify({ indexMs: ms, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000, fromCache: r.fromCache, files: r.index.files.length, maxRssMiB: u.maxRSS / 1024 }));
  `;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, KBLOAT_CACHE_DIR: cache } });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Run;
}

export function bench(label: string, vmlinux: string, runs: number): void {
  timeNm(vmlinux); // page cache warm for both sides
  const nm = median(Array.from({ length: runs }, () => timeNm(vmlinux)));
  const cache = mkdtempSync(path.join(os.tmpdir(), 'kbloat-bench-distro-'));
  try {
    const cold = Array.from({ length: runs }, () => timeIndex(vmlinux, cache, true));
    timeIndex(vmlinux, cache, false);
    const warm = Array.from({ length: runs }, () => timeIndex(vmlinux, cache, false));
    if (!warm.every((w) => w.fromCache)) throw new Error('warm runs did not come from the cache');
    const row = (what: string, rs: Run[]): string => {
      const ms = median(rs.map((r) => r.indexMs));
      const cpu = median(rs.map((r) => r.cpuMs));
      return `  ${what} ${ms.toFixed(0).padStart(6)} ms = ${(ms / nm).toFixed(2).padStart(5)}x nm -S   whole process CPU ${cpu.toFixed(0)} ms   peak RSS ${Math.max(...rs.map((r) => r.maxRssMiB)).toFixed(0)} MiB`;
    };
    console.log(`${label}: ${vmlinux} (${cold[0].files} files)`);
    console.log(`  nm -S ${nm.toFixed(0).padStart(6)} ms (median of ${runs})`);
    console.log(row('cold ', cold));
    console.log(row('warm ', warm));
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

export async function distroBench(fixtureVmlinux: string | undefined): Promise<void> {
  execFileSync(process.execPath, [path.join(repo, 'esbuild.mjs'), '--bench'], { cwd: repo, stdio: 'inherit' });
  const runs = Number(process.env.BENCH_RUNS ?? 5);
  if (fixtureVmlinux && existsSync(fixtureVmlinux)) bench('fixture, DWARF only', fixtureVmlinux, runs);
  bench('Debian linux-image-cloud-amd64-dbg', await debianVmlinux(), runs);
  console.log(`load average while measuring: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} CPUs`);
  console.log('targets: Debian cold <= 3000 ms and <= 300 MiB peak RSS (Bloaty -d compileunits: 11.7 s, 723 MB)');
}
