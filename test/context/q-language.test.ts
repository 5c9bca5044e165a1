import { describe, expect, it } from 'vitest';
import { compileQ, compileQSql, evaluateQ, parseQ } from '../../src/context/q-language.js';
import { isProblem } from '../../src/platform/errors/problem.js';

const expand = (t: string) => `urn:t:${t}`;
const attrs = {
  'urn:t:temperature': [{ type: 'Property', value: 21.5, observedAt: '2026-11-26T08:00:00.000Z', 'urn:t:accuracy': { type: 'Property', value: 0.2 } }],
  'urn:t:status': [{ type: 'Property', value: 'on' }],
  'urn:t:address': [{ type: 'Property', value: { city: '云川', street: { name: '湖心路' } } }],
  'urn:t:owner': [{ type: 'Relationship', object: 'urn:ngsi-ld:Org:1' }],
  'urn:t:tags': [{ type: 'Property', value: ['a', 'b'] }],
} as never;

const q = (s: string) => evaluateQ(parseQ(s), attrs, expand);

describe('NGSI-LD q language', () => {
  it('evaluates comparisons, ranges, lists, patterns, paths and logic', () => {
    expect(q('temperature>20')).toBe(true);
    expect(q('temperature<20')).toBe(false);
    expect(q('temperature==20..22')).toBe(true);
    expect(q('temperature!=20..22')).toBe(false);
    expect(q('status=="on",off')).toBe(true);
    expect(q('status!="on","off"')).toBe(false);
    expect(q('status~=o.')).toBe(true);
    expect(q('status!~=^of')).toBe(true);
    expect(q('temperature.accuracy<0.5')).toBe(true);
    expect(q('temperature.observedAt>=2026-11-26T00:00:00Z')).toBe(true);
    expect(q('address[city]=="云川"')).toBe(true);
    expect(q('address[street][name]=="湖心路"')).toBe(true);
    expect(q('owner==urn:ngsi-ld:Org:1')).toBe(true);
    expect(q('tags=="b"')).toBe(true);
    expect(q('temperature>30|status=="on"')).toBe(true);
    expect(q('temperature>30;status=="on"')).toBe(false);
    expect(q('(temperature>30|status=="on");address')).toBe(true);
    expect(q('missing')).toBe(false);
    expect(q('temperature=="21.5"')).toBe(false); // types must match
  });

  it('compiles to a path with values bound separately', () => {
    const { path, vars } = compileQ(parseQ('status=="x\\" || true";temperature>1'), expand);
    expect(new Set(Object.values(vars))).toEqual(new Set(['x" || true', 1]));
    expect(path).not.toContain('|| true"');
    expect(path).toContain('$v0');
  });

  it('v1.8 §4.9: languageMap keys ([en], [*]), relationships never ordered, linked terms parsed with type hints', () => {
    const more = { ...(attrs as object), 'urn:t:label': [{ type: 'LanguageProperty', languageMap: { en: 'red', fr: 'rouge' } }], 'urn:t:peers': [{ type: 'ListRelationship', objectList: ['urn:a', 'urn:b'] }] } as never;
    const m = (s: string) => evaluateQ(parseQ(s), more, expand);
    expect(m('label[en]=="red"')).toBe(true);
    expect(m('label[en]=="rouge"')).toBe(false);
    expect(m('label[*]=="rouge"')).toBe(true);
    expect(m('label[*]!="red"')).toBe(false);
    expect(m('label[*]!="blue"')).toBe(true);
    expect(m('owner>"urn:a"')).toBe(false);
    expect(m('peers=="urn:b"')).toBe(true);
    // A linked term needs the linked entity: evaluated in the database (compileQSql), never true here.
    expect(m('owner{name}=="x"')).toBe(false);
    expect(parseQ('owner{Org:name}=="x"')).toMatchObject({ kind: 'term', via: ['owner'], viaTypes: ['Org'], attr: 'name', op: '==' });
    expect(parseQ('a{b{c.d[k]}}>1')).toMatchObject({ via: ['a', 'b'], attr: 'c', path: ['d'], keys: ['k'] });
    const sqlQ = compileQSql(parseQ('owner{Org:name}=="x"|status=="on"'), expand);
    expect(sqlQ).toMatchObject({ kind: 'or', items: [{ kind: 'link', types: ['urn:t:Org'], inner: { kind: 'path' } }, { kind: 'path' }] });
    expect(compileQSql(parseQ('status=="on"'), expand).kind).toBe('path');
    for (const bad of ['owner{name=="x"', 'owner{name}}=="x"', 'owner{}==1']) expect(() => parseQ(bad), bad).toThrow();
  });

  it('reports the position of syntax errors', () => {
    const cases: [string, number][] = [
      ['temperature>', 12],
      ['temperature>>1', 12],
      ['(a==1', 5],
      ['a==1)', 4],
      ['a=1', 1],
      ['a==1;', 5],
      ['a~=(', 3],
      ['a=="open', 3],
      ['', 0],
      ['a>1..3', 3],
    ];
    for (const [src, pos] of cases) {
      try {
        parseQ(src);
        throw new Error(`no error for ${src}`);
      } catch (err) {
        expect(isProblem(err), src).toBe(true);
        const p = err as { status: number; extra: { position: number; type: string } };
        expect(p.status).toBe(400);
        expect(p.extra.type).toBe('https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
        expect(p.extra.position, src).toBe(pos);
      }
    }
  });
});
