/**
 * A tiny XML writer for Open311 documents. GeoReport v2 XML is schemaless, without a namespace, UTF-8 with the
 * declaration first (spec "Encoding" and "XML Support"); arrays are repeated child elements (the Spark convention
 * maps them to JSON arrays).
 */

/** A value of an element: text, a number or boolean, null (an empty element), a nested object or a list. */
export type XmlValue = string | number | boolean | null | undefined | XmlObject | XmlList;
export interface XmlObject {
  [element: string]: XmlValue;
}
/** A list renders as one `<item>` element per entry inside its parent, e.g. `{ format: [...] }` in `<formats>`. */
export interface XmlList {
  item: string;
  values: XmlValue[];
}

const isList = (v: XmlValue): v is XmlList => typeof v === 'object' && v !== null && Array.isArray((v as XmlList).values);

// XML 1.0 allows only these characters (§2.2); imported text can hold control characters that would make the
// document ill-formed, so they are dropped.
// eslint-disable-next-line no-control-regex
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** Escapes text for element content. */
export const escapeXml = (text: string): string =>
  text
    .replace(INVALID_XML_CHARS, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    // A parser turns a literal CR (and CR LF) into LF (XML 1.0 §2.11); as a reference it survives, so text comes
    // back byte for byte.
    .replace(/\r/g, '&#13;');

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

const renderValue = (name: string, value: XmlValue, indent: string, out: string[]): void => {
  if (!NAME.test(name)) throw new Error(`not an XML element name: ${name}`);
  if (value === null || value === undefined || value === '') {
    out.push(`${indent}<${name}/>`);
    return;
  }
  if (isList(value)) {
    if (value.values.length === 0) {
      out.push(`${indent}<${name}/>`);
      return;
    }
    out.push(`${indent}<${name}>`);
    for (const v of value.values) renderValue(value.item, v, `${indent}  `, out);
    out.push(`${indent}</${name}>`);
    return;
  }
  if (typeof value === 'object') {
    out.push(`${indent}<${name}>`);
    for (const [child, v] of Object.entries(value)) renderValue(child, v, `${indent}  `, out);
    out.push(`${indent}</${name}>`);
    return;
  }
  out.push(`${indent}<${name}>${escapeXml(String(value))}</${name}>`);
};

/**
 * Renders a document with its XML declaration.
 *
 * @example
 * xmlDocument('service_requests', { item: 'request', values: [{ service_request_id: '20261124-000001' }] })
 * // <?xml version="1.0" encoding="UTF-8"?>\n<service_requests>\n  <request>…
 */
export function xmlDocument(root: string, value: XmlValue): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  renderValue(root, value, '', out);
  return `${out.join('\n')}\n`;
}
