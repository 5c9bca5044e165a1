import { createHash } from 'node:crypto';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { Problem } from '../../platform/errors/problem.js';
import { compileDateParser, type DateParser } from './date-format.js';
import { satisfactions, ticketChannels, ticketResults, ticketStatuses, urgencies } from '../ticket-enums.js';

/**
 * The column mapping of `cityhub import tickets` (docs/import.md): for each ticket field, where its value comes
 * from (a column, several columns joined, a template, a constant, or a hash of columns for an id) and how it is
 * transformed (trim, null-if, value map, date pattern, number, split into a list, maximum length).
 */
const FieldObject = Type.Object(
  {
    column: Type.Optional(Type.String({ description: 'the header of the source column' })),
    columns: Type.Optional(Type.Array(Type.String(), { minItems: 1, description: 'columns joined by `separator`' })),
    separator: Type.Optional(Type.String({ description: 'joins `columns` (default a space); splits a list field (default ,)' })),
    first: Type.Optional(Type.Boolean({ description: 'with `columns`: the first non-empty one instead of joining them' })),
    template: Type.Optional(Type.String({ description: 'text with {Column} placeholders' })),
    value: Type.Optional(Type.Union([Type.String(), Type.Number(), Type.Boolean()], { description: 'a constant' })),
    hash: Type.Optional(Type.Array(Type.String(), { minItems: 1, description: 'sha256 of these columns, for a stable id' })),
    trim: Type.Optional(Type.Boolean({ description: 'default true' })),
    nullIf: Type.Optional(Type.Array(Type.String(), { description: 'values that mean "no value"' })),
    map: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()]), { description: 'value map; "*" is the fallback' })),
    date: Type.Optional(
      Type.Union([Type.String(), Type.Array(Type.String(), { minItems: 1 })], {
        description: 'date pattern (YYYY MM DD HH hh mm ss SSS A) or "iso"; a list is tried in order',
      }),
    ),
    timeZone: Type.Optional(Type.String({ description: 'zone of the date (default: the mapping timeZone)' })),
    default: Type.Optional(Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
    maxLength: Type.Optional(Type.Integer({ minimum: 1, description: 'longer text is cut' })),
  },
  { additionalProperties: false },
);
const FieldSpec = Type.Union([Type.String({ description: 'shorthand for {"column": …}' }), FieldObject]);
export type FieldSpec = Static<typeof FieldSpec>;

/** Every ticket field a mapping can fill. */
export const importTargets = {
  external_id: 'text',
  title: 'text',
  content: 'text',
  created_at: 'date',
  status: 'text',
  category: 'text',
  category_level1: 'text',
  category_level2: 'text',
  category_level3: 'text',
  category_code: 'text',
  channel: 'text',
  urgency: 'text',
  address: 'text',
  lat: 'number',
  lon: 'number',
  likes: 'number',
  tags: 'list',
  reply_text: 'text',
  result: 'text',
  satisfaction: 'text',
  citizen_name: 'text',
  citizen_phone: 'text',
  area: 'text',
  district: 'text',
  street: 'text',
  dispatched_at: 'date',
  accepted_at: 'date',
  due_at: 'date',
  answered_at: 'date',
  visited_at: 'date',
  closed_at: 'date',
} as const;
export type ImportTarget = keyof typeof importTargets;

export const MappingSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
    /** Recorded on every ticket with its external id; `--source` overrides it. */
    source: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' }),
    format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('xlsx')])),
    delimiter: Type.Optional(Type.String({ minLength: 1, maxLength: 1 })),
    /** xlsx: the sheet name or 1-based number (default the first). */
    sheet: Type.Optional(Type.Union([Type.String(), Type.Integer({ minimum: 1 })])),
    /** Zone of dates without one (IANA name or ±hh:mm); default the hotline's time zone. */
    timeZone: Type.Optional(Type.String()),
    /** Splits `category` into levels (default "/"). */
    categorySeparator: Type.Optional(Type.String({ minLength: 1 })),
    /** A category not in the taxonomy: create it (default), report the row as bad, or import without category. */
    unknownCategory: Type.Optional(Type.Union([Type.Literal('create'), Type.Literal('bad'), Type.Literal('none')])),
    /** Splits `area` into district / street (default "/"). */
    areaSeparator: Type.Optional(Type.String({ minLength: 1 })),
    /** An area name not in the area tree: import without area (default) or report the row as bad. */
    unknownArea: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('bad')])),
    /** Route open tickets without a unit by the routing rules (default true); see docs/import.md. */
    route: Type.Optional(Type.Boolean()),
    fields: Type.Record(Type.String(), FieldSpec),
  },
  { additionalProperties: false },
);
export type Mapping = Static<typeof MappingSchema>;

/** An imported ticket may be in any status but `merged` (a merge needs its main ticket, which an import does not name). */
const statuses = ticketStatuses.filter((s) => s !== 'merged');

/** One source row turned into ticket values, before categories and numbers are resolved. */
export interface MappedRow {
  externalId: string;
  title: string;
  content: string;
  createdAt: Date;
  status: string;
  /** category path (1–3 levels), if any */
  categoryPath: string[] | null;
  categoryCode: string | null;
  channel: string;
  urgency: string;
  address: string | null;
  lat: number | null;
  lon: number | null;
  likes: number;
  tags: string[];
  replyText: string | null;
  result: string | null;
  satisfaction: string | null;
  citizenName: string | null;
  citizenPhone: string | null;
  /** area names: [district], [district, street], or [null, street] (a street name alone) */
  areaPath: [string | null, string | null] | null;
  dispatchedAt: Date | null;
  acceptedAt: Date | null;
  dueAt: Date | null;
  answeredAt: Date | null;
  visitedAt: Date | null;
  closedAt: Date | null;
}

/** A row that cannot be imported: the reason names the field and the value's problem. */
export class BadRow extends Error {}

/** Tries each pattern in order. */
const anyOf = (parsers: DateParser[]): DateParser =>
  parsers.length === 1
    ? parsers[0]
    : (t) => {
        for (const p of parsers) {
          const d = p(t);
          if (d) return d;
        }
        return undefined;
      };

type Getter = (row: Record<string, string>) => string | number | boolean | null;

const invalid = (message: string, errors: { field: string; message: string }[] = []): Problem =>
  new Problem('HOTLINE_IMPORT_MAPPING_INVALID', { detail: message, errors });

/** Validates a mapping document; every problem is listed with its JSON Pointer. */
export function parseMapping(json: unknown): Mapping {
  if (!Value.Check(MappingSchema, json)) {
    const errors = [...Value.Errors(MappingSchema, json)].slice(0, 20).map((e) => ({
      field: (e as { instancePath?: string }).instancePath || '/',
      message: e.message,
    }));
    throw invalid(`the mapping does not match the format: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`, errors);
  }
  for (const key of Object.keys(json.fields)) {
    if (!(key in importTargets)) throw invalid(`unknown field "${key}"; fields are: ${Object.keys(importTargets).join(', ')}`);
  }
  for (const required of ['external_id', 'title', 'created_at'] as const) {
    if (!json.fields[required]) throw invalid(`the mapping must fill "${required}"`);
  }
  return json;
}

/** The source columns a mapping reads, to check them against the file's header before importing. */
export function mappingColumns(mapping: Mapping): string[] {
  const cols = new Set<string>();
  for (const spec of Object.values(mapping.fields)) {
    if (typeof spec === 'string') cols.add(spec);
    else {
      if (spec.column) cols.add(spec.column);
      for (const c of spec.columns ?? []) cols.add(c);
      for (const c of spec.hash ?? []) cols.add(c);
      for (const m of (spec.template ?? '').matchAll(/\{([^}]+)\}/g)) cols.add(m[1]);
    }
  }
  return [...cols];
}

const compileField = (name: string, raw: FieldSpec): Getter => {
  const spec = typeof raw === 'string' ? { column: raw } : raw;
  const sources = [spec.column, spec.columns, spec.template, spec.value, spec.hash].filter((x) => x !== undefined).length;
  if (sources !== 1) throw invalid(`field "${name}" needs exactly one of column, columns, template, value, hash`);
  const trim = spec.trim ?? true;
  const clean = (v: string): string => (trim ? v.trim() : v);
  let read: (row: Record<string, string>) => string | number | boolean | null;
  if (spec.column !== undefined) {
    const c = spec.column;
    read = (row) => clean(row[c] ?? '');
  } else if (spec.columns) {
    const cs = spec.columns;
    const sep = spec.separator ?? ' ';
    read = spec.first
      ? (row) => cs.map((c) => clean(row[c] ?? '')).find(Boolean) ?? ''
      : (row) => cs.map((c) => clean(row[c] ?? '')).filter(Boolean).join(sep);
  } else if (spec.template !== undefined) {
    const t = spec.template;
    read = (row) => clean(t.replace(/\{([^}]+)\}/g, (_, c: string) => row[c] ?? ''));
  } else if (spec.hash) {
    const cs = spec.hash;
    read = (row) => {
      const h = createHash('sha256');
      for (const c of cs) h.update(row[c] ?? '').update('\u001f');
      return h.digest('hex').slice(0, 32);
    };
  } else {
    const v = spec.value!;
    read = () => v;
  }
  const nullIf = spec.nullIf ? new Set(spec.nullIf) : undefined;
  const map = spec.map;
  const fallback = map && '*' in map ? map['*'] : undefined;
  const kind = importTargets[name as ImportTarget];
  if (kind === 'date' && !spec.date) throw invalid(`field "${name}" is a date: give its "date" pattern (or "iso")`);
  if (kind !== 'date' && spec.date) throw invalid(`field "${name}" is not a date; remove "date"`);
  const dflt = spec.default;
  const maxLength = spec.maxLength;
  return (row) => {
    let v = read(row);
    if (typeof v === 'string') {
      if (v === '' || nullIf?.has(v)) v = null;
      if (map) {
        const key = v ?? '';
        if (key in map) v = map[key];
        else if (fallback !== undefined) v = fallback;
      }
      if (v === '') v = null;
    }
    if (v === null && dflt !== undefined) v = dflt;
    if (typeof v === 'string' && maxLength && v.length > maxLength) v = v.slice(0, maxLength);
    return v;
  };
};

const text = (v: string | number | boolean | null): string | null => (v === null ? null : String(v));

/**
 * Compiles a mapping into a function from a source record to ticket values; it throws `BadRow` with a reason
 * for a row that cannot become a ticket.
 *
 * @example const map = compileMapping(mapping, 'Asia/Shanghai'); const t = map({ id: '24', title: '…', … });
 */
export function compileMapping(mapping: Mapping, defaultZone: string): (row: Record<string, string>) => MappedRow {
  const zone = mapping.timeZone ?? defaultZone;
  const g: Partial<Record<ImportTarget, Getter>> = {};
  for (const [name, spec] of Object.entries(mapping.fields)) {
    try {
      g[name as ImportTarget] = compileField(name, spec);
    } catch (err) {
      if (err instanceof Problem) throw err;
      throw invalid(`field "${name}": ${(err as Error).message}`);
    }
  }
  const sep = mapping.categorySeparator ?? '/';
  const areaSep = mapping.areaSeparator ?? '/';
  const get = (name: ImportTarget, row: Record<string, string>) => (g[name] ? g[name]!(row) : null);
  const str = (name: ImportTarget, row: Record<string, string>) => text(get(name, row));
  const required = (name: ImportTarget, row: Record<string, string>): string => {
    const v = str(name, row);
    if (v === null) throw new BadRow(`${name} is empty`);
    return v;
  };
  const oneOf = <T extends string>(name: ImportTarget, row: Record<string, string>, allowed: readonly T[], dflt: T | null): T | null => {
    const v = str(name, row);
    if (v === null) return dflt;
    if (!(allowed as readonly string[]).includes(v)) throw new BadRow(`${name} "${v}" is not one of ${allowed.join(', ')}`);
    return v as T;
  };
  const num = (name: ImportTarget, row: Record<string, string>, min: number, max: number): number | null => {
    const v = get(name, row);
    if (v === null) return null;
    const n = typeof v === 'number' ? v : Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new BadRow(`${name} "${v}" is not a number between ${min} and ${max}`);
    return n;
  };
  const parsers: Partial<Record<ImportTarget, DateParser>> = {};
  for (const [name, spec] of Object.entries(mapping.fields)) {
    if (importTargets[name as ImportTarget] === 'date' && typeof spec !== 'string' && spec.date) {
      try {
        parsers[name as ImportTarget] = anyOf([spec.date].flat().map((p) => compileDateParser(p, spec.timeZone ?? zone)));
      } catch (err) {
        throw invalid(`field "${name}": ${(err as Error).message}`);
      }
    }
  }
  const date = (name: ImportTarget, row: Record<string, string>): Date | null => {
    const v = str(name, row);
    if (v === null) return null;
    const d = parsers[name]!(v);
    if (!d) throw new BadRow(`${name} "${v}" does not match the date pattern`);
    return d;
  };
  const listSep = (() => {
    const spec = mapping.fields.tags;
    return spec && typeof spec !== 'string' && spec.separator && !spec.columns ? spec.separator : ',';
  })();

  return (row) => {
    const externalId = required('external_id', row);
    if (externalId.length > 200) throw new BadRow('external_id is longer than 200 characters');
    const title = required('title', row);
    const createdAt = date('created_at', row);
    if (!createdAt) throw new BadRow('created_at is empty');
    let categoryPath: string[] | null = null;
    const cat = str('category', row);
    if (cat !== null) categoryPath = cat.split(sep).map((s) => s.trim()).filter(Boolean).slice(0, 3);
    else {
      const levels = [str('category_level1', row), str('category_level2', row), str('category_level3', row)];
      if (levels[0] !== null) categoryPath = levels.filter((l): l is string => l !== null);
    }
    if (categoryPath && categoryPath.length === 0) categoryPath = null;
    const lat = num('lat', row, -90, 90);
    const lon = num('lon', row, -180, 180);
    if ((lat === null) !== (lon === null)) throw new BadRow('lat and lon must both be present or both be empty');
    const tagText = str('tags', row);
    let areaPath: [string | null, string | null] | null = null;
    const areaText = str('area', row);
    if (areaText !== null) {
      const parts = areaText.split(areaSep).map((s) => s.trim()).filter(Boolean);
      if (parts.length) areaPath = [parts[0], parts[1] ?? null];
    } else {
      const district = str('district', row);
      const street = str('street', row);
      if (district !== null || street !== null) areaPath = [district, street];
    }
    return {
      externalId,
      title,
      content: str('content', row) ?? title,
      createdAt,
      status: oneOf('status', row, statuses, 'closed')!,
      categoryPath,
      categoryCode: str('category_code', row),
      channel: oneOf('channel', row, ticketChannels, 'other')!,
      urgency: oneOf('urgency', row, urgencies, 'normal')!,
      address: str('address', row),
      lat,
      lon,
      likes: Math.trunc(num('likes', row, 0, 2 ** 31 - 1) ?? 0),
      tags: tagText ? [...new Set(tagText.split(listSep).map((t) => t.trim()).filter(Boolean))] : [],
      replyText: str('reply_text', row),
      result: oneOf('result', row, ticketResults, null),
      satisfaction: oneOf('satisfaction', row, satisfactions, null),
      citizenName: str('citizen_name', row),
      citizenPhone: str('citizen_phone', row),
      areaPath,
      dispatchedAt: date('dispatched_at', row),
      acceptedAt: date('accepted_at', row),
      dueAt: date('due_at', row),
      answeredAt: date('answered_at', row),
      visitedAt: date('visited_at', row),
      closedAt: date('closed_at', row),
    };
  };
}
