import { loadConfig } from '../../platform/config/config.js';
import { isProblem } from '../../platform/errors/problem.js';
import { systemActor } from '../../platform/auth/roles.js';
import { createCityHub } from '../../server/app.js';
import { configOverrides, type Command } from '../command.js';

/** The CLI trains as the system with the data bureau's role (it trains and activates models); ledgered as `system:cli-train`. */
const cliActor = systemActor('cli-train', ['data_admin']);

const usage = `[--activate | --candidate] [--json]

Trains a new version of the hotline category classifier from the database's categorised tickets and agents'
labels (labels override a ticket's category), evaluates it on the hash-selected hold-out, stores it in the
database and prints its version and evaluation. Progress goes to stderr. Running servers load the new active
model on their next refresh.

  --activate    make the new version active whatever its evaluation
  --candidate   store it as a candidate only (activate it later with the API)
  --json        print the outcome as one JSON object on the last stdout line

Without either flag the new version becomes active unless its hold-out macro-F1 is below the active model's
(on the same hold-out) by more than modules.intel.classifier.activationMargin.`;

const pct = (x: number | undefined) => (x === undefined ? '—' : x.toFixed(4));

export const hotlineTrainCommand: Command = {
  name: 'hotline train',
  summary: 'train, evaluate and store a new version of the category classifier from the database',
  usage,
  options: {
    activate: { type: 'boolean' },
    candidate: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run(values) {
    if (values.activate && values.candidate) {
      console.error('cityhub hotline train: give --activate or --candidate, not both');
      return 2;
    }
    const activate = values.activate ? true : values.candidate ? false : undefined;
    const config = loadConfig(process.env, configOverrides(values));
    const hub = await createCityHub({ config, logger: false });
    const log = (m: string): void => void process.stderr.write(`${m}\n`);
    try {
      const started = await hub.services.intel.models.startTraining(cliActor, { trigger: 'manual', activate, onProgress: log });
      log(`training job ${started!.job.id} started`);
      const { model, activated, reason } = await started!.done;
      const e = model.evaluation;
      console.log(`version ${model.version} ${activated ? 'ACTIVE' : 'candidate'} (${reason})`);
      console.log(`trained on ${model.examples} examples in ${model.trainSeconds.toFixed(1)} s; labels: ${model.labels.join(', ')}`);
      console.log(`hold-out (${e.heldOut} examples): accuracy ${pct(e.accuracy)}, macro-F1 ${pct(e.macroF1)}`);
      if (e.baseline) console.log(`active model v${e.baseline.version} on the same hold-out: accuracy ${pct(e.baseline.accuracy)}, macro-F1 ${pct(e.baseline.macroF1)}`);
      if (values.json) console.log(JSON.stringify({ version: model.version, status: model.status, activated, reason, examples: model.examples, trainSeconds: model.trainSeconds, evaluation: e }));
      return 0;
    } catch (err) {
      if (isProblem(err)) {
        console.error(`cityhub hotline train: ${err.detail ?? err.title}`);
        return 1;
      }
      throw err;
    } finally {
      await hub.close();
    }
  },
};
