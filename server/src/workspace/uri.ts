/** file: URIs ↔ paths, without pulling in a URI library for the one scheme we read. */
import { fileURLToPath, pathToFileURL } from 'node:url';

export const URI = {
  toFsPath(uri: string): string | undefined {
    if (!uri.startsWith('file:')) return undefined;
    try {
      return fileURLToPath(uri);
    } catch {
      return undefined;
    }
  },
  fromFsPath(p: string): string {
    return pathToFileURL(p).toString();
  },
};
