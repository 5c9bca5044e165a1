import { Type } from 'typebox';
import type { RoutePlugin } from '../../platform/http/server.js';
import type { GovernanceServices } from './index.js';
import { reportDocx } from './report-docx.js';
import {
  InspectInput, InspectionResult, MonthlyReport, PeriodQuery, ProposalList, RunInput, RunParams, RunView, TaskParams, TaskUpdate,
  TaskView, TopicInput, TopicList, TopicView, UnitScores,
} from './schemas.js';

const tags = ['hotline-governance'];
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const TopicsQuery = Type.Object({ month: Type.Optional(PeriodQuery.properties.month) }, { additionalProperties: false });

/** Quality inspection, 每月一题 and the monthly report under /api/hotline. */
export const governanceRoutes = (g: GovernanceServices, notableCases: number): RoutePlugin => async (app) => {
  app.post('/inspection/check', {
    config: { access: 'hotline.inspection.check' },
    schema: { tags, summary: 'Inspect a reply before it goes out (智能质检): score, checks, findings', body: InspectInput, response: { 200: InspectionResult } },
  }, (request) => g.inspection.check(request.actor, request.body));

  app.post('/inspection/runs', {
    config: { access: 'hotline.inspection.run' },
    schema: { tags, summary: 'Inspect every reply of a month in the background (202; poll the run for progress)', body: RunInput, response: { 202: RunView } },
  }, async (request, reply) => reply.code(202).send(await g.inspection.startRun(request.actor, request.body)));

  app.get('/inspection/runs/:id', {
    config: { access: 'hotline.inspection.run' },
    schema: { tags, summary: 'A bulk inspection run and its progress', params: RunParams, response: { 200: RunView } },
  }, (request) => g.inspection.run(request.actor, request.params.id));

  app.get('/inspection/units', {
    config: { access: 'hotline.inspection.read' },
    schema: {
      tags, summary: 'Inspection scores per unit for a month and the lowest-scored replies (a handler: its own unit)',
      querystring: PeriodQuery, response: { 200: UnitScores },
    },
  }, (request) => g.inspection.unitScores(request.actor, request.query.month, notableCases));

  app.get('/governance/proposals', {
    config: { access: 'hotline.governance.read' },
    schema: { tags, summary: '每月一题 proposals: the problems recurring in the months before', querystring: PeriodQuery, response: { 200: ProposalList } },
  }, (request) => g.topics.proposals(request.actor, request.query.month));

  app.get('/governance/topics', {
    config: { access: 'hotline.governance.read' },
    schema: { tags, summary: '每月一题 topics with their tasks, progress and effect on complaints', querystring: TopicsQuery, response: { 200: TopicList } },
  }, async (request) => ({ topics: await g.topics.list(request.actor, request.query.month) }));

  app.post('/governance/topics', {
    config: { access: 'hotline.governance.manage' },
    schema: { tags, summary: 'Set a month’s topic with governance tasks for units', body: TopicInput, response: { 201: TopicView } },
  }, async (request, reply) => reply.code(201).send(await g.topics.create(request.actor, request.body)));

  app.patch('/governance/tasks/:id', {
    config: { access: 'hotline.governance.task.update' },
    schema: { tags, summary: 'A governance task’s progress (its own unit, or the supervision office)', params: TaskParams, body: TaskUpdate, response: { 200: TaskView } },
  }, (request) => g.topics.updateTask(request.actor, request.params.id, request.body));

  app.get('/report', {
    config: { access: 'hotline.report.read' },
    schema: { tags, summary: 'The monthly report (月度通报) as data, for the printable page', querystring: PeriodQuery, response: { 200: MonthlyReport } },
  }, (request) => g.report.monthly(request.actor, request.query.month));

  app.get('/report.docx', {
    config: { access: 'hotline.report.read' },
    schema: {
      tags, summary: 'The monthly report as a Word document', querystring: PeriodQuery,
      response: { 200: Type.Unsafe<Buffer>(Type.String({ description: DOCX, format: 'binary' })) },
    },
  }, async (request, reply) => {
    const file = reportDocx(await g.report.monthly(request.actor, request.query.month));
    const name = `12345-monthly-report-${request.query.month}.docx`;
    return reply.type(DOCX).header('content-disposition', `attachment; filename="${name}"`).send(file);
  });
};
