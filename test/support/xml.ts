// Just enough XML for the tests of generated SVG: a strict reader that throws on what is not well-formed
// (unclosed or crossed tags, unquoted or repeated attributes, a bare "&" or "<", more than one root) and
// returns the element tree.

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string; // the element's own text, entities decoded (not its children's)
}

const NAME = String.raw`[A-Za-z_:][\w:.-]*`;
const ENTITY = /&(?:amp|lt|gt|quot|apos|#\d+|#x[\da-fA-F]+);/g;
const decode = (s: string): string =>
  s.replace(ENTITY, (e) => ({ '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&apos;': "'" })[e] ?? String.fromCodePoint(Number(e.slice(2, -1).replace(/^x/, '0x'))));

function checkText(s: string, where: string): void {
  if (s.includes('<')) throw new Error(`a bare "<" ${where}`);
  if (s.replace(ENTITY, '').includes('&')) throw new Error(`a bare "&" or an unknown entity ${where}`);
}

// The document's root element; throws with the offset of the first fault.
export function parseXml(doc: string): XmlElement {
  const tag = new RegExp(String.raw`<(/?)(${NAME})((?:\s+${NAME}\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(/?)>|<!--[\s\S]*?-->|<\?xml[^?]*\?>`, 'y');
  const attr = new RegExp(String.raw`(${NAME})\s*=\s*(?:"([^"]*)"|'([^']*)')`, 'g');
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let at = 0;
  while (at < doc.length) {
    const lt = doc.indexOf('<', at);
    const text = doc.slice(at, lt < 0 ? doc.length : lt);
    checkText(text, `at ${at}`);
    const top = stack[stack.length - 1];
    if (top) top.text += decode(text);
    else if (text.trim() !== '') throw new Error(`text outside the root element at ${at}`);
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(doc);
    if (!m) throw new Error(`not a well-formed tag at ${lt}: ${doc.slice(lt, lt + 40)}`);
    at = tag.lastIndex;
    if (m[2] === undefined) continue; // a comment or the declaration
    const [, close, name, attrs = '', selfClose] = m as unknown as [string, string, string, string, string];
    if (close) {
      const open = stack.pop();
      if (open?.name !== name) throw new Error(`</${name}> at ${lt} closes <${open?.name ?? 'nothing'}>`);
      continue;
    }
    const el: XmlElement = { name, attrs: {}, children: [], text: '' };
    for (const a of attrs.matchAll(attr)) {
      const [, key, dq, sq] = a as unknown as [string, string, string | undefined, string | undefined];
      if (key in el.attrs) throw new Error(`attribute ${key} twice in <${name}> at ${lt}`);
      const value = dq ?? sq ?? '';
      checkText(value, `in attribute ${key} of <${name}> at ${lt}`);
      el.attrs[key] = decode(value);
    }
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else if (root) throw new Error(`a second root element <${name}> at ${lt}`);
    else root = el;
    if (!selfClose) stack.push(el);
  }
  if (stack.length) throw new Error(`<${stack[stack.length - 1]?.name}> is never closed`);
  if (!root) throw new Error('no root element');
  return root;
}

// Every element under `el` (itself included), in document order.
export function descendants(el: XmlElement): XmlElement[] {
  return [el, ...el.children.flatMap(descendants)];
}
