/**
 * Trace events as the kernel writes them: the `TRACE_EVENT()`,
 * `DECLARE_EVENT_CLASS()` and `DEFINE_EVENT()` family in a trace header, and
 * the `#include` of such a header under `#define CREATE_TRACE_POINTS` in the
 * one C file that instantiates it. Read from the text with comments blanked
 * (c/blank.ts); macros are not expanded, so an event whose name a macro makes
 * is not found.
 */
import * as path from 'node:path';
import { blankCommentsAndStrings } from '../c/blank';

export interface TraceEventDecl {
  /** The macro as written: `TRACE_EVENT`, `DEFINE_EVENT_PRINT`... */
  macro: string;
  /** What it declares: an event with its own class, an event class, an event of a class. */
  kind: 'event' | 'class' | 'class-event';
  /** The event's name (for a class: the class's). */
  name: string;
  /** The class whose code the event uses (its own name for `TRACE_EVENT`). */
  eventClass: string;
  /** True when the event has an output function of its own (`TRACE_EVENT`, `DEFINE_EVENT_PRINT`). */
  ownOutput: boolean;
  /** Zero-based line and character of the macro. */
  line: number;
  character: number;
}

/** Macro → how its arguments read: the class, the event, and whether the event makes code. */
const MACROS: Record<string, { kind: TraceEventDecl['kind']; ownOutput: boolean }> = {
  TRACE_EVENT: { kind: 'event', ownOutput: true },
  TRACE_EVENT_FN: { kind: 'event', ownOutput: true },
  TRACE_EVENT_FN_COND: { kind: 'event', ownOutput: true },
  TRACE_EVENT_CONDITION: { kind: 'event', ownOutput: true },
  DECLARE_EVENT_CLASS: { kind: 'class', ownOutput: true },
  DEFINE_EVENT: { kind: 'class-event', ownOutput: false },
  DEFINE_EVENT_FN: { kind: 'class-event', ownOutput: false },
  DEFINE_EVENT_CONDITION: { kind: 'class-event', ownOutput: false },
  DEFINE_EVENT_PRINT: { kind: 'class-event', ownOutput: true },
};

const DECL = new RegExp(`^[ \\t]*(${Object.keys(MACROS).join('|')})[ \\t]*\\(\\s*(\\w+)\\s*(?:,\\s*(\\w+))?`, 'gm');

/** The trace events a header declares, in order. */
export function traceEventsIn(text: string): TraceEventDecl[] {
  const blank = blankCommentsAndStrings(text);
  const lineStarts = [0];
  for (let i = 0; i < blank.length; i++) if (blank.charCodeAt(i) === 10) lineStarts.push(i + 1);
  // Lines of a `#define` body (`DEFINE_EVENT(cls, name, …)` in a helper macro): the events it makes have a macro's name.
  const lines = blank.split('\n');
  const inDefine = new Uint8Array(lines.length);
  for (let i = 0, open = false; i < lines.length; i++) {
    const starts = /^\s*#\s*define\b/.test(lines[i]);
    if (open || starts) inDefine[i] = 1;
    open = (open || starts) && /\\\s*$/.test(lines[i]);
  }
  const out: TraceEventDecl[] = [];
  for (const m of blank.matchAll(DECL)) {
    const macro = m[1];
    const { kind, ownOutput } = MACROS[macro];
    const at = m.index! + m[0].indexOf(macro);
    let line = lineStarts.length - 1;
    while (lineStarts[line] > at) line--;
    if (inDefine[line]) continue;
    if (kind === 'class-event' && !m[3]) continue;
    const name = kind === 'class-event' ? m[3] : m[2];
    out.push({ macro, kind, name, eventClass: m[2], ownOutput, line, character: at - lineStarts[line] });
  }
  return out;
}

export interface TracePointInclude {
  /** Zero-based line of the `#include`. */
  line: number;
  /** As written between the quotes or brackets. */
  written: string;
  angled: boolean;
}

/**
 * The `#include`s of a C file that instantiate trace events: those after a
 * `#define CREATE_TRACE_POINTS` and before its `#undef`.
 */
export function createTracePointIncludes(text: string): TracePointInclude[] {
  const lines = text.split(/\r?\n/);
  const out: TracePointInclude[] = [];
  let creating = false;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (/^\s*#\s*define\s+CREATE_TRACE_POINTS\b/.test(l)) creating = true;
    else if (/^\s*#\s*undef\s+CREATE_TRACE_POINTS\b/.test(l)) creating = false;
    else if (creating) {
      const m = /^\s*#\s*include\s*([<"])([^>"]+)[>"]/.exec(l);
      if (m) out.push({ line: i, written: m[2], angled: m[1] === '<' });
    }
  }
  return out;
}

/**
 * The tree-relative paths an instantiating `#include` may name, most likely
 * first: `<trace/events/x.h>` is under include/ (or the architecture's
 * include/); `"trace.h"` is next to the C file.
 */
export function traceHeaderCandidates(include: TracePointInclude, cFile: string, srcArch?: string): string[] {
  const dir = path.posix.dirname(cFile);
  const rel = [path.posix.join(dir, include.written), path.posix.join('include', include.written)];
  if (srcArch) rel.push(path.posix.join('arch', srcArch, 'include', include.written));
  return include.angled ? [rel[1], ...rel.slice(2), rel[0]] : rel;
}

/** Whether a tree-relative path reads as a trace header: include/trace/events/*.h, or a driver's `*trace*.h`. */
export function isTraceHeaderPath(rel: string): boolean {
  return /(^|\/)trace\/events\/[^/]+\.h$/.test(rel) || /(^|\/)[^/]*trace[^/]*\.h$/.test(rel);
}
