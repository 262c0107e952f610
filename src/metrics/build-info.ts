// floatd's version for floatd_build_info, from the same build facts as `floatd --version`.
import { buildInfo } from '../config/build-info.js';

export function floatdVersion(): string {
  const { version, commit } = buildInfo();
  return commit === undefined ? version : `${version}+${commit}`;
}
