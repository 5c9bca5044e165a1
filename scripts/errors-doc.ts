// Writes docs/errors.md from the problem registry: `node --import tsx scripts/errors-doc.ts`.
// test/platform/errors-doc.test.ts fails when a code is missing from the document.
import { writeFileSync } from 'node:fs';
import { registeredProblems } from '../src/platform/errors/problem-codes.js';
// Importing the module list registers every module's codes.
import '../src/server/modules.js';

const groups = new Map<string, string[]>();
for (const [code, entry] of [...registeredProblems()].sort(([a], [b]) => a.localeCompare(b))) {
  const prefix = code.split('_')[0];
  const known = ['AUTH', 'LEDGER', 'HOTLINE', 'CONTEXT', 'CATALOG', 'SHARE', 'OPERATION'];
  const group = known.includes(prefix) ? prefix : 'PLATFORM';
  const rows = groups.get(group) ?? [];
  rows.push(`| \`${code}\` | ${entry.status} | ${entry.title} | ${entry.zh} |`);
  groups.set(group, rows);
}

const lines = [
  '# Error codes / 错误码',
  '',
  'Every error is an RFC 9457 `application/problem+json` document:',
  '',
  '```json',
  '{ "type": "https://cityhub.dev/problems/validation-failed", "title": "Request validation failed", "status": 400,',
  '  "code": "VALIDATION_FAILED", "title_zh": "请求参数校验失败", "instance": "/api/keys",',
  '  "errors": [{ "field": "/body/roles", "message": "must be array" }] }',
  '```',
  '',
  'Clients branch on `code`, which never changes meaning. `errors` lists the fields at fault as JSON Pointers into',
  'the request (`/body/…`, `/query/…`, `/params/…`). Unknown failures are a bare 500 with a `requestId` to quote',
  'to the operator; no stack trace ever reaches a client. This page is generated from',
  'the registry (`defineProblems` in src/platform/errors/problem-codes.ts and each module\'s `problems.ts`) by',
  '`node --import tsx scripts/errors-doc.ts`.',
  '',
];
for (const [group, rows] of groups) {
  lines.push(`## ${group}`, '', '| code | status | title | 标题 |', '|---|---|---|---|', ...rows, '');
}
writeFileSync(new URL('../docs/errors.md', import.meta.url), lines.join('\n'));
console.log(`docs/errors.md: ${registeredProblems().size} codes`);
