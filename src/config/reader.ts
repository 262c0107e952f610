// The raw flags as validate() (config.ts) reads them: typed, one at a time, with the option table's default
// for a flag not given, and a bad value recorded as a problem instead of thrown, so all are reported at once.
import { isIPv4 } from '../protocol/advert.js';
import { OPTIONS, type OptionName, type RawOptions } from './options.js';

// The option table's default of a flag, '' when it has none.
export function defaultOf(name: OptionName): string {
  const spec = OPTIONS.find((o) => o.long === name);
  return spec && 'default' in spec ? spec.default : '';
}

// Typed access to one raw flag at a time, recording problems instead of throwing.
export class Reader {
  private readonly raw: RawOptions;
  private readonly problems: string[];
  constructor(raw: RawOptions, problems: string[]) {
    this.raw = raw;
    this.problems = problems;
  }

  // The last value given (or the table's default); undefined, and a problem when required, if neither.
  text(name: OptionName, required = false): string | undefined {
    const value = this.raw[name];
    if (Array.isArray(value)) return value.at(-1);
    if (typeof value === 'string') return value;
    const fallback = defaultOf(name);
    if (fallback !== '') return fallback;
    if (required) this.problems.push(`--${name} is required`);
    return undefined;
  }

  private bad(name: OptionName, what: string, value: string): void {
    this.problems.push(`--${name} must be ${what}, got "${value}"`);
  }

  string(name: OptionName, o: { required?: boolean; pattern: RegExp; what: string }): string {
    const value = this.text(name, o.required);
    if (value === undefined) return '';
    if (!o.pattern.test(value)) this.bad(name, o.what, value);
    return value;
  }

  optional(name: OptionName, o: { allowEmpty?: boolean } = {}): string | undefined {
    const value = this.raw[name];
    if (typeof value !== 'string') return undefined;
    if (value === '' && !o.allowEmpty) this.bad(name, 'a non-empty path', value);
    return value;
  }

  bool(name: OptionName): boolean {
    return this.raw[name] === true;
  }

  list(name: OptionName): string[] {
    const value = this.raw[name];
    if (value === undefined || typeof value === 'boolean') return [];
    return Array.isArray(value) ? value : [value];
  }

  int(name: OptionName, min: number, max: number, o: { required?: boolean } = {}): number {
    const value = this.text(name, o.required);
    if (value === undefined) return 0;
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!(n >= min && n <= max)) this.bad(name, `an integer from ${min} to ${max}`, value);
    return n;
  }

  number(name: OptionName, min: number, max: number): number {
    const value = this.text(name) ?? '';
    const n = /^\d+(\.\d+)?$|^\.\d+$/.test(value) ? Number(value) : NaN;
    if (!(n >= min && n <= max)) this.bad(name, `a number of seconds from ${min} to ${max}`, value);
    return n;
  }

  ipv4(name: OptionName, o: { required?: boolean } = {}): string {
    const value = this.text(name, o.required);
    if (value === undefined) return '';
    if (!isIPv4(value)) this.bad(name, 'an IPv4 address such as 10.0.0.1', value);
    return value;
  }

  oneOf<T extends string>(name: OptionName, allowed: readonly T[]): T {
    const value = this.text(name) ?? '';
    if (!(allowed as readonly string[]).includes(value)) this.bad(name, `one of ${allowed.join(', ')}`, value);
    return value as T;
  }
}
