/**
 * Which objects a kernel build put where: the archives linked into vmlinux
 * (`vmlinux.a` from 6.1, the per-directory `built-in.a` before), the `lib.a`
 * archives the linker only searches, and the objects of each module.
 */
import { isFile, listDir, readText } from '../common/fsRead';
import * as path from 'node:path';
import { listArchiveObjects } from '../binary/archive';
import { KbloatInputError } from '../common/errors';
import type { LinkerMap } from '../binary/linkerMap';
import { BuildLayout, mapObjectPath } from './layout';
import { parseModFile, parseModulesBuiltin, parseModulesOrder } from './modules';
import { Warning, warningOf } from '../common/warnings';


/**
 * Objects linked into vmlinux according to the archives (vmlinux.a, or
 * built-in.a before 6.1), and the objects the linker map names besides (the
 * link script's own: head objects, generated ones).
 */
export function builtInObjects(layout: BuildLayout, map: LinkerMap | undefined): Set<string> {
  const objs = new Set<string>();
  if (layout.vmlinuxArchive) {
    for (const o of listArchiveObjects(layout.vmlinuxArchive, layout.buildDir)) objs.add(o);
  } else {
    // 4.13 - 6.0: one thin built-in.a per top-level directory, nesting its subdirectories.
    for (const top of topLevelBuiltIns(layout.buildDir)) {
      for (const o of listArchiveObjects(top, layout.buildDir)) objs.add(o);
    }
  }
  if (map) addMapObjects(objs, map, layout.buildDir);
  return objs;
}

/** Adds the objects a linker map names to a set of built-in objects. */
export function addMapObjects(objs: Set<string>, map: LinkerMap, buildDir: string): void {
  for (const sec of map.sections.values()) for (const i of sec.inputs) objs.add(mapObjectPath(i.object, buildDir));
}

/** The thin built-in.a of each top-level directory (and of each arch/<arch>/): 4.13 - 6.0. */
function topLevelBuiltIns(buildDir: string): string[] {
  const out: string[] = [];
  for (const e of listDir(buildDir)) {
    const dirs = e === 'arch' ? listDir(path.join(buildDir, 'arch')).map((a) => path.join('arch', a)) : [e];
    for (const d of dirs) {
      const f = path.join(buildDir, d, 'built-in.a');
      if (isFile(f)) out.push(f);
    }
  }
  return out;
}

/**
 * Members of the `lib.a` archives (`lib/lib.a`, `arch/<arch>/lib/lib.a`), which
 * the linker searches rather than links whole: object -> archive.
 */
export function libArchiveMembers(layout: BuildLayout, warnings: Warning[]): Map<string, string> {
  const out = new Map<string, string>();
  const candidates = ['lib/lib.a', ...listDir(path.join(layout.buildDir, 'arch')).map((a) => `arch/${a}/lib/lib.a`)];
  for (const rel of candidates) {
    const abs = path.join(layout.buildDir, rel);
    if (!isFile(abs)) continue;
    try {
      for (const obj of listArchiveObjects(abs, layout.buildDir)) out.set(obj, rel);
    } catch (e) {
      if (!(e instanceof KbloatInputError)) throw e;
      warnings.push(warningOf(e, 'its members are not listed'));
    }
  }
  return out;
}



export interface ModuleInfo {
  ko: string;
  name: string;
  objects: string[];
}

export function readModules(layout: BuildLayout, warnings: Warning[]): ModuleInfo[] {
  const text = readText(layout.modulesOrder);
  if (text === undefined) return [];
  const out: ModuleInfo[] = [];
  for (const ko of parseModulesOrder(text)) {
    const modFile = path.join(layout.buildDir, ko.replace(/\.ko$/, '.mod'));
    const modText = readText(modFile);
    const name = path.basename(ko, '.ko');
    if (modText === undefined) {
      // Older kernels have no .mod per module in this form; a single-object module is its own object.
      const single = ko.replace(/\.ko$/, '.o');
      out.push({ ko, name, objects: [single] });
      continue;
    }
    out.push({ ko, name, objects: parseModFile(modText) });
  }
  return out;
}


/** modules.builtin: the tristate modules that were built in (=y), as build-relative `.ko` paths. */
export function readBuiltinModules(layout: BuildLayout): Set<string> {
  const text = readText(layout.modulesBuiltin);
  return new Set(text === undefined ? [] : parseModulesBuiltin(text));
}
