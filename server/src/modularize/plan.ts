/**
 * Plans the "Modularize…" actions for one built-in file or one Kconfig symbol:
 * which of the three steps applies, the edits across .config, Kconfig,
 * Makefile and C files that make it, the bytes it takes out of vmlinux, and
 * what it would break. Knows nothing of LSP: features/codeActions.ts turns a
 * plan into CodeActions, and tests apply plans to copies of real trees.
 *
 * Every edit is computed from the files' current text (the open buffer when
 * there is one), so a step already taken plans to nothing and is not offered
 * again, even before the build is re-indexed.
 */
import type { ModularizeHeadline } from './analysis';
import * as path from 'node:path';
import { parseKconfigFile } from '../kbuild/kconfig/parser';
import { cSourceModuleEdits } from './edits/csource';
import { dotconfigSetModule } from './edits/dotconfig';
import { kconfigAddEntry, kconfigMakeTristate, newOptionName } from './edits/kconfig';
import { makefileNewOption } from './edits/makefile';
import type { EditResult, TextEdit } from './edits/text';
import { humanSize } from '../shared/units';

/** What would break, as the feasibility analysis found it. */
export interface PlanBlocker {
  kind: string;
  file: string;
  line?: number;
  detail: string;
  /** For a reference: the first symbol used, and all of them. */
  symbol?: string;
  symbols?: { name: string }[];
  /** For a select: the selecting symbol. */
  by?: string;
}

/** A Kconfig symbol whose code is built in (the analysis's Candidate, as far as planning needs it). */
export interface PlanCandidate {
  symbol: string;
  type: 'bool' | 'tristate';
  value: string;
  files: string[];
  resident: number;
  init: number;
  blockers: PlanBlocker[];
  definition?: { file: string; line: number };
}

/** One built-in file, as the analysis sees it. */
export interface PlanFile {
  /** Source path relative to the tree. */
  file: string;
  /** Object path relative to the build. */
  object: string;
  /** The resident and init bytes of this file's object in vmlinux. */
  resident: number;
  init: number;
  candidate?: PlanCandidate;
  makefileLine?: { file: string; line: number; listVar: string };
  kconfigFile?: string;
  /** Kconfig symbols on the way to the object, with their values (new options depend on those that are on). */
  chainSymbols?: { name: string; value: string }[];
  /** What would break if this object alone left vmlinux (for a new option). */
  objectBlockers?: PlanBlocker[];
  unavailable?: string;
}

/** What the feasibility analysis of one build answers, for planning. */
export interface ModularizeView {
  forFile(sourcePath: string): PlanFile | undefined;
  /** By object path relative to the build (`drivers/tty/n_null.o`). */
  forObject(objectPath: string): PlanFile | undefined;
  /** By `CONFIG_X`, when X puts built-in code into vmlinux. */
  candidate(symbol: string): PlanCandidate | undefined;
  symbolExists(name: string): boolean;
  /** The headline figures (today, without every unblocked candidate, the floor), when the analysis could run. */
  essay?(): ModularizeHeadline | undefined;
}

export interface PlanContext {
  sourceDir: string;
  buildDir: string;
  /** The current text of a file (the open buffer's, else the disk's); undefined when it cannot be read. */
  read(absPath: string): string | undefined;
  /** Why a file must not be written (outside the workspace), or undefined when it may. */
  cannotWrite(absPath: string): string | undefined;
  /** Whether a Kconfig symbol (without CONFIG_) exists in the tree, for naming a new one. */
  symbolExists(name: string): boolean;
}

export type ActionKind = 'module' | 'tristate' | 'new-option';

export interface PlannedAction {
  kind: ActionKind;
  title: string;
  /** Absolute path → edits; one WorkspaceEdit across them. */
  edits: Map<string, TextEdit[]>;
  /** Set when the action cannot be applied; the title still says what it would do. */
  disabled?: string;
  blockers: PlanBlocker[];
  /** What the user still has to do by hand. */
  notes: string[];
  /** The bytes of vmlinux the step would free (resident; init shown apart). */
  saves: { resident: number; init: number };
}

/** Files edited for one action; more C files than this are left to the user with a note. */
const MAX_C_FILES = 64;

/** A blocker in a few words, for a title (the full sentence is in `detail`). */
function shortBlocker(b: PlanBlocker): string {
  const more = (b.symbols?.length ?? 1) - 1;
  switch (b.kind) {
    case 'reference': return b.symbol ? `${b.file} uses ${b.symbol}${more > 0 ? ` and ${more} more` : ''}` : b.detail;
    case 'selected-by-bool': return b.by ? `${b.by} selects it` : b.detail;
    case 'kconfig-keeps': return 'make olddefconfig keeps it built in';
    case 'initcall': return `${b.file} has an early initcall`;
    case 'param': return `${b.file} takes a boot parameter`;
    case 'core-path': return `core code in ${b.file}`;
    default: return b.detail.length > 60 ? `${b.detail.slice(0, 59)}…` : b.detail;
  }
}

function breaks(blockers: PlanBlocker[]): string {
  if (!blockers.length) return '';
  const first = blockers.slice(0, 2).map(shortBlocker).join('; ');
  return ` — would break ${blockers.length === 1 ? '1 thing' : `${blockers.length} things`}: ${first}${blockers.length > 2 ? '; …' : ''}`;
}

function savesText(resident: number, init: number): string {
  return `−${humanSize(resident)} resident${init ? `, −${humanSize(init)} init` : ''}`;
}

class EditCollector {
  readonly edits = new Map<string, TextEdit[]>();
  readonly notes: string[] = [];
  problem?: string;

  constructor(private readonly pc: PlanContext) {}

  /** Runs one step on a file; the first problem (unreadable, unwritable, does not parse) disables the action. */
  step(abs: string, what: (text: string) => EditResult & { notes?: string[] }): void {
    if (this.problem) return;
    const text = this.pc.read(abs);
    if (text === undefined) return void (this.problem = `cannot read ${abs}`);
    const r = what(text);
    if (r.problem) return void (this.problem = r.problem);
    if (!r.edits.length) return;
    const refusal = this.pc.cannotWrite(abs);
    if (refusal) return void (this.problem = refusal);
    this.edits.set(abs, [...(this.edits.get(abs) ?? []), ...r.edits]);
    for (const n of r.notes ?? []) this.notes.push(`${path.basename(abs)}: ${n}`);
  }

  moduleSources(files: string[], description: string): void {
    for (const f of files.filter((x) => /\.c$/.test(x)).slice(0, MAX_C_FILES)) {
      this.step(path.join(this.pc.sourceDir, f), (t) => cSourceModuleEdits(t, { description }));
    }
    const more = files.filter((x) => /\.c$/.test(x)).length - MAX_C_FILES;
    if (more > 0) this.notes.push(`${more} more C files need MODULE_LICENSE and MODULE_DESCRIPTION: add them by hand`);
  }
}

function promptOf(pc: PlanContext, c: PlanCandidate): string {
  const name = c.symbol.replace(/^CONFIG_/, '');
  if (c.definition) {
    const text = pc.read(path.join(pc.sourceDir, c.definition.file));
    const sym = text === undefined ? undefined : parseKconfigFile(text, c.definition.file).symbols.find((s) => s.name === name && s.prompt);
    if (sym?.prompt) return sym.prompt;
  }
  return name;
}

/** The steps for a Kconfig symbol whose code is built in: to m when tristate, to tristate (and m) when bool. */
export function planForCandidate(c: PlanCandidate, pc: PlanContext): PlannedAction[] {
  if (c.value !== 'y') return [];
  const dotconfig = path.join(pc.buildDir, '.config');
  const saves = { resident: c.resident, init: c.init };
  const col = new EditCollector(pc);
  if (c.type === 'tristate') {
    col.step(dotconfig, (t) => dotconfigSetModule(t, c.symbol));
    if (!col.problem && !col.edits.size) return [];
    return [{
      kind: 'module',
      title: `Build ${c.symbol} as a module (${savesText(c.resident, c.init)})${breaks(c.blockers)}`,
      edits: col.edits,
      ...(col.problem ? { disabled: col.problem } : {}),
      blockers: c.blockers,
      notes: ['run `make olddefconfig`, then rebuild', ...col.notes],
      saves,
    }];
  }
  if (!c.definition) return [];
  const kconfigFile = c.definition.file;
  col.step(path.join(pc.sourceDir, kconfigFile), (t) => kconfigMakeTristate(t, kconfigFile, c.symbol));
  // Nothing to change in Kconfig: it is tristate already (the index is older than the edit).
  if (!col.problem && !col.edits.size) return [];
  col.moduleSources(c.files, promptOf(pc, c));
  col.step(dotconfig, (t) => dotconfigSetModule(t, c.symbol));
  return [{
    kind: 'tristate',
    title: `Make ${c.symbol} tristate and build it as a module (${savesText(c.resident, c.init)})${breaks(c.blockers)}`,
    edits: col.edits,
    ...(col.problem ? { disabled: col.problem } : {}),
    blockers: c.blockers,
    notes: ['run `make olddefconfig`, then rebuild', ...col.notes],
    saves,
  }];
}

/** The steps for one built-in file: those of the symbol that builds it in, or a new option for a plain obj-y object. */
export function planForFile(f: PlanFile, pc: PlanContext): PlannedAction[] {
  if (f.unavailable) return [];
  if (f.candidate) return planForCandidate(f.candidate, pc);
  const line = f.makefileLine;
  // Only an object that obj-y names itself gets an option of its own; a part of
  // a composite object, or an object under an option already, does not.
  if (!line || line.listVar !== 'obj-y' || !f.kconfigFile) return [];
  const objName = path.posix.relative(path.posix.dirname(line.file), f.object);
  const name = newOptionName(f.object, (n) => pc.symbolExists(n));
  const stem = path.posix.basename(f.object, '.o');
  const col = new EditCollector(pc);
  col.step(path.join(pc.sourceDir, line.file), (t) => makefileNewOption(t, line.file, line.line, objName, name));
  // The object is no longer on an obj-y line: done (or moved by hand).
  if (!col.problem && !col.edits.size) return [];
  const kconfigFile = f.kconfigFile;
  const prompt = `${stem}.o (${f.file})`;
  const dependsOn = (f.chainSymbols ?? []).filter((s) => s.value === 'y').map((s) => s.name.replace(/^CONFIG_/, ''));
  col.step(path.join(pc.sourceDir, kconfigFile), (t) => kconfigAddEntry(t, kconfigFile, {
    name,
    prompt,
    dependsOn,
    help: [
      `Builds ${f.file}, until now always built in.`,
      '',
      `Say M to build it as a module (${stem}.ko), which takes`,
      `${humanSize(f.resident)} out of the resident kernel; say Y to build it in.`,
    ],
  }));
  col.moduleSources([f.file], prompt);
  col.step(path.join(pc.buildDir, '.config'), (t) => dotconfigSetModule(t, name));
  const blockers = f.objectBlockers ?? [];
  return [{
    kind: 'new-option',
    title: `Put ${path.posix.basename(f.object)} behind a new tristate option CONFIG_${name}, as a module (${savesText(f.resident, f.init)})${breaks(blockers)}`,
    edits: col.edits,
    ...(col.problem ? { disabled: col.problem } : {}),
    blockers,
    notes: ['run `make olddefconfig`, then rebuild', ...col.notes],
    saves: { resident: f.resident, init: f.init },
  }];
}
