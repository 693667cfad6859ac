/**
 * Loads tree-sitter's WebAssembly runtime and the C grammar. Both are plain
 * files: the bundled extension ships copies next to its JavaScript and passes
 * their absolute paths, while tests and the CLI find them in node_modules.
 */
import type { Language, Parser, Tree } from 'web-tree-sitter';
import { createRequire } from 'node:module';
import * as path from 'node:path';

/**
 * web-tree-sitter is loaded with `require`, not `import`: for an `import`,
 * esbuild bundles the package's ES module build, which finds Node's modules
 * through `import.meta.url`, and that is undefined in the CommonJS bundle the
 * extension ships. `require` selects the package's CommonJS build.
 */
const treeSitter = require('web-tree-sitter') as typeof import('web-tree-sitter');

export type { Tree };

/** Absolute paths of the two WASM files the parser needs. */
export interface WasmLocations {
  /** web-tree-sitter's runtime, `tree-sitter.wasm`. */
  runtime: string;
  /** The C grammar, `tree-sitter-c.wasm`. */
  grammar: string;
}

/** A tree-sitter parser already set to the C language. */
export type CParser = Parser;

/**
 * The WASM files as installed in node_modules. web-tree-sitter exports its
 * runtime as the subpath `web-tree-sitter/tree-sitter.wasm` (its manifest is
 * not exported); tree-sitter-c has no export map and keeps its grammar at the
 * package root, next to its manifest.
 */
export function defaultWasmLocations(): WasmLocations {
  // Resolved at run time from this file (the bundle, in dist/): a literal
  // `require.resolve` would make esbuild try, and warn, at build time.
  const resolve = createRequire(__filename).resolve;
  return {
    runtime: resolve('web-tree-sitter/tree-sitter.wasm'),
    grammar: path.join(path.dirname(resolve('tree-sitter-c/package.json')), 'tree-sitter-c.wasm'),
  };
}

/**
 * The runtime is an Emscripten module that must be instantiated once per
 * process; a second `Parser.init` would load another copy of it, so the first
 * promise is remembered. The runtime path of the first call wins.
 */
let initialized: Promise<void> | undefined;
/** Languages already loaded, by grammar path, so several parsers share one. */
const languages = new Map<string, Promise<Language>>();

/** Creates a parser for C. Fails if either WASM file is missing or invalid. */
export async function createCParser(loc: WasmLocations): Promise<CParser> {
  initialized ??= treeSitter.Parser.init({ locateFile: () => loc.runtime }).catch((err: unknown) => {
    // A failed load must not poison the process: the next call may retry.
    initialized = undefined;
    throw err;
  });
  await initialized;
  let language = languages.get(loc.grammar);
  if (!language) {
    language = treeSitter.Language.load(loc.grammar);
    languages.set(loc.grammar, language);
    language.catch(() => languages.delete(loc.grammar));
  }
  const parser = new treeSitter.Parser();
  parser.setLanguage(await language);
  return parser;
}
