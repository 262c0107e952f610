// The SVG bar chart (scripts/charts/bar-chart.ts) read back as XML: one bar a figure, lengths to scale (linear
// and log), the figure printed past each bar's end, explicit colours on a white card, and bad specs refused.
import { describe, expect, it } from 'vitest';
import { barChart, tickText, type ChartSpec } from '../../../scripts/charts/bar-chart.js';
import { descendants, parseXml, type XmlElement } from '../../support/xml.js';

const spec = (over: Partial<ChartSpec> = {}): ChartSpec => ({
  title: 'Failover <fault> & "answer"',
  series: ['floatd', 'ucarp', 'keepalived'],
  groups: [
    { label: '1 s · SIGKILL', bars: [{ series: 'floatd', ms: 2000, low: 1500, high: 2500, text: '2000 ms' }, { series: 'ucarp', ms: 1000, text: '1000 ms' }] },
    { label: '1 s · graceful stop', bars: [{ series: 'floatd', ms: 0, text: '0 ms' }, { series: 'ucarp', ms: 500, text: '500 ms' }] },
  ],
  ...over,
});

const all = (svg: string) => descendants(parseXml(svg));
const bars = (svg: string) => all(svg).filter((e) => e.name === 'rect' && e.attrs.class === 'bar');
const n = (e: XmlElement | undefined, a: string) => Number(e?.attrs[a]);
const texts = (svg: string) => all(svg).filter((e) => e.name === 'text');

describe('barChart', () => {
  it('is a well-formed SVG document on a white card as large as the picture', () => {
    const root = parseXml(barChart(spec()));
    expect(root.name).toBe('svg');
    expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    expect(root.attrs.viewBox).toBe(`0 0 ${root.attrs.width} ${root.attrs.height}`);
    const card = root.children.find((e) => e.name === 'rect');
    expect(card?.attrs).toMatchObject({ width: root.attrs.width, height: root.attrs.height, fill: '#ffffff' });
    expect(root.children.find((e) => e.name === 'title')?.text).toBe('Failover <fault> & "answer"');
  });

  it('draws one bar a figure, in its series colour, linear lengths to scale', () => {
    const b = bars(barChart(spec()));
    expect(b).toHaveLength(4);
    const [k2000, u1000, k0, u500] = b;
    expect(n(k2000, 'width')).toBeCloseTo(2 * n(u1000, 'width'), 0);
    expect(n(u1000, 'width')).toBeCloseTo(2 * n(u500, 'width'), 0);
    expect(n(k0, 'width')).toBe(0);
    expect(k2000?.attrs.fill).toBe(k0?.attrs.fill);
    expect(u1000?.attrs.fill).toBe(u500?.attrs.fill);
    expect(k2000?.attrs.fill).not.toBe(u1000?.attrs.fill);
    expect(b.map((e) => e.children[0]?.text)).toEqual(['floatd, 1 s · SIGKILL: 2000 ms', 'ucarp, 1 s · SIGKILL: 1000 ms', 'floatd, 1 s · graceful stop: 0 ms', 'ucarp, 1 s · graceful stop: 500 ms']);
  });

  it('prints each figure just past its bar, or past its whisker', () => {
    const svg = barChart(spec());
    const [k2000, u1000] = bars(svg);
    const label = (t: string) => texts(svg).find((e) => e.text === t);
    expect(n(label('1000 ms'), 'x')).toBeCloseTo(n(u1000, 'x') + n(u1000, 'width') + 5, 0);
    // The whisker reaches 2500: the 2000 ms label starts past it, a quarter of the bar further on.
    expect(n(label('2000 ms'), 'x')).toBeCloseTo(n(k2000, 'x') + n(k2000, 'width') * 1.25 + 5, 0);
    expect(all(svg).filter((e) => e.name === 'path' && e.attrs.stroke !== undefined)).toHaveLength(1);
  });

  it('gives every shape and text an explicit colour, never currentColor', () => {
    const svg = barChart(spec());
    expect(svg).not.toMatch(/currentColor/i);
    for (const e of all(svg).filter((x) => ['rect', 'text'].includes(x.name))) expect(e.attrs.fill, `<${e.name}> ${e.text}`).toMatch(/^#[0-9a-fA-F]{6}$/);
  });

  it('shows in the legend only the series with a figure, in the given colours', () => {
    const svg = barChart(spec({ colours: ['#111111', '#222222', '#333333'] }));
    expect(texts(svg).map((t) => t.text)).toEqual(expect.arrayContaining(['floatd', 'ucarp']));
    expect(texts(svg).map((t) => t.text)).not.toContain('keepalived');
    expect(bars(svg).map((b) => b.attrs.fill)).toEqual(['#111111', '#222222', '#111111', '#222222']);
  });

  it('puts linear ticks at 1/2/5 steps, in s from 2 s up and in ms below', () => {
    const ticks = (svg: string) => texts(svg).filter((t) => t.attrs['text-anchor'] === 'middle').map((t) => t.text);
    expect(ticks(barChart(spec()))).toEqual(['0 s', '0.5 s', '1 s', '1.5 s', '2 s', '2.5 s']);
    const small = spec({ groups: [{ label: 'a', bars: [{ series: 'floatd', ms: 450, text: '450 ms' }] }] });
    expect(ticks(barChart(small))).toEqual(['0 ms', '100 ms', '200 ms', '300 ms', '400 ms', '500 ms']);
  });

  it('on a log scale, equal ratios are equal lengths, and the axis ends at the first 1/2/5 step past the figures', () => {
    const svg = barChart(spec({ scale: 'log', groups: [{ label: 'a', bars: [{ series: 'floatd', ms: 10, text: '10 ms' }, { series: 'ucarp', ms: 100, text: '100 ms' }, { series: 'keepalived', ms: 1000, low: 2.5, high: 2826, text: '1000 ms' }] }] }));
    const [w10, w100, w1000] = bars(svg).map((b) => n(b, 'width'));
    expect((w100 as number) - (w10 as number)).toBeCloseTo(w10 as number, 0);
    expect((w1000 as number) - (w100 as number)).toBeCloseTo(w10 as number, 0);
    expect(texts(svg).filter((t) => t.attrs['text-anchor'] === 'middle').map((t) => t.text)).toEqual(['1 ms', '10 ms', '100 ms', '1 s', '5 s']);
  });

  it('draws a group mark as a dashed line with its own legend entry, and moves a figure that would cross it', () => {
    const marked = spec({ markName: 'target', groups: [{ label: 'a', mark: { ms: 1100, text: '1.1 s' }, bars: [{ series: 'floatd', ms: 1000, text: '1000 ms' }, { series: 'ucarp', ms: 2000, text: '2000 ms' }] }] });
    const svg = barChart(marked);
    const mark = all(svg).find((e) => e.name === 'path' && e.children[0]?.text === 'target, a: 1.1 s');
    const markX = Number(/^M([\d.]+)/.exec(mark?.attrs.d ?? '')?.[1]);
    const [b1000, b2000] = bars(svg);
    expect(markX).toBeCloseTo(n(b2000, 'x') + n(b2000, 'width') * 0.55, 0);
    expect(n(texts(svg).find((t) => t.text === '1000 ms'), 'x')).toBeCloseTo(markX + 5, 0);
    expect(n(texts(svg).find((t) => t.text === '2000 ms'), 'x')).toBeCloseTo(n(b2000, 'x') + n(b2000, 'width') + 5, 0);
    expect(n(b1000, 'width')).toBeGreaterThan(0);
    expect(texts(svg).map((t) => t.text)).toContain('target');
  });

  it('cuts a group label too long for the label column, keeping it whole in the bars\' tooltips', () => {
    const label = `metalogger -b 1, ${'mfsioretries=5, '.repeat(4)}VIP first · graceful`;
    const svg = barChart(spec({ groups: [{ label, bars: [{ series: 'floatd', ms: 1, text: '1 ms' }] }] }));
    const shown = texts(svg).find((t) => t.attrs['text-anchor'] === 'end')?.text ?? '';
    expect(shown).toMatch(/^metalogger -b 1, mfsioretries=5, .+…$/);
    expect(shown.length).toBeLessThan(label.length);
    expect(n(texts(svg).find((t) => t.attrs['text-anchor'] === 'end'), 'x') - shown.length * 12 * 0.58).toBeGreaterThanOrEqual(0);
    expect(bars(svg)[0]?.children[0]?.text).toBe(`floatd, ${label}: 1 ms`);
  });

  it('refuses a bar of an unknown series or a figure that is not a finite figure ≥ 0, quoting it', () => {
    const one = (bar: ChartSpec['groups'][number]['bars'][number]) => spec({ groups: [{ label: 'g', bars: [bar] }] });
    expect(() => barChart(one({ series: 'vrrpd', ms: 1, text: '1' }))).toThrow('bar series must be one of the chart\'s series (floatd, ucarp, keepalived), got "vrrpd" in group "g"');
    expect(() => barChart(one({ series: 'floatd', ms: -1, text: '-1' }))).toThrow('bar ms must be a finite figure ≥ 0, got "-1" (group "g", series "floatd")');
    expect(() => barChart(one({ series: 'floatd', ms: 1, high: Number.NaN, text: '1' }))).toThrow('bar high must be a finite figure ≥ 0, got "NaN"');
  });
});

describe('tickText', () => {
  it('writes ms, or s without trailing zeros', () => {
    expect(tickText(250, false)).toBe('250 ms');
    expect(tickText(2.5, false)).toBe('2.5 ms');
    expect(tickText(1500, true)).toBe('1.5 s');
    expect(tickText(10_000, true)).toBe('10 s');
  });
});
