/**
 * A problem that does not stop the work: a file that could not be read, a
 * Kconfig line that makes no sense, a fallback taken. Kept as data, so that an
 * editor can put it on its line and a table can print it, and never parsed back
 * out of a sentence.
 */
import { KbloatInputError } from './errors';

export interface Warning {
  /** The file it is about, when there is one. */
  file?: string;
  /** One-based line in that file. */
  line?: number;
  message: string;
}

/** `file:line: message`, `file: message` or `message`, as compilers print them. */
export function warningText(w: Warning): string {
  if (w.file === undefined) return w.message;
  return w.line === undefined ? `${w.file}: ${w.message}` : `${w.file}:${w.line}: ${w.message}`;
}

/** The warning an input error becomes when the work goes on without that input; `then` says what was done instead. */
export function warningOf(e: KbloatInputError, then?: string): Warning {
  return { ...(e.file !== undefined ? { file: e.file } : {}), message: then ? `${e.reason}; ${then}` : e.reason };
}
