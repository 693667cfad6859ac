/**
 * The Kernel Size tree view's data: top-level directories, then their built-in
 * files, then each file's functions and variables, largest first, each with the
 * place to open.
 */
import * as path from 'node:path';
import type { Connection } from 'vscode-languageserver/node';
import type { FileEntry } from '../index/model';
import { residentBytes, sumBytes } from '../binary/sections';
import { SizeTreeNode, SizeTreeRequest } from '../shared/protocol';
import type { ServerContext } from './context';

const MAX_CHILDREN = 500;

function topDir(f: FileEntry): string {
  return f.generated ? '(generated)' : f.path.split('/')[0];
}

export function register(connection: Connection, ctx: ServerContext): void {
  connection.onRequest(SizeTreeRequest.type, ({ parent }) => {
    const svc = ctx.builds.all().find((s) => s.lookups);
    const index = svc?.lookups?.index;
    if (!index) return [];
    const builtIn = index.files.filter((f) => f.status === 'built-in');
    const bySize = (a: SizeTreeNode, b: SizeTreeNode) => b.bytes - a.bytes || a.label.localeCompare(b.label);
    if (!parent) {
      const dirs = new Map<string, { bytes: number; resident: number }>();
      for (const f of builtIn) {
        const d = dirs.get(topDir(f)) ?? { bytes: 0, resident: 0 };
        d.bytes += sumBytes(f.bytes);
        d.resident += residentBytes(f.bytes);
        dirs.set(topDir(f), d);
      }
      return [...dirs].map(([d, b]): SizeTreeNode => ({ id: `dir:${d}`, label: d, kind: 'dir', ...b, hasChildren: true })).sort(bySize);
    }
    if (parent.startsWith('dir:')) {
      const d = parent.slice(4);
      return builtIn
        .filter((f) => topDir(f) === d)
        .map((f): SizeTreeNode => ({
          id: `file:${f.object}`,
          label: f.path,
          kind: 'file',
          bytes: sumBytes(f.bytes),
          resident: residentBytes(f.bytes),
          file: f.generated ? undefined : path.join(index.build.sourceDir, f.path),
          hasChildren: f.functions.length + f.variables.length > 0,
        }))
        .sort(bySize)
        .slice(0, MAX_CHILDREN);
    }
    if (parent.startsWith('file:')) {
      const f = builtIn.find((x) => x.object === parent.slice(5));
      if (!f) return [];
      const file = f.generated ? undefined : path.join(index.build.sourceDir, f.path);
      const nodes = [
        ...f.functions.map((fn): SizeTreeNode => ({ id: `fn:${f.object}:${fn.name}`, label: fn.name, kind: 'function', bytes: fn.size, resident: fn.section.startsWith('.init') ? 0 : fn.size, file, hasChildren: false })),
        ...f.variables.map((v): SizeTreeNode => ({ id: `var:${f.object}:${v.name}`, label: v.name, kind: 'variable', bytes: v.size, resident: v.section.startsWith('.init') ? 0 : v.size, file, hasChildren: false })),
      ];
      return nodes.sort(bySize).slice(0, MAX_CHILDREN);
    }
    return [];
  });
}
