import type { FieldType } from './schemas.js';

export interface SchemaField {
  name: string;
  title: string;
  type: FieldType;
  required: boolean;
}

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';

/** GB 11643-1999: 18 characters, a valid birth date and the ISO 7064 MOD 11-2 check character. */
export function isCitizenId(value: string): boolean {
  if (!/^\d{17}[\dX]$/.test(value)) return false;
  const birth = value.slice(6, 14);
  const date = new Date(`${birth.slice(0, 4)}-${birth.slice(4, 6)}-${birth.slice(6, 8)}T00:00:00Z`);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10).replaceAll('-', '') !== birth) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(value[i]) * ID_WEIGHTS[i]!;
  return ID_CHECK[sum % 11] === value[17];
}

/** Computes the check character for 17 digits (the demo generator uses it). */
export function citizenIdCheck(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * ID_WEIGHTS[i]!;
  return ID_CHECK[sum % 11]!;
}

export type Cell = string | number | boolean | null | undefined | Date;

/**
 * Converts one cell to the field's type. Returns `{ value }` or `{ error }`; the error never repeats the value
 * (it may be personal data).
 */
export function convertCell(field: SchemaField, cell: Cell): { value: unknown } | { error: string } {
  const empty = cell === null || cell === undefined || (typeof cell === 'string' && cell.trim() === '');
  if (empty) return field.required ? { error: 'is required / 必填' } : { value: null };
  switch (field.type) {
    case 'string':
      return { value: cell instanceof Date ? cell.toISOString() : String(cell) };
    case 'integer': {
      const n = typeof cell === 'number' ? cell : Number(String(cell).trim());
      return Number.isSafeInteger(n) ? { value: n } : { error: 'is not an integer / 不是整数' };
    }
    case 'number': {
      const n = typeof cell === 'number' ? cell : Number(String(cell).trim());
      return Number.isFinite(n) ? { value: n } : { error: 'is not a number / 不是数字' };
    }
    case 'boolean': {
      if (typeof cell === 'boolean') return { value: cell };
      const s = String(cell).trim().toLowerCase();
      if (['true', '1', 'yes', '是', 'y'].includes(s)) return { value: true };
      if (['false', '0', 'no', '否', 'n'].includes(s)) return { value: false };
      return { error: 'is not a boolean / 不是布尔值' };
    }
    case 'date': {
      const s = cell instanceof Date ? cell.toISOString().slice(0, 10) : String(cell).trim();
      if (!/^\d{4}-\d{2}-\d{2}$/.test(s) || Number.isNaN(Date.parse(`${s}T00:00:00Z`))) return { error: 'is not a date YYYY-MM-DD / 日期格式应为 YYYY-MM-DD' };
      return { value: s };
    }
    case 'datetime': {
      const d = cell instanceof Date ? cell : new Date(String(cell).trim());
      return Number.isNaN(d.getTime()) ? { error: 'is not a date-time / 不是日期时间' } : { value: d.toISOString() };
    }
    case 'cn_id': {
      const s = String(cell).trim().toUpperCase();
      return isCitizenId(s) ? { value: s } : { error: 'is not a valid ID number / 身份证号码无效' };
    }
  }
}

export interface RowError {
  line: number;
  field: string;
  message: string;
}

/**
 * Validates a record (keyed by field name) against the schema. Unknown keys are errors too, so a typo never
 * loads silently.
 */
export function validateRecord(fields: SchemaField[], record: Record<string, Cell>, line: number): { data: Record<string, unknown> } | { errors: RowError[] } {
  const data: Record<string, unknown> = {};
  const errors: RowError[] = [];
  for (const field of fields) {
    const result = convertCell(field, record[field.name]);
    if ('error' in result) errors.push({ line, field: field.name, message: result.error });
    else data[field.name] = result.value;
  }
  for (const key of Object.keys(record)) {
    if (!fields.some((f) => f.name === key)) errors.push({ line, field: key, message: 'is not a field of the dataset / 不是数据集字段' });
  }
  return errors.length > 0 ? { errors } : { data };
}
