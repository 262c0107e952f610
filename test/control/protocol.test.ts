// The control socket's line codec is pure: lines in, requests or error answers out; never a throw.
import { describe, expect, it } from 'vitest';
import { COMMANDS, LineReader, MAX_REQUEST_BYTES, encodeLine, parseRequest, parseResponse } from '../../src/control/protocol.js';

describe('parseRequest', () => {
  it.each(COMMANDS)('accepts {"cmd":"%s"} and round-trips through encodeLine', (cmd) => {
    const line = encodeLine({ cmd });
    expect(line.endsWith('\n')).toBe(true);
    expect(parseRequest(line.trimEnd())).toEqual({ ok: true, request: { cmd } });
  });

  it('ignores fields it does not know, so later clients can add some', () => {
    expect(parseRequest('{"cmd":"status","verbose":true}')).toEqual({ ok: true, request: { cmd: 'status' } });
  });

  it('answers bad JSON with an error that shows the expected form', () => {
    expect(parseRequest('{cmd: status}')).toEqual({ ok: false, error: 'request is not JSON: send one object per line, e.g. {"cmd":"status"}' });
    expect(parseRequest('')).toMatchObject({ ok: false, error: /not JSON/ });
  });

  it('answers JSON that is not an object', () => {
    for (const line of ['[]', '"status"', '42', 'null']) expect(parseRequest(line)).toEqual({ ok: false, error: 'request must be a JSON object, e.g. {"cmd":"status"}' });
  });

  it('names an unknown or missing cmd and lists the known ones', () => {
    expect(parseRequest('{"cmd":"reboot"}')).toEqual({ ok: false, error: 'unknown cmd "reboot": one of status, standby, resume, clear' });
    expect(parseRequest('{}')).toEqual({ ok: false, error: 'unknown cmd null: one of status, standby, resume, clear' });
    expect(parseRequest('{"cmd":7}')).toMatchObject({ ok: false, error: /^unknown cmd 7:/ });
    // Not a prototype lookup: "toString" is no command.
    expect(parseRequest('{"cmd":"toString"}')).toMatchObject({ ok: false });
  });

  it('refuses a line over the cap without parsing it', () => {
    const big = JSON.stringify({ cmd: 'status', pad: 'x'.repeat(MAX_REQUEST_BYTES) });
    expect(parseRequest(big)).toEqual({ ok: false, error: `request longer than ${MAX_REQUEST_BYTES} bytes` });
  });
});

describe('LineReader', () => {
  it('yields complete lines across chunks and keeps the rest for later', () => {
    const r = new LineReader();
    expect(r.push('{"cmd":')).toEqual([]);
    expect(r.push(Buffer.from('"status"}\n{"cmd"'))).toEqual(['{"cmd":"status"}']);
    expect(r.push(':"clear"}\r\n')).toEqual(['{"cmd":"clear"}']);
  });

  it('says too-long as soon as an unfinished line passes the cap, before the newline arrives', () => {
    const r = new LineReader(16);
    expect(r.push('x'.repeat(16))).toEqual([]);
    expect(r.push('x')).toBe('too-long');
  });

  it('counts bytes, not characters', () => {
    const r = new LineReader(8);
    expect(r.push('é'.repeat(4))).toEqual([]); // 8 bytes
    expect(new LineReader(8).push('é'.repeat(5))).toBe('too-long');
  });

  it('refuses a complete line over the cap too', () => {
    expect(new LineReader(4).push('12345\n')).toBe('too-long');
  });
});

describe('parseResponse', () => {
  it('accepts an error answer and an ok answer with a status, nothing else', () => {
    expect(parseResponse('{"ok":false,"error":"nope"}')).toEqual({ ok: false, error: 'nope' });
    expect(parseResponse('{"ok":true,"cmd":"status","message":"status","status":{"vhid":1}}')).toMatchObject({ ok: true, status: { vhid: 1 } });
    for (const line of ['{"ok":true}', 'null', 'garbage', '{"ok":false}']) expect(parseResponse(line)).toBeUndefined();
  });
});
