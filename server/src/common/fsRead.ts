/**
 * Small, forgiving file-system reads for build files that may or may not exist:
 * a missing or unreadable file is `undefined` or empty, never an exception.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';

export function readText(file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
