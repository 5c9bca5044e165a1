import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { globalOptions, type Command } from './command.js';
import { commands } from './commands/index.js';

const globalHelp = `Global options (each overrides its environment variable):
  --port N              PORT             HTTP port (default 8080)
  --host ADDR           HOST             listen address (default 0.0.0.0; 127.0.0.1 with serve --demo)
  --data-dir DIR        CITYHUB_DATA_DIR embedded database, keys and uploads (default ./data)
  --database-url URL    DATABASE_URL     use PostgreSQL instead of the embedded database
  --log-level LEVEL     LOG_LEVEL        fatal|error|warn|info|debug|trace (default info)
  --node-id NAME        CITYHUB_NODE_ID  this node in logs and metrics (default hostname-pid)
  -h, --help            this help`;

const overview = (): string =>
  [
    'cityhub — CityHub (城枢) city data hub and 12345 hotline platform',
    '',
    'Usage: cityhub <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(22)} ${c.summary}`),
    '',
    globalHelp,
    '',
    'Run `cityhub <command> --help` for a command’s own options.',
  ].join('\n');

/** Finds the command whose words start argv, longest match first. */
const findCommand = (argv: string[]): { command: Command; rest: string[] } | undefined => {
  const sorted = [...commands].sort((a, b) => b.name.split(' ').length - a.name.split(' ').length);
  for (const command of sorted) {
    const words = command.name.split(' ');
    if (words.every((w, i) => argv[i] === w)) return { command, rest: argv.slice(words.length) };
  }
  return undefined;
};

/** Runs the CLI and returns the exit code (0 ok, 1 failure, 2 usage error). */
export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    console.log(overview());
    return 0;
  }
  const found = findCommand(argv);
  if (!found) {
    console.error(`cityhub: unknown command "${argv.join(' ')}"\n\n${overview()}`);
    return 2;
  }
  const { command, rest } = found;
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...globalOptions, ...command.options },
      allowPositionals: command.allowPositionals ?? false,
      strict: true,
    });
  } catch (err) {
    console.error(`cityhub ${command.name}: ${(err as Error).message}\n\n${command.usage}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(`Usage: cityhub ${command.name} ${command.usage}\n\n${globalHelp}`);
    return 0;
  }
  try {
    return await command.run(parsed.values, parsed.positionals);
  } catch (err) {
    console.error(`cityhub ${command.name}: ${(err as Error).message}`);
    return 1;
  }
}

// Run directly (`node --import tsx src/cli/main.ts …` in development); bin/cityhub.js calls main itself.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
