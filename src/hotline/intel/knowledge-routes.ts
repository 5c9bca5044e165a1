import { Problem } from '../../platform/errors/problem.js';
import type { RoutePlugin } from '../../platform/http/server.js';
import type { KnowledgeService } from './knowledge-service.js';
import { documentMediaTypes } from './knowledge-readers.js';
import {
  KnowledgeAnswer, KnowledgeDocument, KnowledgeDocumentDetail, KnowledgeDocumentList, KnowledgeDocumentParams, KnowledgeListQuery,
  KnowledgeQuestion, KnowledgeSearchQuery, KnowledgeSearchResult, KnowledgeUploadQuery,
} from './knowledge-schemas.js';

const tags = ['hotline-knowledge'];

/** The policy knowledge base (政策知识库) and the agents' knowledge Q&A under /api/hotline/knowledge. */
export const knowledgeRoutes = (knowledge: KnowledgeService, uploadMaxBytes: number): RoutePlugin => async (app) => {
  // Uploads arrive as the raw file; the format is read from its first bytes, never trusted from the type.
  app.addContentTypeParser([...documentMediaTypes], { parseAs: 'buffer', bodyLimit: uploadMaxBytes }, (_req, body, done) => done(null, body));

  app.post('/documents', {
    config: { access: 'hotline.intel.knowledge.manage' },
    bodyLimit: uploadMaxBytes,
    schema: {
      tags, summary: 'Upload a policy document (text, .docx or PDF with text) as the raw body; split into citable sections',
      description: 'The title, owning unit and validity are query parameters. Zip bombs, encrypted or scanned PDFs and other types are refused.',
      querystring: KnowledgeUploadQuery, response: { 201: KnowledgeDocument },
    },
  }, async (request, reply) => {
    if (!Buffer.isBuffer(request.body)) {
      throw new Problem('UNSUPPORTED_MEDIA_TYPE', { detail: `send the file as one of ${documentMediaTypes.join(', ')}` });
    }
    return reply.code(201).send(await knowledge.upload(request.actor, request.query, request.body));
  });

  app.get('/documents', {
    config: { access: 'hotline.intel.knowledge.read' },
    schema: { tags, summary: 'The knowledge base’s documents, newest first', querystring: KnowledgeListQuery, response: { 200: KnowledgeDocumentList } },
  }, (request) => knowledge.list(request.actor, request.query.status));

  app.get('/documents/:id', {
    config: { access: 'hotline.intel.knowledge.read' },
    schema: { tags, summary: 'A document with its sections', params: KnowledgeDocumentParams, response: { 200: KnowledgeDocumentDetail } },
  }, (request) => knowledge.get(request.actor, request.params.id));

  app.post('/documents/:id/retire', {
    config: { access: 'hotline.intel.knowledge.manage' },
    schema: { tags, summary: 'Retire a document (废止): kept and listed, no longer searched or cited', params: KnowledgeDocumentParams, response: { 200: KnowledgeDocument } },
  }, (request) => knowledge.retire(request.actor, request.params.id));

  app.get('/search', {
    config: { access: 'hotline.intel.knowledge.read' },
    schema: { tags, summary: 'Sections valid on a day (default today) matching the words, best first, with their relevance', querystring: KnowledgeSearchQuery, response: { 200: KnowledgeSearchResult } },
  }, (request) => knowledge.search(request.actor, request.query));

  app.post('/ask', {
    config: { access: 'hotline.intel.knowledge.read' },
    schema: {
      tags, summary: 'Knowledge Q&A (知识问答): an answer from the valid sections citing them, or 知识库中未找到相关依据',
      body: KnowledgeQuestion, response: { 200: KnowledgeAnswer },
    },
  }, (request) => knowledge.ask(request.actor, request.body));

  app.post('/ask/stream', {
    config: { access: 'hotline.intel.knowledge.read' },
    schema: {
      tags, summary: 'The knowledge Q&A streamed as server-sent events: `delta` events as the model writes, then one `answer` event',
      description: 'The `answer` event carries the same object as POST /ask (citations checked); without a model only the `answer` event comes.',
      body: KnowledgeQuestion,
    },
  }, async (request, reply) => {
    // Headers go out with the first event: a refusal of access or input before it is an ordinary problem answer.
    const send = (event: string, data: unknown) => {
      if (!reply.sent) {
        reply.hijack();
        reply.raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
      }
      reply.raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const answer = await knowledge.ask(request.actor, request.body, (delta) => send('delta', { delta }));
    send('answer', answer);
    reply.raw.end();
    return reply;
  });
};
