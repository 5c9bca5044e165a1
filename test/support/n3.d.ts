// The slice of n3 (2.x ships no type declarations) the DCAT-AP SHACL test uses: a Turtle parser and a dataset.
declare module 'n3' {
  import type { DatasetCore, Quad } from '@rdfjs/types';
  export class Parser {
    constructor(options?: { format?: string; baseIRI?: string });
    parse(input: string): Quad[];
  }
  export class Store implements DatasetCore<Quad> {
    constructor(quads?: Quad[]);
    readonly size: number;
    add(quad: Quad): this;
    delete(quad: Quad): this;
    has(quad: Quad): boolean;
    match(...args: Parameters<DatasetCore<Quad>['match']>): DatasetCore<Quad>;
    [Symbol.iterator](): Iterator<Quad>;
  }
}
