/**
 * The problems of one Kconfig file, on their lines: what the editor shows as
 * diagnostics and why "Modularize…" refuses to edit the file. They are the
 * parser's own warnings, kept as data, so nothing has to read a line number
 * back out of a sentence.
 */
import { warningText } from '../../common/warnings';
import { parseKconfigFile } from './parser';

export interface KconfigProblem {
  /** 1-based. */
  line: number;
  message: string;
}

/** The problems the Kconfig parser finds in one file, with 1-based lines: no edit goes into a file that has any. */
export function kconfigProblems(text: string, file: string): KconfigProblem[] {
  return parseKconfigFile(text, file).warnings.map((w) =>
    // A warning about no line of this file (the parser's "further warnings left out") goes on the first.
    w.file === file && w.line !== undefined ? { line: w.line, message: w.message } : { line: 1, message: warningText(w) });
}
