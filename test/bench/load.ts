// Entry point bundled for the benchmark: the core's index loaders, as the CLI ships them.
export { loadIndex } from '../../server/src/index/cache';
export { ModularizeAnalysis } from '../../server/src/modularize/analysis';
export { loadDistroIndex } from '../../server/src/index/distro';
