/**
 * The kernel's own `conf --olddefconfig` for tests, linked from the Linux 6.1
 * fixture's scripts/kconfig objects: the ground truth for what a configuration
 * becomes.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { configValue, KernelConfig, parseDotConfig } from '../server/src/kbuild/dotconfig';
import { FIXTURE } from './helpers';

/**
 * The kernel's `make olddefconfig`, without the kernel's make: scripts/kconfig/conf
 * linked from the objects the fixture's build left (conf-objs of its Makefile),
 * run over a tree of links to the fixture in which the edited files replace the
 * originals. The three toolchain probes Kconfig runs (`cc-version.sh`,
 * `as-version.sh`, `ld-version.sh`, plus `pahole-version.sh`) are not in the
 * fixture; they answer what the fixture's .config recorded from the real ones.
 */
export class RealConf {
  private conf!: string;
  private env!: NodeJS.ProcessEnv;
  private runs = 0;

  private probes: Record<string, string> = {};

  constructor(private readonly work: string) {}

  setup(): void {
    const mk = readFileSync(path.join(FIXTURE, 'scripts/kconfig/Makefile'), 'utf8').replace(/\\\n/g, ' ');
    const common = /^common-objs\s*:=\s*(.*)$/m.exec(mk)![1].trim().split(/\s+/);
    const objs = /^conf-objs\s*:=\s*(.*)$/m.exec(mk)![1].trim().split(/\s+/).flatMap((o) => (o === '$(common-objs)' ? common : [o]));
    this.conf = path.join(this.work, 'conf');
    execFileSync('gcc', ['-o', this.conf, ...objs.map((o) => path.join(FIXTURE, 'scripts/kconfig', o))]);
    const cfg = parseDotConfig(readFileSync(path.join(FIXTURE, '.config'), 'utf8'));
    const header = /^# Linux\/(\S+) (\S+) Kernel Configuration$/m.exec(readFileSync(path.join(FIXTURE, '.config'), 'utf8'))!;
    this.env = {
      ...process.env,
      srctree: '.',
      ARCH: header[1],
      SRCARCH: ({ i386: 'x86', x86_64: 'x86' } as Record<string, string>)[header[1]] ?? header[1],
      KERNELVERSION: header[2],
      CC: 'gcc',
      LD: 'ld',
      CC_VERSION_TEXT: configValue(cfg, 'CONFIG_CC_VERSION_TEXT').replace(/^"|"$/g, ''),
    };
    const probe = (words: string) => `#!/bin/sh\necho ${words}\n`;
    this.probes = {
      'cc-version.sh': probe(`${configValue(cfg, 'CONFIG_CC_IS_GCC') === 'y' ? 'GCC' : 'Clang'} ${configValue(cfg, 'CONFIG_GCC_VERSION')}`),
      'as-version.sh': probe(`${configValue(cfg, 'CONFIG_AS_IS_GNU') === 'y' ? 'GNU' : 'LLVM'} ${configValue(cfg, 'CONFIG_AS_VERSION')}`),
      'ld-version.sh': probe(`${configValue(cfg, 'CONFIG_LD_IS_BFD') === 'y' ? 'BFD' : 'LLD'} ${configValue(cfg, 'CONFIG_LD_VERSION')}`),
      'pahole-version.sh': probe(configValue(cfg, 'CONFIG_PAHOLE_VERSION')),
    };
  }

  /** A tree of links to the fixture with these tree-relative files replaced; folders on their way are real. */
  tree(edited: Map<string, string>): string {
    const root = path.join(this.work, `tree-${++this.runs}`);
    const real = new Set<string>(['scripts', 'Documentation']);
    for (const rel of edited.keys()) for (let d = path.posix.dirname(rel); d !== '.'; d = path.posix.dirname(d)) real.add(d);
    const fill = (rel: string) => {
      mkdirSync(path.join(root, rel), { recursive: true });
      const from = path.join(FIXTURE, rel);
      if (!existsSync(from)) return;
      for (const e of readdirSync(from)) {
        const r = rel ? `${rel}/${e}` : e;
        if (real.has(r)) fill(r);
        else if (!edited.has(r)) symlinkSync(path.join(FIXTURE, r), path.join(root, r));
      }
    };
    fill('');
    for (const [name, text] of Object.entries(this.probes)) {
      const p = path.join(root, 'scripts', name);
      if (!existsSync(p)) {
        writeFileSync(p, text);
        chmodSync(p, 0o755);
      }
    }
    // lib/Kconfig.debug sources Documentation/Kconfig, which the fixture does not ship.
    if (!existsSync(path.join(root, 'Documentation/Kconfig'))) {
      mkdirSync(path.join(root, 'Documentation'), { recursive: true });
      writeFileSync(path.join(root, 'Documentation/Kconfig'), '');
    }
    for (const [rel, text] of edited) writeFileSync(path.join(root, rel), text);
    return root;
  }

  /** `conf --olddefconfig` of `config` over the tree with `edited` in place: the configuration it writes. */
  async olddefconfig(config: string, edited = new Map<string, string>()): Promise<KernelConfig> {
    const root = this.tree(edited);
    const file = path.join(root, '.config.kbloat');
    writeFileSync(file, config);
    await promisify(execFile)(this.conf, ['--olddefconfig', 'Kconfig'], { cwd: root, env: { ...this.env, KCONFIG_CONFIG: file }, maxBuffer: 1 << 24 });
    return parseDotConfig(readFileSync(file, 'utf8'));
  }
}
