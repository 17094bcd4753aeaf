// Where Accord's own files (proto/, data/, examples/) are, whether this code runs from the TypeScript
// sources (a clone) or from the compiled dist/ of an installed package, one folder deeper.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'proto'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`Accord's package folder (with proto/) not found above ${from}`);
  }
}

/** The folder holding Accord's package.json, proto/ and data/. */
export const PACKAGE_ROOT = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));
