/**
 * Our custom LSP messages, declared once and imported by both the client and the
 * server. Each says which way it travels. Command ids live here too.
 */
import { NotificationType, RequestType } from 'vscode-languageserver-protocol';

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
