// Bundles the three entry points. Type checking is `tsc -b`'s job; esbuild only bundles.
import { build } from 'esbuild';
import { chmodSync, copyFileSync, mkdirSync } from 'node:fs';

const production = process.argv.includes('--production');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  // web-tree-sitter's ESM build locates itself through import.meta.url, which a
  // CommonJS bundle does not have: bundle its CommonJS build instead.
  alias: { 'web-tree-sitter': './node_modules/web-tree-sitter/tree-sitter.cjs' },
};

await Promise.all([
  build({ ...common, entryPoints: ['server/src/bin/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } }),
  build({ ...common, entryPoints: ['server/src/bin/server.ts'], outfile: 'dist/server.js' }),
  // The server indexes a build in this worker, so that it keeps answering meanwhile.
  build({ ...common, entryPoints: ['server/src/bin/indexWorker.ts'], outfile: 'dist/indexWorker.js' }),
  build({ ...common, entryPoints: ['server/src/bin/modularizeWorker.ts'], outfile: 'dist/modularizeWorker.js' }),
  // Indexing reads the Kbuild tree in this worker while the main thread reads vmlinux.
  build({ ...common, entryPoints: ['server/src/bin/sourceFactsWorker.ts'], outfile: 'dist/sourceFactsWorker.js' }),
  build({ ...common, entryPoints: ['server/src/bin/kconfigTreeWorker.ts'], outfile: 'dist/kconfigTreeWorker.js' }),
  // The size estimator calibrates on a sample of the build's C files in this worker.
  build({ ...common, entryPoints: ['server/src/bin/calibrationWorker.ts'], outfile: 'dist/calibrationWorker.js' }),
  build({ ...common, entryPoints: ['client/src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] }),
]);
chmodSync('dist/cli.js', 0o755);

// The parser's two WASM files ship next to the server, which loads them by absolute path.
mkdirSync('dist', { recursive: true });
copyFileSync('node_modules/web-tree-sitter/tree-sitter.wasm', 'dist/tree-sitter.wasm');
copyFileSync('node_modules/tree-sitter-c/tree-sitter-c.wasm', 'dist/tree-sitter-c.wasm');

if (process.argv.includes('--bench')) {
  await build({ ...common, entryPoints: ['test/bench/load.ts'], outfile: 'test/bench/load.js' });
  await build({ ...common, entryPoints: ['server/src/bin/sourceFactsWorker.ts'], outfile: 'test/bench/sourceFactsWorker.js' });
}
