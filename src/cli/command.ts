import type { ParseArgsConfig } from 'node:util';

/** Options every command accepts; they override the matching environment variables (see docs/configuration.md). */
export const globalOptions = {
  port: { type: 'string' },
  host: { type: 'string' },
  'data-dir': { type: 'string' },
  'database-url': { type: 'string' },
  'log-level': { type: 'string' },
  'node-id': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export type OptionValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

/** One `cityhub <words…>` command. `run` returns the process exit code. */
export interface Command {
  /** The words that select it, e.g. `ledger verify`. */
  name: string;
  summary: string;
  /** Usage text printed by `--help` (after the global options). */
  usage: string;
  options?: NonNullable<ParseArgsConfig['options']>;
  /** Whether positional arguments are allowed after the command words. */
  allowPositionals?: boolean;
  run(values: OptionValues, positionals: string[]): Promise<number>;
}

/** Flags that map onto configuration keys, so a command can pass them to `loadConfig`. */
export const configOverrides = (values: OptionValues): Record<string, string | undefined> => ({
  PORT: values.port as string | undefined,
  HOST: values.host as string | undefined,
  CITYHUB_DATA_DIR: values['data-dir'] as string | undefined,
  DATABASE_URL: values['database-url'] as string | undefined,
  LOG_LEVEL: values['log-level'] as string | undefined,
  CITYHUB_NODE_ID: values['node-id'] as string | undefined,
});
