import type { DcatMetadata, OpenAttribute } from './schemas.js';

export interface DcatDatasetInput {
  id: string;
  identifier: string;
  title: string;
  description: string;
  keywords: string[];
  themes: string[];
  publisher: string;
  publisherId: string;
  metadata: DcatMetadata;
  updateCycle: string;
  openAttr: OpenAttribute;
  issued: Date;
  modified: Date;
}

/** Update cycles (更新周期) → the EU frequency vocabulary DCAT-AP 3 names for dct:accrualPeriodicity. */
const FREQUENCY: Record<string, string> = {
  realtime: 'CONT', daily: 'DAILY', weekly: 'WEEKLY', monthly: 'MONTHLY', quarterly: 'QUARTERLY', yearly: 'ANNUAL', irregular: 'IRREG',
};
const EU = 'http://publications.europa.eu/resource/authority';

/** The EU data themes (publications.europa.eu data-theme authority table), labelled as the table labels them. */
const EU_THEMES: Record<string, string> = {
  AGRI: 'Agriculture, fisheries, forestry and food', ECON: 'Economy and finance', EDUC: 'Education, culture and sport',
  ENER: 'Energy', ENVI: 'Environment', GOVE: 'Government and public sector', HEAL: 'Health',
  INTR: 'International issues', JUST: 'Justice, legal system and public safety', REGI: 'Regions and cities',
  SOCI: 'Population and society', TECH: 'Science and technology', TRAN: 'Transport',
};

const zh = (value: string) => ({ '@language': 'zh', '@value': value });

/**
 * A reference to a controlled-vocabulary term, typed with the class DCAT-AP 3 names for the property: the SHACL
 * shapes check `sh:class` on the value itself (dct:Frequency, dct:RightsStatement, dct:LicenseDocument…), so an
 * untyped IRI would not conform.
 */
const term = (id: string, type: string) => ({ '@id': id, '@type': type });

/**
 * Themes given as EU data-theme codes (SOCI, ECON…) become their URIs, other themes labelled concepts; either way a
 * skos:Concept with a preferred label (DCAT-AP 3: skos:prefLabel 1..n).
 */
const theme = (t: string) =>
  EU_THEMES[t]
    ? { ...term(`${EU}/data-theme/${t}`, 'skos:Concept'), 'skos:prefLabel': { '@language': 'en', '@value': EU_THEMES[t] } }
    : { '@type': 'skos:Concept', 'skos:prefLabel': zh(t) };
const date = (d: Date) => ({ '@type': 'xsd:dateTime', '@value': d.toISOString() });

/**
 * A DCAT-AP 3 catalogue in JSON-LD (https://semiceu.github.io/DCAT-AP/releases/3.0.1/): the catalogue's title,
 * description and publisher; each dataset's mandatory dct:title and dct:description, recommended publisher,
 * contact point, keyword, theme, distributions (each with its mandatory access URL). Validated with the official
 * SHACL shapes in test/catalog/demo.test.ts and catalog.test.ts (zero violations on the demo catalogue).
 */
export function dcatCatalog(baseUrl: string, datasets: DcatDatasetInput[], now: Date, publisher: string): Record<string, unknown> {
  const base = baseUrl.replace(/\/$/, '');
  return {
    '@context': {
      dcat: 'http://www.w3.org/ns/dcat#',
      dct: 'http://purl.org/dc/terms/',
      foaf: 'http://xmlns.com/foaf/0.1/',
      vcard: 'http://www.w3.org/2006/vcard/ns#',
      skos: 'http://www.w3.org/2004/02/skos/core#',
      xsd: 'http://www.w3.org/2001/XMLSchema#',
      adms: 'http://www.w3.org/ns/adms#',
    },
    '@id': `${base}/api/catalog/dcat`,
    '@type': 'dcat:Catalog',
    'dct:title': zh('城枢公共数据目录'),
    'dct:description': zh('CityHub public data catalogue (开放及有条件开放的数据资源)'),
    'dct:modified': date(now),
    // DCAT-AP 3: a catalogue has exactly one publisher (dct:publisher 1..1, a foaf:Agent with a name).
    'dct:publisher': { '@id': `${base}/api/catalog/dcat#publisher`, '@type': 'foaf:Agent', 'foaf:name': zh(publisher) },
    'dcat:dataset': datasets.map((d) => {
      const m = d.metadata;
      const node: Record<string, unknown> = {
        '@id': `${base}/api/catalog/datasets/${d.identifier}`,
        '@type': 'dcat:Dataset',
        'dct:identifier': d.identifier,
        'dct:title': zh(d.title),
        'dct:description': zh(d.description),
        'dct:publisher': { '@id': `${base}/api/orgs/${d.publisherId}`, '@type': 'foaf:Agent', 'foaf:name': zh(d.publisher) },
        'dct:issued': date(d.issued),
        'dct:modified': date(d.modified),
        'dcat:keyword': d.keywords.map(zh),
        'dcat:theme': d.themes.map(theme),
        'dct:accessRights': term(`${EU}/access-right/${d.openAttr === 'open' ? 'PUBLIC' : 'RESTRICTED'}`, 'dct:RightsStatement'),
        'dcat:distribution': (m.distributions ?? []).map((x, i) => ({
          '@id': `${base}/api/catalog/datasets/${d.identifier}#distribution-${i + 1}`,
          '@type': 'dcat:Distribution',
          'dct:title': zh(x.title),
          ...(x.description ? { 'dct:description': zh(x.description) } : {}),
          'dct:format': term(`${EU}/file-type/${x.format.toUpperCase()}`, 'dct:MediaTypeOrExtent'),
          ...(x.mediaType ? { 'dcat:mediaType': term(`https://www.iana.org/assignments/media-types/${x.mediaType}`, 'dct:MediaType') } : {}),
          'dcat:accessURL': { '@id': x.accessUrl ?? `${base}/api/share/${d.identifier}/rows` },
          ...(m.licence ? { 'dct:license': term(m.licence, 'dct:LicenseDocument') } : {}),
        })),
      };
      const frequency = FREQUENCY[d.updateCycle];
      if (frequency) node['dct:accrualPeriodicity'] = term(`${EU}/frequency/${frequency}`, 'dct:Frequency');
      if (m.contact) {
        node['dcat:contactPoint'] = {
          '@type': 'vcard:Kind',
          'vcard:fn': m.contact.name,
          ...(m.contact.email ? { 'vcard:hasEmail': { '@id': `mailto:${m.contact.email}` } } : {}),
          ...(m.contact.phone ? { 'vcard:hasTelephone': { '@id': `tel:${m.contact.phone}` } } : {}),
        };
      }
      if (m.licence) node['dct:license'] = term(m.licence, 'dct:LicenseDocument');
      if (m.temporal && (m.temporal.start || m.temporal.end)) {
        node['dct:temporal'] = {
          '@type': 'dct:PeriodOfTime',
          ...(m.temporal.start ? { 'dcat:startDate': { '@type': 'xsd:date', '@value': m.temporal.start } } : {}),
          ...(m.temporal.end ? { 'dcat:endDate': { '@type': 'xsd:date', '@value': m.temporal.end } } : {}),
        };
      }
      if (m.spatial) node['dct:spatial'] = { '@type': 'dct:Location', 'skos:prefLabel': zh(m.spatial) };
      if (m.landingPage) node['dcat:landingPage'] = { '@id': m.landingPage };
      if (m.language) node['dct:language'] = term(`${EU}/language/${m.language.toUpperCase()}`, 'dct:LinguisticSystem');
      return node;
    }),
  };
}
