/**
 * The Kconfig tree of a build's sources, read as make would read it for that
 * build: `SRCARCH` from the configuration's architecture symbol, `ARCH` from
 * the `# Linux/<arch>` header of `.config`. Reading a whole tree takes about a
 * second, so the language server runs this as a job (common/worker.ts) and
 * keeps the answer; the input and the result are plain data.
 */
import * as path from 'node:path';
import { readText } from '../../common/fsRead';
import { KbloatInputError } from '../../common/errors';
import { parseDotConfig } from '../dotconfig';
import { inferSrcArch } from '../makefiles';
import { KconfigTree, parseKconfigTree } from './parser';

export interface BuildKconfigInput {
  sourceDir: string;
  /** The configuration file (`.config`, or `include/config/auto.conf`). */
  config: string;
}

/** The ARCH values whose folder under arch/ has another name. */
const ARCH_FOLDER: Record<string, string> = { i386: 'x86', x86_64: 'x86', sparc32: 'sparc', sparc64: 'sparc', sh64: 'sh', parisc64: 'parisc', ppc: 'powerpc', ppc64: 'powerpc', ppc32: 'powerpc' };

/** Reads the tree; throws KbloatInputError when the architecture or the top Kconfig cannot be found. */
export function readBuildKconfigTree(input: BuildKconfigInput): KconfigTree {
  const text = readText(input.config);
  if (text === undefined) throw new KbloatInputError('bad-config', 'cannot be read', input.config);
  const arch = /^#\s*Linux\/(\S+)\s/m.exec(text.slice(0, 4096))?.[1];
  const srcArch = inferSrcArch(parseDotConfig(text, input.config)) ?? (arch ? (ARCH_FOLDER[arch] ?? arch) : undefined);
  if (!srcArch) throw new KbloatInputError('bad-config', 'names no architecture (no CONFIG_<ARCH>=y, no "Linux/<arch>" header)', input.config);
  return parseKconfigTree((rel) => readText(path.join(input.sourceDir, rel)), { srcArch, arch: arch ?? srcArch });
}
