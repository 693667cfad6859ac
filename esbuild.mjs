// Bundles the three entry points. Type checking is `tsc -b`'s job; esbuild only bundles.
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';

const production = process.argv.includes('--production');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
};

await Promise.all([
  build({ ...common, entryPoints: ['server/src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } }),
  build({ ...common, entryPoints: ['server/src/server.ts'], outfile: 'dist/server.js' }),
  // Indexing reads the Kbuild tree in this worker while the main thread reads vmlinux.
  build({ ...common, entryPoints: ['server/src/core/sourceFactsWorker.ts'], outfile: 'dist/sourceFactsWorker.js' }),
  build({ ...common, entryPoints: ['client/src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] }),
]);
chmodSync('dist/cli.js', 0o755);

if (process.argv.includes('--bench')) {
  await build({ ...common, entryPoints: ['test/bench/load.ts'], outfile: 'test/bench/load.js' });
  await build({ ...common, entryPoints: ['server/src/core/sourceFactsWorker.ts'], outfile: 'test/bench/sourceFactsWorker.js' });
}
