import { Type } from 'typebox';
import type { RoutePlugin } from '../../platform/http/server.js';
import type { KpiService } from './kpi-service.js';
import { DistrictCounts, DistrictCountsQuery, KpiTable, KpiTableQuery, KpiTrend, KpiTrendQuery, TicketPoints } from './schemas.js';

// RFC 6266: an ASCII fallback plus the UTF-8 form.
const attachment = (filename: string) => `attachment; filename="${filename}"; filename*=UTF-8''${encodeURIComponent(filename)}`;

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** The three rates under /api/hotline/kpi: the ranked table, the trend line and the exports. */
export const kpiRoutes = (kpi: KpiService): RoutePlugin => async (app) => {
  const tags = ['hotline kpi'];

  app.get('/', {
    config: { access: 'hotline.kpi.read' },
    schema: {
      tags,
      summary: '三率 per unit, district or category (and per day/week/month), ranked by composite',
      querystring: KpiTableQuery,
      response: { 200: KpiTable },
    },
  }, (request) => kpi.table(request.actor, request.query));

  app.get('/trend', {
    config: { access: 'hotline.kpi.read' },
    schema: {
      tags,
      summary: 'One point per period (default: the last 12 months) for the cockpit chart',
      querystring: KpiTrendQuery,
      response: { 200: KpiTrend },
    },
  }, (request) => kpi.trend(request.actor, request.query));

  app.get('/export.csv', {
    config: { access: 'hotline.kpi.read' },
    schema: {
      tags,
      summary: 'The ranked table as CSV (UTF-8 with BOM)',
      querystring: KpiTableQuery,
      response: { 200: Type.String({ description: 'text/csv' }) },
    },
  }, async (request, reply) => {
    const file = await kpi.exportCsv(request.actor, request.query);
    return reply.type('text/csv; charset=utf-8').header('content-disposition', attachment(file.filename)).send(file.body);
  });

  app.get('/export.xlsx', {
    config: { access: 'hotline.kpi.read' },
    schema: {
      tags,
      summary: 'The ranked table as an Excel workbook',
      querystring: KpiTableQuery,
      // A Buffer on the wire: declared as binary text for the OpenAPI document, typed as what the handler sends.
      response: { 200: Type.Unsafe<Buffer>(Type.String({ description: XLSX, format: 'binary' })) },
    },
  }, async (request, reply) => {
    const file = await kpi.exportXlsx(request.actor, request.query);
    return reply.type(XLSX).header('content-disposition', attachment(file.filename)).send(file.body);
  });
};

/** The cockpit map's tickets per district at `/api/hotline/district-counts` (where the web app has always read it) and their places. */
export const districtCountRoutes = (kpi: KpiService): RoutePlugin => async (app) => {
  app.get('/district-counts', {
    config: { access: 'hotline.kpi.read.all' },
    schema: {
      tags: ['hotline kpi'],
      summary: 'Tickets, open, overdue and sign-overdue tickets per district (the cockpit map); default: the last 365 days',
      querystring: DistrictCountsQuery,
      response: { 200: DistrictCounts },
    },
  }, (request) => kpi.districtCounts(request.actor, request.query));
  app.get('/ticket-points', {
    config: { access: 'hotline.kpi.read.all' },
    schema: {
      tags: ['hotline kpi'],
      summary: 'Places of tickets (rounded to about 100 m) with open and overdue flags, for the cockpit\'s heat and overdue layers',
      querystring: DistrictCountsQuery,
      response: { 200: TicketPoints },
    },
  }, (request) => kpi.ticketPoints(request.actor, request.query));
};
