// The problems a validator reports for `base` with `raw` on top ([] when it accepts them).
import type { Config, ConfigError } from '../../src/config/config.js';
import type { RawOptions } from '../../src/config/options.js';

export function problemsOf(check: (raw: RawOptions) => Config, base: RawOptions): (raw: RawOptions) => string[] {
  return (raw) => {
    try {
      check({ ...base, ...raw });
      return [];
    } catch (err) {
      return (err as ConfigError).problems;
    }
  };
}
