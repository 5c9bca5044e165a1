import type { RoutePlugin } from '../../platform/http/server.js';
import type { IntelServices } from './index.js';
import {
  AddWordsBody, AlertList, AssistInput, AssistResult, DraftInput, DraftResult, HotIssueList, HotIssuesQuery, JobParams, JobView,
  LabelInput, LabelView, ModelList, ModelView, ReplyQuality, ReplyQualityInput, TrainBody, TrainStarted, VersionParams, WordList,
  WordParams, WordsAdded,
} from './schemas.js';

const tags = ['hotline-intel'];

/**
 * Intake assist, hot issues, emerging alerts, reply drafts and scores, classifier models, agents' labels and the
 * user dictionary under /api/hotline.
 */
export const intelRoutes = (intel: IntelServices): RoutePlugin => async (app) => {
  app.post('/assist', {
    config: { access: 'hotline.intel.assist' },
    schema: {
      tags, summary: 'Intake assist: category top-3, unit, duplicates, similar cases with replies, summary (受理辅助)',
      description: 'A citizen gets the category suggestion only (`limited: true`).',
      body: AssistInput, response: { 200: AssistResult },
    },
  }, (request) => intel.intake.assist(request.actor, request.body));

  app.get('/hot-issues', {
    config: { access: 'hotline.intel.hot.read' },
    schema: {
      tags, summary: 'Hot issues (热点): clusters by text, place and time, ranked by the heat index',
      querystring: HotIssuesQuery, response: { 200: HotIssueList },
    },
  }, (request) => intel.hot.hotIssues(request.actor, request.query.top));

  app.get('/alerts', {
    config: { access: 'hotline.intel.hot.read' },
    schema: {
      tags, summary: 'Emerging issues (未诉先办): clusters growing faster than their own baseline',
      response: { 200: AlertList },
    },
  }, (request) => intel.hot.alerts(request.actor));

  app.post('/replies/draft', {
    config: { access: 'hotline.intel.reply' },
    schema: { tags, summary: 'A draft reply from similar replied cases and the template', body: DraftInput, response: { 200: DraftResult } },
  }, (request) => intel.replies.draft(request.actor, request.body));

  app.post('/replies/score', {
    config: { access: 'hotline.intel.reply' },
    schema: { tags, summary: 'Reply-quality score (relevance, completeness, interpretability, timeliness)', body: ReplyQualityInput, response: { 200: ReplyQuality } },
  }, (request) => intel.replies.score(request.actor, request.body));

  app.get('/intel/models', {
    config: { access: 'hotline.intel.model.read' },
    schema: {
      tags, summary: 'Classifier model versions with their hold-out evaluation, recent training jobs, labels since the last model',
      response: { 200: ModelList },
    },
  }, (request) => intel.models.list(request.actor));

  app.post('/intel/models/train', {
    config: { access: 'hotline.intel.model.manage' },
    schema: {
      tags, summary: 'Train a new model version in the background (202 with the job; poll /intel/models/jobs/{id})',
      description: '`activate`: true activates the new version whatever its evaluation, false keeps it as a candidate; '
        + 'absent, it becomes active unless its hold-out macro-F1 is below the active model’s by more than `activationMargin`.',
      body: TrainBody,
      response: { 202: TrainStarted },
    },
  }, async (request, reply) => {
    const started = await intel.models.startTraining(request.actor, { trigger: 'manual', activate: request.body?.activate });
    // Only the scheduler's claim answers null; a manual one throws HOTLINE_INTEL_TRAINING_RUNNING instead.
    return reply.code(202).send({ job: started!.job });
  });

  app.get('/intel/models/jobs/:id', {
    config: { access: 'hotline.intel.model.read' },
    schema: { tags, summary: 'A training job: running, succeeded (with the model version) or failed', params: JobParams, response: { 200: JobView } },
  }, (request) => intel.models.job(request.actor, request.params.id));

  app.post('/intel/models/:version/activate', {
    config: { access: 'hotline.intel.model.manage' },
    schema: {
      tags, summary: 'Make a stored version the active model (roll back or forward); ledgered',
      params: VersionParams, response: { 200: ModelView },
    },
  }, (request) => intel.models.activate(request.actor, request.params.version));

  app.get('/intel/dictionary', {
    config: { access: 'hotline.intel.dictionary.read' },
    schema: {
      tags, summary: 'The segmenter’s user dictionary (用户词典): words administrators added (area and organisation names are added by themselves)',
      response: { 200: WordList },
    },
  }, (request) => intel.dictionary.list(request.actor));

  app.post('/intel/dictionary', {
    config: { access: 'hotline.intel.dictionary.manage' },
    schema: {
      tags, summary: 'Add words: place and unit names, terms (kept whole), stop words (dropped); every node rebuilds its index',
      body: AddWordsBody, response: { 201: WordsAdded },
    },
  }, async (request, reply) => reply.code(201).send(await intel.dictionary.add(request.actor, request.body.words)));

  app.delete('/intel/dictionary/:word', {
    config: { access: 'hotline.intel.dictionary.manage' },
    schema: { tags, summary: 'Remove a word from the user dictionary', params: WordParams },
  }, async (request, reply) => {
    await intel.dictionary.remove(request.actor, request.params.word);
    return reply.code(204).send();
  });

  app.post('/intel/labels', {
    config: { access: 'hotline.intel.label' },
    schema: {
      tags, summary: 'An agent’s category for a ticket (数据标注): used instead of the ticket’s category at the next training',
      body: LabelInput, response: { 201: LabelView },
    },
  }, async (request, reply) => reply.code(201).send(await intel.models.addLabel(request.actor, request.body)));
};
