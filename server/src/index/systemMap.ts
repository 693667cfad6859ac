/**
 * The index of a build that has a System.map but no vmlinux (a distro's /boot,
 * or a tree where vmlinux was deleted). System.map has no sizes and no sections,
 * so sizes come from the gap to the next symbol and are marked as estimates;
 * section classes come from the nm type letter and the init region.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { FoundSymbol, IndexAssembler, objectBytes, readModuleObjects } from './assemble';
import type { BuildIndex, IndexOptions } from './model';
import { builtInObjects, readModules } from '../kbuild/buildObjects';
import { KbloatInputError } from '../common/errors';
import { BuildLayout } from '../kbuild/layout';
import { objectSource, tryReadObjectContents } from '../kbuild/objects';
import { ClassBytes, SectionClass, addBytes } from '../binary/sections';
import { estimateSizes, parseSystemMap } from '../binary/systemMap';
import type { Warning } from '../common/warnings';

function classOfType(type: string, inInit: boolean): SectionClass | undefined {
  if (inInit) return 'init';
  switch (type.toLowerCase()) {
    case 't': return 'text';
    case 'r': return 'rodata';
    case 'd': return 'data';
    case 'b': return 'bss';
    default: return undefined;
  }
}

export function indexFromSystemMap(layout: BuildLayout, options: IndexOptions): BuildIndex {
  const file = layout.systemMap!;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new KbloatInputError('io', (e as Error).message, file);
  }
  options.onProgress?.('reading System.map');
  const map = parseSystemMap(text, file);
  const sized = estimateSizes(map);
  const addr = (name: string): bigint | undefined => map.symbols.find((s) => s.name === name)?.address;
  const start = addr('_text') ?? addr('_stext');
  const end = addr('_end');
  if (start === undefined || end === undefined || end <= start) {
    throw new KbloatInputError('bad-system-map', 'has no _text/_end symbols, so the image cannot be measured; is it a kernel System.map?', file);
  }
  const initBegin = addr('__init_begin');
  const initEnd = addr('__init_end');
  const warnings: Warning[] = [{ message: 'no vmlinux: sizes are estimates from the gaps between System.map addresses' }];

  // Owners from the objects' own symbol tables: globals by name, locals when unique.
  const builtIn = builtInObjects(layout, undefined);
  const owner = new Map<string, string | null>();
  for (const obj of builtIn) {
    const c = tryReadObjectContents(path.join(layout.buildDir, obj), warnings);
    if (!c) continue;
    for (const g of c.definedGlobals) if (!owner.has(g)) owner.set(g, obj);
    for (const s of c.symbols) if (s.local) owner.set(s.name, owner.has(s.name) ? null : obj);
  }

  const perObject = new Map<string, { bytes: ClassBytes; syms: FoundSymbol[] }>();
  const byClass: ClassBytes = {};
  let attributed = 0;
  let lastCounted: bigint | undefined;
  for (const s of sized) {
    if (s.address < start || s.address >= end || s.size === null || s.size <= 0) continue;
    // Aliases share one address and one gap: count the bytes once.
    if (s.address === lastCounted) continue;
    lastCounted = s.address;
    const size = s.size;
    const inInit = initBegin !== undefined && initEnd !== undefined && s.address >= initBegin && s.address < initEnd;
    const cls = classOfType(s.type, inInit);
    if (!cls) continue;
    addBytes(byClass, cls, size);
    const obj = owner.get(s.name);
    if (!obj) continue;
    let o = perObject.get(obj);
    if (!o) perObject.set(obj, (o = { bytes: {}, syms: [] }));
    addBytes(o.bytes, cls, size);
    attributed += size;
    o.syms.push({ name: s.name, size, section: cls, kind: /t/i.test(s.type) ? 'function' : 'variable' });
  }
  const image = Number(end - start);
  const init = initBegin !== undefined && initEnd !== undefined ? Number(initEnd - initBegin) : 0;
  const files = new IndexAssembler();
  const describe = (obj: string) => ({ path: objectSource(layout, obj) ?? obj });
  for (const [obj, o] of perObject) files.builtIn(obj, describe(obj), { bytes: o.bytes, sections: {}, symbols: o.syms });
  for (const m of readModuleObjects(layout, readModules(layout, warnings), warnings)) if (m.contents) files.module(m.object, m.moduleFile, describe(m.object), objectBytes(m.contents));
  return files.finish({
    build: {
      dir: layout.buildDir,
      sourceDir: layout.sourceDir,
      arch: 'unknown',
      elfClass: start > 0xffffffffn ? 64 : 32,
      endian: 'unknown',
      attribution: 'system-map',
      estimated: true,
    },
    totals: { image, resident: image - init, init, sections: byClass },
    sections: [],
    unattributed: { '(image, estimated)': Math.max(0, image - attributed) },
    warnings,
  });
}
