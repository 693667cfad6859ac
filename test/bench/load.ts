// Entry point bundled for the benchmark: the core's index loader, as the CLI ships it.
export { loadIndex } from '../../server/src/core/cache';
export { ModularizeAnalysis } from '../../server/src/core/modularize';
