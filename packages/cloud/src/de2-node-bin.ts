import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The de2-node script of the installed @de2/core (what `npx de2-node` runs). */
export function de2NodeBin(): string {
  return join(
    dirname(createRequire(import.meta.url).resolve('@de2/core/package.json')),
    'bin',
    'de2-node.js',
  );
}
