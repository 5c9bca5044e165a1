import { SaxesParser } from 'saxes';

/** An element of a parsed document: its name, its child elements and its text. */
export interface XmlElement {
  name: string;
  children: XmlElement[];
  text: string;
}

/**
 * Parses XML strictly (saxes is a conformant, well-formedness-checking parser: any error throws) into a tree.
 * Also checks the XML declaration names UTF-8, as GeoReport v2 requires.
 */
export function parseXml(xml: string): XmlElement {
  if (!/^<\?xml version="1\.0" encoding="UTF-8"\?>/i.test(xml)) throw new Error('missing XML declaration with encoding="UTF-8"');
  const parser = new SaxesParser();
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  parser.on('error', (err) => {
    throw err;
  });
  parser.on('opentag', (tag) => {
    if (Object.keys(tag.attributes).length) throw new Error(`unexpected attributes on <${tag.name}>`);
    const el: XmlElement = { name: tag.name, children: [], text: '' };
    if (stack.length) stack[stack.length - 1].children.push(el);
    else root = el;
    stack.push(el);
  });
  parser.on('text', (t) => {
    if (stack.length) stack[stack.length - 1].text += t;
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  parser.write(xml).close();
  if (!root) throw new Error('no root element');
  return root;
}

/** The child element texts of an element, by name (for flat records such as <request>). */
export const fields = (el: XmlElement): Record<string, string> =>
  Object.fromEntries(el.children.map((c) => [c.name, c.text]));
