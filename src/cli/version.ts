// What `floatd --version` (-V) prints. The version and commit are fixed at build time by
// scripts/build-info.mjs: npm run build writes dist/build-info.json, the single binary has them compiled in.
import { buildInfo, type BuildInfo } from '../config/build-info.js';

export function versionLine(info: BuildInfo = buildInfo(), node: string = process.version): string {
  return `floatd ${info.version} (${info.commit === undefined ? '' : `commit ${info.commit}, `}node ${node})`;
}
