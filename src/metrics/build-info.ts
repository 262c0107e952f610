// floatd's version for floatd_build_info: package.json beside the build (dist/ → ../package.json); a bundle
// without it (the single binary) says "unknown" rather than guess.
import { readFileSync } from 'node:fs';

export function floatdVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name?: unknown; version?: unknown };
    return pkg.name === 'floatd' && typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
