// parseCheck() is pure: one --check value in, a CheckSpec or every problem out.
import { describe, expect, it } from 'vitest';
import { CHECK_DEFAULTS, parseCheck, type CheckSpec } from '../../src/checks/spec.js';

function parse(text: string): { spec: CheckSpec | undefined; problems: string[] } {
  const problems: string[] = [];
  const spec = parseCheck(text, problems);
  return { spec, problems };
}

function accept(text: string): CheckSpec {
  const { spec, problems } = parse(text);
  expect(problems).toEqual([]);
  if (!spec) throw new Error('no spec');
  return spec;
}

describe('parseCheck: the command', () => {
  it('a bare command is the whole value, with the defaults: fault mode, on every node', () => {
    expect(accept('test -e /srv/ok')).toEqual({ command: 'test -e /srv/ok', ...CHECK_DEFAULTS, mode: 'fault', weight: 0, on: 'all' });
    expect(CHECK_DEFAULTS).toEqual({ intervalMs: 2000, timeoutMs: 5000, rise: 2, fall: 3 });
  });

  it('key=value words before " -- " are options, the rest is the command', () => {
    expect(accept('interval=0.5 timeout=1 rise=1 fall=2 weight=100 -- ping -c1 -W1 10.0.0.1')).toEqual({
      command: 'ping -c1 -W1 10.0.0.1', intervalMs: 500, timeoutMs: 1000, rise: 1, fall: 2, mode: 'weight', weight: 100, on: 'all',
    });
  });

  it('only the first " -- " separates: the command may contain its own', () => {
    expect(accept('on=master -- grep -q -- -x /etc/f').command).toBe('grep -q -- -x /etc/f');
  });

  it('when the words before " -- " are not all key=value, the whole value is the command', () => {
    expect(accept('grep -q -- needle /etc/hosts')).toMatchObject({ command: 'grep -q -- needle /etc/hosts', mode: 'fault' });
    expect(accept('fall=1 grep -q -- x f').command).toBe('fall=1 grep -q -- x f');
  });

  it('an upper-case assignment is the shell\'s, not an option', () => {
    expect(accept('LC_ALL=C -- true').command).toBe('LC_ALL=C -- true');
  });

  it('a leading "--" gives a command with no options', () => {
    expect(accept('-- test -e /x').command).toBe('test -e /x');
  });

  it('on=master is a fault check that runs only on the master', () => {
    expect(accept('on=master -- hooks/mfs/check')).toMatchObject({ on: 'master', mode: 'fault', weight: 0 });
  });

  it('an empty command is refused, with or without options', () => {
    for (const text of ['', '   ', 'fall=2 --', 'fall=2 -- ', '--']) {
      expect(parse(text).problems, text).toEqual([`--check "${text}": the command is empty (give it after " -- ", or alone)`]);
    }
  });
});

describe('parseCheck: the keys', () => {
  it('the message for a bad fall reads as documented', () => {
    expect(parse('fall=0 -- true')).toEqual({ spec: undefined, problems: ['--check "fall=0 -- true": fall must be an integer 1–100, got "0"'] });
  });

  it.each([
    ['rise=0', 'rise must be an integer 1–100, got "0"'],
    ['rise=101', 'rise must be an integer 1–100, got "101"'],
    ['rise=1.5', 'rise must be an integer 1–100, got "1.5"'],
    ['fall=x', 'fall must be an integer 1–100, got "x"'],
    ['weight=0', 'weight must be an integer 1–255, got "0"'],
    ['weight=256', 'weight must be an integer 1–255, got "256"'],
    ['weight=-5', 'weight must be an integer 1–255, got "-5"'],
    ['interval=0', 'interval must be a number of seconds from 0.1 to 86400, got "0"'],
    ['interval=', 'interval must be a number of seconds from 0.1 to 86400, got ""'],
    ['timeout=2s', 'timeout must be a number of seconds from 0.1 to 86400, got "2s"'],
    ['timeout=0.05', 'timeout must be a number of seconds from 0.1 to 86400, got "0.05"'],
    ['on=backup', 'on must be all or master, got "backup"'],
  ])('%s is refused, naming the key and quoting the value', (word, message) => {
    expect(parse(`${word} -- true`)).toEqual({ spec: undefined, problems: [`--check "${word} -- true": ${message}`] });
  });

  it('an unknown key is refused with the list of known keys', () => {
    expect(parse('intervl=1 -- true').problems).toEqual(['--check "intervl=1 -- true": unknown key "intervl" (known: interval, timeout, rise, fall, weight, on)']);
  });

  it('a key given twice is refused', () => {
    expect(parse('fall=1 fall=2 -- true').problems).toEqual(['--check "fall=1 fall=2 -- true": fall is given twice']);
  });

  it('on=master with a weight is refused, saying why', () => {
    const { problems } = parse('on=master weight=50 -- true');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^--check "on=master weight=50 -- true": on=master cannot take a weight: a master-only check does not run on a backup, so the weight could never be lifted/);
  });

  it('every problem of one value is reported at once', () => {
    expect(parse('rise=0 fall=0 on=x -- ').problems).toHaveLength(4);
  });

  it('fractions of a second are kept in milliseconds', () => {
    expect(accept('interval=.25 timeout=0.1 -- true')).toMatchObject({ intervalMs: 250, timeoutMs: 100 });
  });
});
