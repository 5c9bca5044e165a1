import type { RoutePlugin } from '../platform/http/server.js';
import type { AccountingService } from './accounting-service.js';
import type { DisclosureService } from './disclosure-service.js';
import type { AnomalyService } from './anomaly-service.js';
import { Type } from 'typebox';
import { statementXlsx } from './statement-xlsx.js';
import { Anomaly, AnomalyQuery, Disclosure, DisclosureReminder, DistributionReport, FormatQuery, IncomeReport, LedgerCheck, Statement, StatementQuery, YearParams, YearQuery } from './schemas.js';

const tags = ['operation'];
const csvType = 'text/csv; charset=utf-8';
const xlsxType = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** Statements, income, distribution, the annual disclosure and the ledger check, under /api/operation. */
export const accountingRoutes = (deps: { accounting: AccountingService; disclosures: DisclosureService; anomalies: AnomalyService }): RoutePlugin => async (app) => {
  const { accounting, disclosures, anomalies } = deps;

  app.get('/statements', {
    config: { access: 'operation.statement.read' },
    schema: {
      tags, summary: 'A month\'s statement of an operator or a market user (JSON, CSV or XLSX)', querystring: StatementQuery,
      response: { 200: { content: { 'application/json': { schema: Statement }, 'text/csv': { schema: Type.String() }, [xlsxType]: { schema: Type.Unsafe<Buffer>(Type.String({ format: 'binary' })) } } } },
    },
  }, async (req, reply) => {
    const { format, ...query } = req.query;
    const statement = await accounting.statement(req.actor, query);
    if (format === 'csv') return reply.type(csvType).header('content-disposition', `attachment; filename="statement-${query.month}.csv"`).send(accounting.statementCsv(statement));
    if (format === 'xlsx') return reply.type(xlsxType).header('content-disposition', `attachment; filename="statement-${query.month}.xlsx"`).send(await statementXlsx(statement));
    return reply.type('application/json; charset=utf-8').send(statement);
  });

  app.get('/income', {
    config: { access: 'operation.income.read' },
    schema: { tags, summary: 'Income per operator and product for a year, against the 最高准许收入', querystring: YearQuery, response: { 200: IncomeReport } },
  }, (req) => accounting.income(req.actor, req.query));

  app.get('/distribution', {
    config: { access: 'operation.income.read' },
    schema: { tags, summary: 'The providing departments\' shares of a year\'s income (收益分配)', querystring: YearQuery, response: { 200: DistributionReport } },
  }, (req) => accounting.distribution(req.actor, req.query));

  app.get('/disclosures/:year', {
    config: { access: 'operation.disclosure.read' },
    schema: {
      tags, summary: 'The annual disclosure of a year as it stands (JSON or CSV)', params: YearParams, querystring: FormatQuery,
      response: { 200: { content: { 'application/json': { schema: Disclosure }, 'text/csv': { schema: Type.String() } } } },
    },
  }, async (req, reply) => {
    const doc = await disclosures.draft(req.actor, req.params.year);
    if (req.query.format === 'csv') return reply.type(csvType).send(disclosures.csv(doc));
    return reply.type('application/json; charset=utf-8').send(doc);
  });

  app.post('/disclosures/:year/publish', {
    config: { access: 'operation.disclosure.publish' },
    schema: { tags, summary: 'Publish a finished year\'s disclosure (frozen, its hash ledgered)', params: YearParams, response: { 200: Disclosure } },
  }, (req) => disclosures.publish(req.actor, req.params.year));

  app.get('/public/disclosures/:year', {
    config: { access: 'public' },
    schema: {
      tags, summary: 'A published annual disclosure (JSON or CSV)', params: YearParams, querystring: FormatQuery,
      response: { 200: { content: { 'application/json': { schema: Disclosure }, 'text/csv': { schema: Type.String() } } } },
    },
  }, async (req, reply) => {
    const doc = await disclosures.published(req.params.year);
    if (req.query.format === 'csv') return reply.type(csvType).send(disclosures.csv(doc));
    return reply.type('application/json; charset=utf-8').send(doc);
  });

  app.get('/disclosure-reminder', {
    config: { access: 'operation.disclosure.read' },
    schema: { tags, summary: 'Last year\'s disclosure: due by the end of March, published or not', response: { 200: DisclosureReminder } },
  }, (req) => disclosures.reminder(req.actor));

  app.get('/anomalies', {
    config: { access: 'operation.anomaly.read' },
    schema: { tags, summary: 'Months in which a market user\'s calls to a product spiked', querystring: AnomalyQuery, response: { 200: Type.Array(Anomaly) } },
  }, (req) => anomalies.list(req.actor, req.query.year));

  app.get('/ledger/verify', {
    config: { access: 'operation.ledger.verify' },
    schema: { tags, summary: 'Recompute the whole audit ledger (as `cityhub ledger verify`)', response: { 200: LedgerCheck } },
  }, (req) => disclosures.verifyLedger(req.actor));
};
