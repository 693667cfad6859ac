// Entry point bundled for the benchmark: the core's index loaders, as the CLI ships them.
export { loadIndex } from '../../server/src/core/cache';
export { ModularizeAnalysis } from '../../server/src/core/modularize';
export { loadDistroIndex } from '../../server/src/core/distroIndex';
