/**
 * Our custom LSP messages, declared once and imported by both the client and the
 * server. Each says which way it travels. Command ids live here too.
 */
import { NotificationType, RequestType } from 'vscode-languageserver-protocol';
import type { WorkDoneProgressParams } from 'vscode-languageserver-protocol';

export type IndexState = 'no-build' | 'indexing' | 'ready' | 'stale' | 'error';

export interface StatusParams {
  state: IndexState;
  buildDir?: string;
  /** Resident bytes of the kernel proper (image minus init), when an index is loaded. */
  resident?: number;
  image?: number;
  /** What is wrong and how to fix it (error), or what is happening (indexing, stale). */
  message?: string;
  /**
   * True once the index has what vmlinux's DWARF adds (function lines, inlined
   * copies): a build's figures come first, its DWARF facts a moment later.
   */
  debugInfo?: boolean;
  /** The essay's number, once the Modularize analysis of this build is made. */
  modularized?: EssayFigures;
}

/**
 * The kernel proper today, without every unblocked Modularize candidate, and
 * the floor (by `.config` alone, then with bool→tristate edits), in bytes.
 */
export interface EssayFigures {
  resident: number;
  residentIfModularized: number;
  unblocked: number;
  /** The smallest kernel proper reached: `.config` changes, groups, and bools made tristate. */
  floor?: number;
  /** The smallest by `.config` changes alone. */
  floorByConfig?: number;
  /** How many bools `floor` makes tristate. */
  tristateEdits?: number;
}

/** server → client: the state of the build index changed. */
export namespace StatusNotification {
  export const method = 'kbloat/status';
  export const type = new NotificationType<StatusParams>(method);
}

export interface BuildCandidatesParams {
  /** Absolute paths of folders that hold a kernel build (vmlinux or System.map). */
  candidates: string[];
}

/** server → client: several builds were found and kbloat.buildDirectory is unset; the client asks the user. */
export namespace BuildCandidatesNotification {
  export const method = 'kbloat/buildCandidates';
  export const type = new NotificationType<BuildCandidatesParams>(method);
}

export interface SizeTreeParams {
  /** A node id from an earlier answer; absent for the top level (directories). */
  parent?: string;
}

export interface SizeTreeNode {
  /** `dir:<path>`, `file:<object>` or `fn:<object>:<name>`. */
  id: string;
  label: string;
  kind: 'dir' | 'file' | 'function' | 'variable';
  /** Bytes in vmlinux (all classes) and resident bytes. */
  bytes: number;
  resident: number;
  /** The source file to open, absolute, and the zero-based line when known. */
  file?: string;
  line?: number;
  hasChildren: boolean;
}

/** client → server: children of a node of the Kernel Size tree view, largest first. */
export namespace SizeTreeRequest {
  export const method = 'kbloat/sizeTree';
  export const type = new RequestType<SizeTreeParams, SizeTreeNode[], void>(method);
}

export interface TrustParams {
  trusted: boolean;
}

/** client → server: the user granted workspace trust (measuring may now run the compiler). */
export namespace TrustNotification {
  export const method = 'kbloat/trust';
  export const type = new NotificationType<TrustParams>(method);
}

export interface SizeMapParams {
  /** The webview's nonce and `cspSource`, for the page's Content-Security-Policy. */
  nonce: string;
  cspSource: string;
  /** Colour by section class (default) or by the change against a second loaded build. */
  colorBy?: 'class' | 'delta';
}

export interface SizeMapResult {
  html: string;
  /** The source tree the page's relative paths are in. */
  sourceDir: string;
}

/** client → server: the Kernel Size Map page of the indexed build; null without an index. */
export namespace SizeMapRequest {
  export const method = 'kbloat/sizeMap';
  export const type = new RequestType<SizeMapParams, SizeMapResult | null, void>(method);
}

export interface SizeHistoryParams {
  /** A `kbloat track` history file (JSON lines), absolute. */
  file: string;
  /** The webview's nonce and `cspSource`, for the page's Content-Security-Policy. */
  nonce: string;
  cspSource: string;
}

export type SizeHistoryResult = { html: string } | { error: string };

/** client → server: the Kernel Size History page of a history file the user picked. */
export namespace SizeHistoryRequest {
  export const method = 'kbloat/sizeHistory';
  export const type = new RequestType<SizeHistoryParams, SizeHistoryResult, void>(method);
}

/** Command ids, used by lenses (server) and registered by the client. */
export const CommandIds = {
  /** Arguments: [uri: string, position: { line, character }]. Shows the hover breakdown there. */
  showBreakdown: 'kbloat.showBreakdown',
  pickBuild: 'kbloat.pickBuildDirectory',
  reindex: 'kbloat.reindex',
  openSizeView: 'kbloat.openSizeView',
  openSizeMap: 'kbloat.openSizeMap',
  openSizeHistory: 'kbloat.openSizeHistory',
  compareWithBaseline: 'kbloat.compareWithBaseline',
  /** Arguments: [ProveModularizeArgs]; none: the active editor's build, every unblocked candidate. Trusted workspaces only. */
  proveModularize: 'kbloat.proveModularize',
} as const;

export interface CompareWithBaselineResult {
  /** The diff as `kbloat diff` prints it, or why there is none. */
  text: string;
  ok: boolean;
}

/** client → server: the current build against kbloat.baselineBuildDirectory, as text. */
export namespace CompareWithBaselineRequest {
  export const method = 'kbloat/compareWithBaseline';
  export const type = new RequestType<{ uri?: string }, CompareWithBaselineResult, void>(method);
}

/** What the Prove lenses and code actions pass to the `kbloat.proveModularize` command. */
export interface ProveModularizeArgs {
  /** A document of the build to prove on. */
  uri: string;
  /** `CONFIG_X` symbols to set to m; empty: every candidate without blockers. */
  symbols: string[];
}

export interface ProveModularizeParams extends ProveModularizeArgs, WorkDoneProgressParams {}

export interface ProveModularizeResult {
  /** True when the proof ran to its end, the rebuild failing or not: `text` is then the proof, worth a document; false when it was refused or cancelled (`text` says why). */
  ran: boolean;
  /** True when the rebuild succeeded and the numbers are there; false when it failed (then `text` names the blockers). */
  ok: boolean;
  cancelled?: boolean;
  /** A title for the document (`Proof: CONFIG_X=m`). */
  title: string;
  /** The proof as `kbloat modularize --prove` prints it, or why there is none. */
  text: string;
}

/**
 * client → server: rebuild the kernel with the symbols at m in a scratch copy
 * of the build and compare with the prediction. The server reports progress on
 * the request's workDoneToken when the client gives one (cancelled with the
 * request), else on a progress it creates (window/workDoneProgress/create,
 * cancelled with window/workDoneProgress/cancel). Refused in an untrusted workspace.
 */
export namespace ProveModularizeRequest {
  export const method = 'kbloat/proveModularize';
  export const type = new RequestType<ProveModularizeParams, ProveModularizeResult, void>(method);
}
