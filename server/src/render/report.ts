/**
 * `kbloat report`: the build index as a readable table (grouped by directory,
 * file, function or Kconfig symbol) or as the JSON object documented in the README.
 */
import * as path from 'node:path';
import type { BuildIndex, FileEntry } from '../index/model';
import { ClassBytes, SECTION_CLASSES, residentBytes, sumBytes } from '../binary/sections';
import { humanSize } from '../shared/units';
import { warningText } from '../common/warnings';

export type ReportGrouping = 'dir' | 'file' | 'function' | 'config';

/** The JSON form: the documented shape, with modules and not-built files listed too. */
export function reportJson(index: BuildIndex): unknown {
  return {
    build: {
      dir: index.build.dir,
      vmlinux: index.build.vmlinux ?? null,
      arch: index.build.arch,
      elfClass: index.build.elfClass,
      endian: index.build.endian,
      buildId: index.build.buildId ?? null,
      kernelVersion: index.build.kernelVersion ?? null,
      attribution: index.build.attribution,
      estimated: index.build.estimated,
    },
    totals: index.totals,
    sections: index.sections,
    files: index.files.map((f) => ({
      path: f.path,
      object: f.object,
      status: f.status,
      ...(f.module ? { module: f.module } : {}),
      ...(f.reason ? { reason: f.reason } : {}),
      ...(f.config ? { config: f.config } : {}),
      ...(f.generated ? { generated: true } : {}),
      ...(f.builtinModule ? { builtinModule: f.builtinModule } : {}),
      bytes: f.bytes,
      sections: f.sections,
      functions: f.functions,
      variables: f.variables,
    })),
    unattributed: index.unattributed,
    ...(index.inlined ? { inlined: index.inlined } : {}),
    warnings: index.warnings.map(warningText),
  };
}

interface Row {
  label: string;
  bytes: ClassBytes;
  note?: string;
}

function rowsFor(index: BuildIndex, by: ReportGrouping): Row[] {
  const builtIn = index.files.filter((f) => f.status === 'built-in');
  const group = (key: (f: FileEntry) => string[]): Row[] => {
    const m = new Map<string, ClassBytes>();
    for (const f of builtIn) {
      for (const k of key(f)) {
        let b = m.get(k);
        if (!b) m.set(k, (b = {}));
        for (const c of SECTION_CLASSES) if (f.bytes[c]) b[c] = (b[c] ?? 0) + f.bytes[c]!;
      }
    }
    return [...m].map(([label, bytes]) => ({ label, bytes }));
  };
  switch (by) {
    case 'dir':
      return group((f) => [f.generated ? '(generated)' : path.dirname(f.path)]);
    case 'file':
      return builtIn.map((f) => ({ label: f.path, bytes: f.bytes, note: f.reason }));
    case 'config':
      // A file counts for the innermost Kconfig symbol that puts it in vmlinux.
      return group((f) => [f.config?.length ? f.config[0].name : f.generated ? '(generated)' : '(always built in)']);
    case 'function': {
      const rows: Row[] = [];
      for (const f of builtIn) {
        for (const fn of [...f.functions, ...f.variables]) {
          const cls = sectionClassOf(index, fn.section);
          rows.push({ label: `${fn.name}${fn.parts ? ` (${fn.parts.filter((p) => !p.alias).length} parts)` : ''}`, bytes: { [cls]: fn.size }, note: f.path });
        }
      }
      return rows;
    }
  }
}

function sectionClassOf(index: BuildIndex, section: string): (typeof SECTION_CLASSES)[number] {
  return index.sections.find((s) => s.name === section)?.cls ?? 'text';
}

export function reportTable(index: BuildIndex, by: ReportGrouping, top: number): string {
  const rows = rowsFor(index, by).sort((a, b) => sumBytes(b.bytes) - sumBytes(a.bytes) || a.label.localeCompare(b.label));
  const shown = rows.slice(0, top);
  const out: string[] = [];
  const b = index.build;
  out.push(`kernel: ${b.kernelVersion ?? 'unknown version'} · ${b.arch} ELF${b.elfClass} ${b.endian}-endian · build-id ${b.buildId ?? 'none'}`);
  out.push(`build:  ${b.dir}${b.sourceDir !== b.dir ? ` (sources in ${b.sourceDir})` : ''} · attribution from ${b.attribution}${b.estimated ? ' (sizes are ESTIMATES)' : ''}`);
  out.push('');
  const classes = SECTION_CLASSES.filter((c) => rows.some((r) => r.bytes[c]));
  // The last column says why a file is built in, or where a symbol lives.
  const noteHeader = by === 'file' ? 'why built in' : by === 'function' ? 'file' : '';
  const header = [by === 'function' ? 'function or variable' : by, 'total', 'resident', ...classes, noteHeader];
  const table: string[][] = [header];
  for (const r of shown) {
    table.push([r.label, humanSize(sumBytes(r.bytes)), humanSize(residentBytes(r.bytes)), ...classes.map((c) => (r.bytes[c] ? humanSize(r.bytes[c]!) : '-')), r.note ?? '']);
  }
  if (rows.length > shown.length) table.push([`… ${rows.length - shown.length} more`, '', '', ...classes.map(() => ''), '']);
  out.push(...alignTable(table));
  out.push('');
  const t = index.totals;
  out.push(`kernel proper: image ${humanSize(t.image)} · resident ${humanSize(t.resident)} · init (freed after boot) ${humanSize(t.init)}`);
  out.push('by class:      ' + SECTION_CLASSES.filter((c) => t.sections[c]).map((c) => `${c} ${humanSize(t.sections[c]!)}`).join(' · '));
  const unattributed = Object.values(index.unattributed).reduce((a, n) => a + n, 0);
  out.push(`unattributed:  ${humanSize(unattributed)} (padding and linker-generated data)`);
  const counts = { 'built-in': 0, module: 0, 'not-built': 0 };
  for (const f of index.files) counts[f.status]++;
  out.push(`files:         ${counts['built-in']} built in · ${counts.module} in modules · ${counts['not-built']} not built`);
  for (const w of index.warnings) out.push(`warning: ${warningText(w)}`);
  return out.join('\n') + '\n';
}


export function alignTable(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const last = rows[0].length - 1;
  return rows.map((r) => r.map((cell, i) => (i === 0 || i === last ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd());
}
