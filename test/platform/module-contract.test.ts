import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Type } from 'typebox';
import { ConfigError, loadConfig, readModuleSections, type Config } from '../../src/platform/config/config.js';
import { gatherMigrations } from '../../src/platform/db/migrate.js';
import { defineModule, type AnyModule } from '../../src/platform/module/module.js';
import { createCityHub } from '../../src/server/app.js';
import { modules } from '../../src/server/modules.js';

const baseConfig = (): Config => loadConfig({ LOG_LEVEL: 'silent', CITYHUB_DATA_DIR: '/nonexistent/never-opened' });
const withModules = (sections: Record<string, unknown>): Config => ({ ...baseConfig(), modules: sections });

/** What boot says about a configuration (boot stops before opening anything). */
const bootError = async (config: Config, list: readonly AnyModule[] = modules): Promise<Error> => {
  const err = await createCityHub({ config, logger: false, modules: list }).then(
    () => new Error('booted'),
    (e: unknown) => e as Error,
  );
  return err;
};

/** A key of the module's schema, and one of its nested objects' keys if it has any. */
const firstKey = (m: AnyModule): string => Object.keys((m.config as { properties: Record<string, unknown> }).properties)[0];

describe('configuration is validated once, strictly', () => {
  it.each(modules.map((m) => [m.name, m] as const))('fails boot on a misspelt key in modules.%s and names it', async (name, m) => {
    const key = firstKey(m);
    const err = await bootError(withModules({ [name]: { [`${key}x`]: 1 } }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain(`modules.${name}.${key}x: unknown key (did you mean "${key}"?)`);
  });

  it('lists every bad key of every module at once, nested ones and unknown modules too, with the nearest valid key', () => {
    const config = withModules({
      hotline: { deadlines: { normalHour: 100 }, timeZon: 'Asia/Shanghai' },
      kpii: {},
      catalog: { [firstKey(modules.find((m) => m.name === 'catalog')!)]: 'not the right type' },
    });
    const schemas = Object.fromEntries(modules.map((m) => [m.name, m.config]));
    let err: ConfigError | undefined;
    try {
      readModuleSections(config, schemas);
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const text = err!.problems.join('\n');
    expect(text).toContain('modules.hotline.deadlines.normalHour: unknown key (did you mean "normalHours"?)');
    expect(text).toContain('modules.hotline.timeZon: unknown key');
    expect(text).toContain('modules.kpii: no such module (did you mean "kpi"?)');
    expect(text).toMatch(/modules\.catalog\./);
  });

  it('refuses unknown top-level keys and a time zone that does not exist', () => {
    expect(() => loadConfig({ CITYHUB_TIME_ZONE: 'Asia/Shangai' })).toThrow(/city.timeZone: "Asia\/Shangai" is not an IANA time zone/);
    expect(loadConfig({ CITYHUB_TIME_ZONE: 'Europe/Berlin' }).city.timeZone).toBe('Europe/Berlin');
  });

  it('has one city time zone: no module declares its own', () => {
    for (const m of modules) {
      expect(JSON.stringify(m.config), m.name).not.toContain('"timeZone"');
    }
  });
});

describe('migrations are gathered per module', () => {
  const noop = { async up() {} };

  it('fails boot when two modules declare a migration of the same name, naming both', async () => {
    const taken = Object.keys(modules[0].migrations)[0];
    const copy = defineModule({
      name: modules[0].name, config: Type.Object({}), migrations: { [taken]: noop }, problems: {}, permissions: {}, requires: [],
      create: () => ({ services: undefined as never }),
    }) as unknown as AnyModule;
    const intruder = { ...copy, name: 'intruder' } as unknown as AnyModule;
    const err = await bootError(baseConfig(), [...modules, intruder]);
    expect(err.message).toContain(`migration "${taken}" is declared by both ${modules[0].name} and intruder`);
  });

  it('wants the owner as a word of each name', () => {
    expect(() => gatherMigrations([{ owner: 'kpi', migrations: { '20261206-01-hotline-rates': noop } }])).toThrow(/name it YYYYMMDD-NN-kpi-what/);
    expect(Object.keys(gatherMigrations([{ owner: 'kpi', migrations: { '20261206-01-hotline-kpi-rates': noop } }]))).toEqual(['20261206-01-hotline-kpi-rates']);
  });

  it('every module lists only its own, uniquely named migrations', () => {
    expect(() => gatherMigrations(modules.map((m) => ({ owner: m.name, migrations: m.migrations })))).not.toThrow();
  });
});

describe('route types flow from the schemas', () => {
  const sourceFiles = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const file = path.join(dir, name);
      return statSync(file).isDirectory() ? sourceFiles(file) : /\.tsx?$/.test(name) ? [file] : [];
    });
  const src = path.resolve(import.meta.dirname, '../../src');

  it('leaves no cast of request.body/query/params anywhere in src/', () => {
    const casts = sourceFiles(src).flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .map((line, i) => ({ line, at: `${path.relative(src, file)}:${i + 1}` }))
        .filter(({ line }) => /request\.(body|query|params)\s+as\s/.test(line) || /\(request\.(body|query|params)\s+as\s/.test(line)),
    );
    expect(casts.map((c) => `${c.at}: ${c.line.trim()}`)).toEqual([]);
  });

  it('leaves no `as never` in route files', () => {
    const routeFiles = sourceFiles(src).filter((f) => /-routes\.ts$/.test(f));
    expect(routeFiles.length).toBeGreaterThan(5);
    const found = routeFiles.filter((f) => /\bas never\b/.test(readFileSync(f, 'utf8'))).map((f) => path.relative(src, f));
    expect(found).toEqual([]);
  });
});
