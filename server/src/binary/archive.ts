/**
 * Reader for `ar` archives as Kbuild makes them: `vmlinux.a` (Linux >= 6.1) and the
 * per-directory `built-in.a` (4.13 - 6.0) are *thin* archives (`!<thin>\n`) whose
 * members name object files by path and store no data; `lib.a` may be thin or not.
 * GNU long names (`/NNN` into the `//` table, sometimes with a trailing `/`) are
 * resolved. Nested archives are flattened with a depth bound and cycle detection.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { KbloatInputError } from '../common/errors';

export interface ArchiveMember {
  /** For thin archives: the member's path relative to the archive's directory. */
  name: string;
  size: number;
  /** Offset of the member data in the archive (regular archives only). */
  dataOffset?: number;
}

export interface Archive {
  thin: boolean;
  members: ArchiveMember[];
}

const MAGIC = '!<arch>\n';
const THIN_MAGIC = '!<thin>\n';

export function parseArchive(buf: Buffer, file: string): Archive {
  const fail = (msg: string): never => {
    throw new KbloatInputError('bad-archive', msg, file);
  };
  const magic = buf.toString('latin1', 0, 8);
  if (magic !== MAGIC && magic !== THIN_MAGIC) fail('not an ar archive (bad magic)');
  const thin = magic === THIN_MAGIC;
  const members: ArchiveMember[] = [];
  let longNames: Buffer | undefined;
  let p = 8;
  while (p < buf.length) {
    if (buf[p] === 0x0a) {
      p++; // padding byte between members
      continue;
    }
    if (p + 60 > buf.length) fail(`member header at offset ${p} is truncated`);
    if (buf[p + 58] !== 0x60 || buf[p + 59] !== 0x0a) fail(`member header at offset ${p} has a bad terminator`);
    const rawName = buf.toString('latin1', p, p + 16).trimEnd();
    const sizeText = buf.toString('latin1', p + 48, p + 58).trim();
    if (!/^\d+$/.test(sizeText)) fail(`member header at offset ${p} has a bad size field "${sizeText}"`);
    const size = Number(sizeText);
    const dataOffset = p + 60;
    // The symbol table and the long-name table are always stored, even in thin archives.
    const special = rawName === '/' || rawName === '/SYM64/' || rawName === '//';
    const stored = special || !thin;
    if (stored && dataOffset + size > buf.length) fail(`member at offset ${p} (${size} bytes) runs past the end of the archive`);
    if (rawName === '//') {
      longNames = buf.subarray(dataOffset, dataOffset + size);
    } else if (!special) {
      let name: string;
      const m = /^\/(\d+) *\/?$/.exec(rawName);
      if (m) {
        if (!longNames) throw new KbloatInputError('bad-archive', `member at offset ${p} uses a long name but the archive has no // table`, file);
        const off = Number(m[1]);
        if (off >= longNames.length) fail(`member at offset ${p} has long-name offset ${off} outside the // table`);
        let end = longNames.indexOf(0x0a, off);
        if (end < 0) end = longNames.length;
        name = longNames.toString('utf8', off, end).replace(/\/$/, '');
      } else {
        name = rawName.replace(/\/$/, '');
      }
      members.push({ name, size, dataOffset: thin ? undefined : dataOffset });
    }
    p = dataOffset + (stored ? size : 0);
    if (p % 2 === 1 && stored) p++;
  }
  return { thin, members };
}

/**
 * Lists the object files of a thin archive, relative to `baseDir`, descending into
 * member archives (the built-in.a of subdirectories in 4.13 - 6.0). Regular
 * (non-thin) members are listed by name, as `archive(member)`.
 */
export function listArchiveObjects(archivePath: string, baseDir: string, maxDepth = 64): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const walk = (abs: string, depth: number): void => {
    if (depth > maxDepth) throw new KbloatInputError('bad-archive', `archives nest deeper than ${maxDepth} levels`, abs);
    const real = path.resolve(abs);
    if (seen.has(real)) return; // an archive listed twice, or a cycle
    seen.add(real);
    let buf: Buffer;
    try {
      buf = readFileSync(real);
    } catch (e) {
      throw new KbloatInputError('io', (e as Error).message, abs);
    }
    const ar = parseArchive(buf, path.relative(baseDir, real) || real);
    // Thin members are named relative to the archive's folder.
    const relDir = path.relative(baseDir, path.dirname(real));
    for (const m of ar.members) {
      if (!ar.thin) {
        out.push(`${path.relative(baseDir, real)}(${m.name})`);
        continue;
      }
      if (m.name.endsWith('.a')) walk(path.resolve(path.dirname(real), m.name), depth + 1);
      else if (path.isAbsolute(m.name)) out.push(path.relative(baseDir, m.name));
      else out.push(path.posix.normalize(relDir ? `${relDir}/${m.name}` : m.name));
    }
  };
  walk(archivePath, 0);
  return out;
}
