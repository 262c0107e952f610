// validate() is pure: raw flags and an env in, a Config or every problem out. No process, no files.
import { describe, expect, it } from 'vitest';
import { ConfigError, validate, type Config } from '../../src/config/config.js';
import type { RawOptions } from '../../src/config/options.js';

type Env = Record<string, string | undefined>;

// The smallest valid command line, as `floatd -i eth0 -s 10.0.0.1 -v 10 -a 10.0.0.99 -o /etc/floatd/key`.
const BASE: RawOptions = { interface: 'eth0', srcip: '10.0.0.1', vhid: '10', addr: '10.0.0.99', passfile: '/etc/floatd/key' };

function accept(over: RawOptions = {}, env: Env = {}): Config {
  return validate({ ...BASE, ...over }, env);
}

// Every problem validate() reports for BASE overridden by `over` (flags set to undefined are dropped).
function problems(over: RawOptions = {}, env: Env = {}, base: RawOptions = BASE): string[] {
  try {
    validate({ ...base, ...over }, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

function without(...names: (keyof RawOptions)[]): RawOptions {
  const raw: RawOptions = { ...BASE };
  for (const n of names) delete raw[n];
  return raw;
}

describe('validate: a minimal command line', () => {
  it('accepts -i -s -v -a and a passfile, filling in the defaults of the option table', () => {
    expect(accept()).toMatchObject({
      interface: 'eth0',
      srcip: '10.0.0.1',
      vhid: 10,
      vip: '10.0.0.99',
      vips: ['10.0.0.99'],
      family: 4,
      secret: { kind: 'file', path: '/etc/floatd/key', fromEnv: false },
      preempt: false,
      neutral: false,
      advbaseMs: 1000,
      advskew: 0,
      deadratio: 3,
      upscript: undefined,
      downscript: undefined,
      shutdownHooks: false,
      daemonize: false,
      debug: false,
      ignoreIfState: false,
      broadcast: false,
      facility: 'daemon',
      xparam: undefined,
      mcast: '239.255.5.98',
      port: 5798,
      peers: [],
      hooksDir: undefined,
      hookTimeoutMs: 60_000,
      cooldownMs: 10_000,
      stateFile: '/run/floatd/eth0-vhid-10.json',
      controlSocket: '/run/floatd/eth0-10.sock',
      runRecord: '/var/lib/floatd/eth0-vhid-10.json',
      logFormat: 'auto',
      vipDriver: 'ip',
      vipPath: 'channel',
    });
  });

  it('maps the ucarp switches onto the Config', () => {
    const c = accept({ preempt: true, neutral: true, shutdown: true, daemonize: true, debug: true, ignoreifstate: true, nomcast: true });
    expect(c).toMatchObject({ preempt: true, neutral: true, shutdownHooks: true, daemonize: true, debug: true, ignoreIfState: true, broadcast: true });
  });

  it('keeps the hook paths and xparam as given, an empty xparam included', () => {
    const c = accept({ upscript: '/etc/floatd/up', downscript: '/etc/floatd/down', 'hooks-dir': '/etc/floatd/hooks', xparam: '' });
    expect(c).toMatchObject({ upscript: '/etc/floatd/up', downscript: '/etc/floatd/down', hooksDir: '/etc/floatd/hooks', xparam: '' });
  });

  it('rejects empty hook paths, naming the flag', () => {
    expect(problems({ upscript: '', downscript: '', 'hooks-dir': '', 'state-file': '' })).toEqual([
      '--upscript must be a non-empty path, got ""',
      '--downscript must be a non-empty path, got ""',
      '--hooks-dir must be a non-empty path, got ""',
      '--state-file must be a non-empty path, got ""',
    ]);
  });
});

describe('validate: required flags', () => {
  it.each([
    ['interface', /^--interface is required$/],
    ['srcip', /^--srcip is required$/],
    ['vhid', /^--vhid is required$/],
    ['addr', /^--addr is required$/],
  ] as const)('a missing --%s is reported by name', (name, message) => {
    expect(problems({}, {}, without(name))).toEqual([expect.stringMatching(message)]);
  });

  it('a missing secret is reported with every way to give one', () => {
    const [p, ...rest] = problems({}, {}, without('passfile'));
    expect(rest).toEqual([]);
    expect(p).toMatch(/shared secret is required/);
    for (const way of ['--passfile', 'FLOATD_PASSFILE', 'FLOATD_PASS', '--pass']) expect(p).toContain(way);
  });

  it('reports every missing flag at once when nothing is given', () => {
    expect(problems({}, {}, {})).toEqual([
      '--vhid is required',
      '--srcip is required',
      '--addr is required',
      '--interface is required',
      expect.stringMatching(/shared secret is required/),
    ]);
  });

  it('an empty --interface, or one longer than IFNAMSIZ, is not an interface name', () => {
    expect(problems({ interface: '' })).toEqual(['--interface must be an interface name, got ""']);
    expect(problems({ interface: 'eth0; rm -rf /' })).toEqual(['--interface must be an interface name, got "eth0; rm -rf /"']);
    expect(problems({ interface: 'a234567890123456' })).toEqual(['--interface must be an interface name, got "a234567890123456"']);
    expect(accept({ interface: 'bond0.100' }).interface).toBe('bond0.100');
  });
});

describe('validate: numeric flags and their bounds', () => {
  it.each(['1', '10', '255'])('--vhid %s is accepted', (v) => {
    expect(accept({ vhid: v }).vhid).toBe(Number(v));
  });

  it.each(['0', '256', 'abc', '1.5', '-1', '', ' 10', '0x10'])('--vhid "%s" is rejected, quoting the value', (v) => {
    expect(problems({ vhid: v })).toEqual([`--vhid must be an integer from 1 to 255, got "${v}"`]);
  });

  it('the message for a bad --vhid reads as documented', () => {
    expect(problems({ vhid: '0' })[0]).toMatch(/--vhid must be an integer from 1 to 255, got "0"/);
  });

  it.each([
    ['advskew', '0', 0],
    ['advskew', '255', 255],
    ['deadratio', '1', 1],
    ['deadratio', '255', 255],
    ['port', '1', 1],
    ['port', '65535', 65535],
  ] as const)('--%s %s is accepted', (name, value, expected) => {
    expect(accept({ [name]: value })[name]).toBe(expected);
  });

  it.each([
    ['advskew', '256', 0, 255],
    ['advskew', '-1', 0, 255],
    ['advskew', '1.5', 0, 255],
    ['deadratio', '0', 1, 255],
    ['deadratio', '256', 1, 255],
    ['port', '0', 1, 65535],
    ['port', '65536', 1, 65535],
    ['port', 'http', 1, 65535],
  ] as const)('--%s "%s" is rejected', (name, value, min, max) => {
    expect(problems({ [name]: value })).toEqual([`--${name} must be an integer from ${min} to ${max}, got "${value}"`]);
  });

  it.each([
    ['1', 1000],
    ['0.1', 100],
    ['0.01', 10],
    ['.5', 500],
    ['2.5', 2500],
    ['255', 255_000],
  ] as const)('--advbase %s is %i ms', (value, ms) => {
    expect(accept({ advbase: value }).advbaseMs).toBe(ms);
  });

  it.each(['0.005', '0', '256', '-1', '1e3', '1,5', 'abc', ''])('--advbase "%s" is rejected', (value) => {
    expect(problems({ advbase: value })).toEqual([`--advbase must be a number of seconds from 0.01 to 255, got "${value}"`]);
  });

  it('--hook-timeout takes seconds, fractions included, and must be above zero', () => {
    expect(accept({ 'hook-timeout': '0.001' }).hookTimeoutMs).toBe(1);
    expect(accept({ 'hook-timeout': '2.5' }).hookTimeoutMs).toBe(2500);
    expect(accept({ 'hook-timeout': '86400' }).hookTimeoutMs).toBe(86_400_000);
    for (const bad of ['0', '86401', '-5', 'forever']) {
      expect(problems({ 'hook-timeout': bad })).toEqual([`--hook-timeout must be a number of seconds from 0.001 to 86400, got "${bad}"`]);
    }
  });

  it('--cooldown takes seconds and may be zero', () => {
    expect(accept({ cooldown: '0' }).cooldownMs).toBe(0);
    expect(accept({ cooldown: '0.25' }).cooldownMs).toBe(250);
    expect(accept({ cooldown: '86400' }).cooldownMs).toBe(86_400_000);
    for (const bad of ['86401', '-1', 'soon']) {
      expect(problems({ cooldown: bad })).toEqual([`--cooldown must be a number of seconds from 0 to 86400, got "${bad}"`]);
    }
  });
});

describe('validate: -s and -a addresses', () => {
  it.each([
    ['srcip', '10.0.0.256'],
    ['srcip', '10.0.0'],
    ['srcip', '10.0.0.1.2'],
    ['srcip', 'host.example'],
    ['addr', ''],
    ['addr', '010.0.0.99'],
    ['addr', '10.0.0.099'],
    ['addr', '10.0.0.99 '],
  ] as const)('--%s "%s" is rejected, quoting the value', (name, value) => {
    expect(problems({ [name]: value })).toEqual([`--${name} must be an IPv4 or IPv6 address such as 10.0.0.1 or 2001:db8::1, got "${value}"`]);
  });

  it('accepts the edges of the dotted quad', () => {
    expect(accept({ srcip: '0.0.0.1', addr: '255.255.255.254' })).toMatchObject({ srcip: '0.0.0.1', vip: '255.255.255.254' });
  });

  it('--addr must differ from --srcip', () => {
    expect(problems({ addr: '10.0.0.1' })).toEqual(['--addr must differ from --srcip, both are "10.0.0.1"']);
  });
});

describe('validate: --mcast', () => {
  it.each(['224.0.0.18', '239.255.5.98', '239.1.2.3'])('%s is a multicast group', (group) => {
    expect(accept({ mcast: group }).mcast).toBe(group);
  });

  it.each(['10.0.0.1', '223.255.255.255', '240.0.0.1', '255.255.255.255'])('%s is not a multicast group', (ip) => {
    expect(problems({ mcast: ip })).toEqual([`--mcast must be a multicast address (224.0.0.0–239.255.255.255), got "${ip}"`]);
  });

  it('a malformed group is reported as a bad IPv4 address', () => {
    expect(problems({ mcast: '239.0.0.300' })).toContain('--mcast must be an IPv4 address such as 10.0.0.1, got "239.0.0.300"');
  });

  it('a value that is no address at all is reported once', () => {
    expect(problems({ mcast: 'abc' })).toEqual(['--mcast must be an IPv4 address such as 10.0.0.1, got "abc"']);
  });
});

describe('validate: --peer', () => {
  it('an address alone uses the default port', () => {
    expect(accept({ peer: ['10.0.0.2'] }).peers).toEqual([{ address: '10.0.0.2', port: 5798 }]);
  });

  it('an address alone uses --port when it is given', () => {
    expect(accept({ port: '6000', peer: ['10.0.0.2'] }).peers).toEqual([{ address: '10.0.0.2', port: 6000 }]);
  });

  it('address:port and repeated peers are kept in order', () => {
    expect(accept({ peer: ['10.0.0.2:6000', '10.0.0.3'] }).peers).toEqual([
      { address: '10.0.0.2', port: 6000 },
      { address: '10.0.0.3', port: 5798 },
    ]);
  });

  it('a single --peer string (not an array) is accepted too', () => {
    expect(accept({ peer: '10.0.0.2:1' }).peers).toEqual([{ address: '10.0.0.2', port: 1 }]);
  });

  it.each(['10.0.0.2:0', '10.0.0.2:65536', '10.0.0.2:', '10.0.0.2:http', '10.0.0.2:123456', 'peer.example:5798', '10.0.0.256', ':5798', ''])(
    '"%s" is rejected, quoting the value',
    (peer) => {
      expect(problems({ peer: [peer] })).toEqual([`--peer must be an IPv4 address with an optional :port, got "${peer}"`]);
    },
  );

  it("this node's own --srcip is not a peer", () => {
    expect(problems({ peer: ['10.0.0.2', '10.0.0.1:6000'] })).toEqual([`--peer must name other nodes, got this node's own --srcip "10.0.0.1"`]);
  });

  it('--nomcast and --peer cannot be combined', () => {
    expect(problems({ nomcast: true, peer: ['10.0.0.2'] })).toEqual(['--nomcast and --peer cannot be combined: choose broadcast or unicast adverts']);
  });
});

describe('validate: the shared secret', () => {
  it('--pass gives the secret on the command line', () => {
    expect(accept({ passfile: undefined, pass: 'hunter2' }).secret).toEqual({ kind: 'pass', value: 'hunter2', fromEnv: false });
  });

  it('--pass and --passfile cannot be combined', () => {
    expect(problems({ pass: 'hunter2' })).toEqual(['--pass and --passfile cannot be combined: give the secret once']);
  });

  it('an empty --pass is rejected', () => {
    expect(problems({ passfile: undefined, pass: '' })).toEqual(['--pass must not be empty']);
  });

  it('FLOATD_PASSFILE names the passfile when no flag does', () => {
    expect(accept({ passfile: undefined }, { FLOATD_PASSFILE: '/run/secrets/key' }).secret).toEqual({ kind: 'file', path: '/run/secrets/key', fromEnv: true });
  });

  it('FLOATD_PASS gives the secret when no flag does', () => {
    expect(accept({ passfile: undefined }, { FLOATD_PASS: 's3cret' }).secret).toEqual({ kind: 'pass', value: 's3cret', fromEnv: true });
  });

  it('FLOATD_PASSFILE wins over FLOATD_PASS', () => {
    const env = { FLOATD_PASSFILE: '/run/secrets/key', FLOATD_PASS: 's3cret' };
    expect(accept({ passfile: undefined }, env).secret).toEqual({ kind: 'file', path: '/run/secrets/key', fromEnv: true });
  });

  it('flags win over the environment', () => {
    const env = { FLOATD_PASSFILE: '/run/secrets/key', FLOATD_PASS: 's3cret' };
    expect(accept({}, env).secret).toEqual({ kind: 'file', path: '/etc/floatd/key', fromEnv: false });
    expect(accept({ passfile: undefined, pass: 'flag' }, env).secret).toEqual({ kind: 'pass', value: 'flag', fromEnv: false });
  });

  it('empty environment variables count as unset', () => {
    expect(problems({ passfile: undefined }, { FLOATD_PASSFILE: '', FLOATD_PASS: '' })).toEqual([expect.stringMatching(/shared secret is required/)]);
  });

  it('validate() reads only the env it is given, never process.env', () => {
    const saved = process.env.FLOATD_PASS;
    process.env.FLOATD_PASS = 'from-process-env';
    try {
      expect(problems({ passfile: undefined })).toEqual([expect.stringMatching(/shared secret is required/)]);
    } finally {
      if (saved === undefined) delete process.env.FLOATD_PASS;
      else process.env.FLOATD_PASS = saved;
    }
  });
});

describe('validate: enumerations', () => {
  it.each(['json', 'pretty', 'auto'] as const)('--log-format %s is accepted', (f) => {
    expect(accept({ 'log-format': f }).logFormat).toBe(f);
  });

  it.each(['ip', 'record'] as const)('--vip-driver %s is accepted', (d) => {
    expect(accept({ 'vip-driver': d }).vipDriver).toBe(d);
  });

  it.each(['daemon', 'user', 'local0', 'local7', 'authpriv'])('--facility %s is accepted', (f) => {
    expect(accept({ facility: f }).facility).toBe(f);
  });

  it.each([
    ['log-format', 'text', 'json, pretty, auto'],
    ['log-format', 'JSON', 'json, pretty, auto'],
    ['vip-driver', 'nft', 'ip, record'],
    ['vip-driver', '', 'ip, record'],
  ] as const)('--%s "%s" is rejected with the allowed values', (name, value, allowed) => {
    expect(problems({ [name]: value })).toEqual([`--${name} must be one of ${allowed}, got "${value}"`]);
  });

  it.each(['local8', 'LOCAL0', 'daemon.notice'])('--facility "%s" is rejected', (f) => {
    const [p, ...rest] = problems({ facility: f });
    expect(rest).toEqual([]);
    expect(p).toMatch(new RegExp(`^--facility must be one of auth, .*local7, got "${f.replace('.', '\\.')}"$`));
  });
});

describe('validate: --state-file', () => {
  it('the default names the interface and the vhid (one vhid may run on two interfaces)', () => {
    expect(accept({ vhid: '42' }).stateFile).toBe('/run/floatd/eth0-vhid-42.json');
    expect(accept({ vhid: '42', interface: 'eth1.7' }).stateFile).toBe('/run/floatd/eth1.7-vhid-42.json');
  });

  it('a given path is kept, with <vhid> substituted too', () => {
    expect(accept({ 'state-file': '/tmp/f.json' }).stateFile).toBe('/tmp/f.json');
    expect(accept({ vhid: '7', 'state-file': '/var/lib/floatd/<vhid>.json' }).stateFile).toBe('/var/lib/floatd/7.json');
  });
});

describe('validate: --control-socket', () => {
  it('the default gets the interface and vhid substituted, like --state-file', () => {
    expect(accept({ vhid: '42' }).controlSocket).toBe('/run/floatd/eth0-42.sock');
    expect(accept({ 'control-socket': '/run/x/<interface>.<vhid>.sock' }).controlSocket).toBe('/run/x/eth0.10.sock');
    expect(accept({ vhid: '7', 'control-socket': '/var/run/x/<vhid>.sock' }).controlSocket).toBe('/var/run/x/7.sock');
  });

  it('must be absolute and fit a unix socket address with room for the private bind directory', () => {
    expect(problems({ 'control-socket': 'floatd.sock' })).toEqual(['--control-socket must be an absolute path, got "floatd.sock"']);
    const long = `/${'d'.repeat(100)}/s.sock`;
    expect(problems({ 'control-socket': long })).toEqual([`--control-socket must be at most 107 bytes long in a directory of at most 96 (a unix socket path limit), got "${long}"`]);
    // 96 bytes of directory is the most: its private bind directory is then exactly 107 bytes long.
    expect(accept({ 'control-socket': `/${'d'.repeat(95)}/s` }).controlSocket).toHaveLength(98);
    expect(problems({ 'control-socket': `/${'d'.repeat(96)}/s` })).toHaveLength(1);
    expect(problems({ 'control-socket': '' })).toEqual(['--control-socket must be a non-empty path, got ""']);
  });
});

describe('validate: --garp-refresh', () => {
  it('is off by default and in milliseconds when given', () => {
    expect(accept().garpRefreshMs).toBe(0);
    expect(accept({ 'garp-refresh': '30' }).garpRefreshMs).toBe(30_000);
  });

  it('is 0 or at least a second, and a number', () => {
    expect(problems({ 'garp-refresh': '0.5' })).toEqual(['--garp-refresh must be 0 (off) or at least 1 second, got "0.5"']);
    expect(problems({ 'garp-refresh': 'often' })).toEqual(['--garp-refresh must be a number of seconds from 0 to 86400, got "often"']);
  });
});

describe('validate: several problems at once', () => {
  it('reports every problem together, each naming its flag and quoting its value', () => {
    const found = problems({ vhid: '0', srcip: '10.0.0.256', advbase: '0.005', advskew: '300', port: '0', 'log-format': 'xml', peer: ['nope'], pass: 'x' });
    expect(found).toEqual(
      expect.arrayContaining([
        '--vhid must be an integer from 1 to 255, got "0"',
        '--srcip must be an IPv4 or IPv6 address such as 10.0.0.1 or 2001:db8::1, got "10.0.0.256"',
        '--advbase must be a number of seconds from 0.01 to 255, got "0.005"',
        '--advskew must be an integer from 0 to 255, got "300"',
        '--port must be an integer from 1 to 65535, got "0"',
        '--log-format must be one of json, pretty, auto, got "xml"',
        '--peer must be an IPv4 address with an optional :port, got "nope"',
        '--pass and --passfile cannot be combined: give the secret once',
      ]),
    );
    expect(found).toHaveLength(8);
  });

  it('the thrown ConfigError carries the problems one per line of its message', () => {
    let caught: unknown;
    try {
      validate({ ...BASE, vhid: 'abc', advskew: 'x' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const err = caught as ConfigError;
    expect(err.name).toBe('ConfigError');
    expect(err.message.split('\n')).toEqual(err.problems);
    expect(err.problems).toEqual(['--vhid must be an integer from 1 to 255, got "abc"', '--advskew must be an integer from 0 to 255, got "x"']);
  });

  it('the last of a repeated single-value flag wins', () => {
    expect(accept({ vhid: ['3', '4'] }).vhid).toBe(4);
  });
});

describe('validate: --check', () => {
  it('no --check: no health checks', () => {
    expect(accept().checks).toEqual([]);
  });

  it('each --check becomes a CheckSpec, in order (a single string too)', () => {
    expect(accept({ check: ['weight=50 -- ping -c1 10.0.0.254', 'on=master -- hooks/mfs/check'] }).checks.map((c) => [c.command, c.mode, c.weight, c.on])).toEqual([
      ['ping -c1 10.0.0.254', 'weight', 50, 'all'],
      ['hooks/mfs/check', 'fault', 0, 'master'],
    ]);
    expect(accept({ check: 'test -e /srv/ok' }).checks).toHaveLength(1);
  });

  it('a bad --check is reported with the other problems, naming the flag and quoting the value', () => {
    expect(problems({ check: ['fall=0 -- true', 'true'], advskew: '300' })).toEqual([
      '--advskew must be an integer from 0 to 255, got "300"',
      '--check "fall=0 -- true": fall must be an integer 1–100, got "0"',
    ]);
  });
});
