import { readFileSync } from 'node:fs';
import { Parser, Store } from 'n3';
import { JsonLdParser } from 'jsonld-streaming-parser';
import SHACLValidator from 'rdf-validate-shacl';
import type { Quad } from '@rdfjs/types';

/**
 * Issue 18: the public catalogue's DCAT JSON-LD checked against the official DCAT-AP 3 SHACL shapes
 * (fixtures/dcat-ap-3.0.1, SOURCE.md; SHA-256 ed668569a6f4d888b54c655352a270fac778c06b3af0388da125a10549107eba)
 * with a SHACL engine. Used by demo.test.ts (the demo catalogue) and catalog.test.ts (both engines).
 */
export const dcatShapes = new Store(new Parser().parse(readFileSync(new URL('./fixtures/dcat-ap-3.0.1/dcat-ap-SHACL.ttl', import.meta.url), 'utf8')));

/** The JSON-LD document as RDF quads (its context is inline: nothing is fetched). */
const toQuads = (doc: unknown): Promise<Quad[]> =>
  new Promise((resolve, reject) => {
    const quads: Quad[] = [];
    const parser = new JsonLdParser({ baseIRI: 'http://localhost/' });
    parser.on('data', (q: Quad) => quads.push(q));
    parser.on('error', reject);
    parser.on('end', () => resolve(quads));
    parser.end(JSON.stringify(doc));
  });

/** Every SHACL result of the document, one line each (focus node, path, message), for a readable failure. */
export const dcatViolations = async (doc: unknown): Promise<string[]> => {
  const report = await new SHACLValidator(dcatShapes).validate(new Store(await toQuads(doc)));
  return report.results.map((r) => `${r.focusNode?.value} ${r.path?.value ?? ''}: ${r.message.map((m) => m.value).join('; ')}`);
};
