/**
 * Lookups over one build index for the places where options are written
 * (Kconfig entries, `.config` lines, Makefile object lines, `#if` blocks and
 * trace events), made once per index from the files' Kconfig chains and
 * objects: the index is read as it is, nothing is re-indexed. What the editor
 * says with them is in render/optionLensText.ts.
 *
 * A file counts for a Kconfig symbol as `kbloat report --by config` counts it:
 * for the innermost symbol on its Makefile chain (`own`). The files whose
 * chain names the symbol further out (`CONFIG_INPUT` for
 * `drivers/input/keyboard/atkbd.o`, built by `CONFIG_KEYBOARD_ATKBD` in a
 * folder `CONFIG_INPUT` enters) are `nested`: turning the symbol off takes
 * them along.
 */
import * as path from 'node:path';
import type { FileEntry, FunctionEntry } from './model';
import type { IndexLookups } from './lookups';
import { sumBytes } from '../binary/sections';

/** Built-in and module files of one Kconfig symbol. */
export interface SymbolFiles {
  /** Built-in files whose innermost Kconfig symbol it is. */
  own: FileEntry[];
  /** Built-in files whose chain names it further out. */
  nested: FileEntry[];
  /** Files in modules whose chain names it, by module. */
  modules: Map<string, FileEntry[]>;
}

/** What the built-in objects under one folder add up to. */
export interface FolderBytes {
  bytes: number;
  files: number;
  /** Modules with objects under the folder. */
  modules: Set<string>;
}

/** A symbol the trace-event machinery generates, where the index has it. */
export interface TraceSymbol {
  file: FileEntry;
  entry: FunctionEntry;
  kind: 'function' | 'variable';
}

/**
 * Name prefixes of what `TRACE_EVENT()` and friends generate (include/trace/
 * trace_events.h, perf.h, bpf_probe.h, include/linux/tracepoint.h), for an event
 * or its class: code (`trace_event_raw_event_<class>`, `perf_trace_<class>`,
 * `trace_raw_output_<class>`, `__bpf_trace_<class>`, `__traceiter_<event>`,
 * the static-call trampoline `__SCT__tp_func_<event>`) and data (`event_<event>`,
 * `event_class_<class>`, `__tracepoint_<event>`, `print_fmt_<class>`...).
 */
export const TRACE_PREFIXES = {
  eventCode: ['__traceiter_', '__SCT__tp_func_'],
  eventData: ['__tracepoint_', '__tpstrtab_', 'event_', '__event_', '__SCK__tp_func_', '__bpf_trace_tp_map_'],
  classCode: ['trace_event_raw_event_', 'perf_trace_', 'trace_raw_output_', '__bpf_trace_'],
  classData: ['event_class_', 'trace_event_fields_', 'trace_event_type_funcs_', 'print_fmt_'],
} as const;

const TRACE_NAME = new RegExp(`^(?:${Object.values(TRACE_PREFIXES).flat().map((p) => p.replace(/[$]/g, '\\$&')).join('|')})`);

const RANK = { 'built-in': 0, module: 1, 'not-built': 2 } as const;

export class OptionLookups {
  private readonly bySymbol = new Map<string, SymbolFiles>();
  private readonly byObject = new Map<string, FileEntry>();
  private readonly folders = new Map<string, FolderBytes>();
  private readonly trace = new Map<string, TraceSymbol[]>();

  constructor(readonly lookups: IndexLookups) {
    const symbol = (name: string): SymbolFiles => {
      let s = this.bySymbol.get(name);
      if (!s) this.bySymbol.set(name, (s = { own: [], nested: [], modules: new Map() }));
      return s;
    };
    for (const f of lookups.index.files) {
      const seen = this.byObject.get(f.object);
      if (!seen || RANK[f.status] < RANK[seen.status]) this.byObject.set(f.object, f);
      if (f.status === 'not-built') continue;
      const chain = f.config ?? [];
      if (f.status === 'built-in') {
        chain.forEach((c, i) => (i === 0 ? symbol(c.name).own : symbol(c.name).nested).push(f));
        if (!f.generated) {
          const bytes = sumBytes(f.bytes);
          for (let d = path.posix.dirname(f.object); d !== '.' && d !== '/' && d !== ''; d = path.posix.dirname(d)) {
            const folder = this.folder(d);
            folder.bytes += bytes;
            folder.files++;
          }
        }
      } else {
        for (const c of chain) {
          const m = symbol(c.name).modules;
          const module = f.module ?? '(module)';
          m.set(module, [...(m.get(module) ?? []), f]);
        }
        for (let d = path.posix.dirname(f.object); d !== '.' && d !== '/' && d !== ''; d = path.posix.dirname(d)) this.folder(d).modules.add(f.module ?? '(module)');
      }
      for (const [list, kind] of [[f.functions, 'function'], [f.variables, 'variable']] as const) {
        for (const entry of list) {
          if (!TRACE_NAME.test(entry.name)) continue;
          const at = this.trace.get(entry.name);
          const t: TraceSymbol = { file: f, entry, kind };
          if (at) at.push(t);
          else this.trace.set(entry.name, [t]);
        }
      }
    }
  }

  private folder(dir: string): FolderBytes {
    let f = this.folders.get(dir);
    if (!f) this.folders.set(dir, (f = { bytes: 0, files: 0, modules: new Set() }));
    return f;
  }

  /** The files of `CONFIG_X` (with the prefix). */
  symbol(name: string): SymbolFiles {
    return this.bySymbol.get(name) ?? { own: [], nested: [], modules: new Map() };
  }

  /** The entry of a build-relative object path (`drivers/hid/hid-core.o`): built in over module over not built. */
  object(objectPath: string): FileEntry | undefined {
    return this.byObject.get(path.posix.normalize(objectPath));
  }

  /** Built-in bytes and modules of the objects under a build-relative folder (`drivers/hid`). */
  folderBytes(dir: string): FolderBytes | undefined {
    return this.folders.get(path.posix.normalize(dir).replace(/\/+$/, ''));
  }

  /** The places of a generated trace symbol (`perf_trace_task_newtask`): usually one file. */
  traceSymbol(name: string): TraceSymbol[] {
    return this.trace.get(name) ?? [];
  }
}

const made = new WeakMap<IndexLookups, OptionLookups>();

/** The option lookups of an index, made on first use and kept as long as the index's lookups are. */
export function optionLookupsOf(lookups: IndexLookups): OptionLookups {
  let o = made.get(lookups);
  if (!o) made.set(lookups, (o = new OptionLookups(lookups)));
  return o;
}
