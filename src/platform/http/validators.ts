import type { App } from './server.js';
import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';

const base: Options = { removeAdditional: false, useDefaults: true, allErrors: true, strict: false };

const make = (coerceTypes: Options['coerceTypes']): Ajv => {
  const ajv = new Ajv({ ...base, coerceTypes });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  return ajv;
};

/**
 * Query strings, params and headers are text, so they are coerced to the schema's types; JSON bodies are typed
 * already and are validated strictly, so `"roles": "admin"` is a 400, not silently `["admin"]`.
 */
export function registerValidators(app: App): void {
  const strict = make(false);
  const coercing = make('array');
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema));
}
