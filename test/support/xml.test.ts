// The strict XML reader the SVG tests rely on (test/support/xml.ts): it must refuse what is not well-formed,
// or those tests would pass a broken picture.
import { describe, expect, it } from 'vitest';
import { descendants, parseXml } from './xml.js';

describe('parseXml', () => {
  it('reads elements, attributes and decoded text', () => {
    const root = parseXml('<?xml version="1.0"?>\n<svg a="1" b=\'x &amp; y\'><!-- c --><title>1 &lt; 2 &#8594; &#x41;</title><rect/></svg>\n');
    expect(root.attrs).toEqual({ a: '1', b: 'x & y' });
    expect(descendants(root).map((e) => e.name)).toEqual(['svg', 'title', 'rect']);
    expect(root.children[0]?.text).toBe('1 < 2 → A');
  });

  it.each([
    ['<svg><g></svg></g>', '</svg> at 8 closes <g>'],
    ['<svg><g></svg>', '</svg> at 8 closes <g>'],
    ['<svg>', '<svg> is never closed'],
    ['<svg>a & b</svg>', 'a bare "&"'],
    ['<svg>&nbsp;</svg>', 'a bare "&" or an unknown entity'],
    ['<svg a=1/>', 'not a well-formed tag at 0'],
    ['<svg a="<"/>', 'a bare "<" in attribute a'],
    ['<svg t="a & b"/>', 'a bare "&" or an unknown entity in attribute t'],
    ['<svg a="1" a="2"/>', 'attribute a twice'],
    ['<svg/><svg/>', 'a second root element'],
    ['text<svg/>', 'text outside the root element'],
    ['', 'no root element'],
  ])('refuses %j', (doc, error) => {
    expect(() => parseXml(doc)).toThrow(error);
  });
});
