import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Issue 15, finding 4 (no browser): React escapes what it renders, so script can only get in where the app hands a
 * library a string of markup. This reads every source file of the web app and checks that there is no raw HTML sink,
 * and that every template string holding markup (an ECharts formatter's `…<br/>…`) is built with the escaping
 * `html` tag of src/web/src/ui/html.ts. The browser test (security.test.ts) runs the attack itself.
 */
const webSrc = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/web/src');
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [path.join(dir, e.name)] : []));
/** The source without comments, so prose about innerHTML does not count. */
const code = (file: string) => readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');

describe('web app: HTML sinks', () => {
  it('finding 4: no raw HTML sink, and every markup template string goes through the escaping html tag', () => {
    const sinks = /dangerouslySetInnerHTML|\.innerHTML\b|\.outerHTML\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\(/;
    const found: string[] = [];
    for (const file of files(webSrc)) {
      const text = code(file);
      const rel = path.relative(webSrc, file);
      text.split('\n').forEach((line, i) => {
        if (sinks.test(line)) found.push(`${rel}:${i + 1}: ${line.trim()}`);
      });
      // a template literal with markup in its text: `${a}<br/>${b}` must be html`${a}<br/>${b}`
      const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
      const visit = (node: ts.Node): void => {
        if (ts.isTemplateExpression(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
          const literal = ts.isTemplateExpression(node) ? [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join('${}') : node.text;
          const tagged = ts.isTaggedTemplateExpression(node.parent) && node.parent.tag.getText(source) === 'html';
          if (/<\/?[a-zA-Z]/.test(literal) && !tagged) {
            found.push(`${rel}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}: untagged markup \`${literal.slice(0, 60)}\``);
          }
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
    expect(found).toEqual([]);
  });

  it('the html tag escapes every value and keeps the markup', async () => {
    const { html, escapeHtml } = await import('../../src/web/src/ui/html.js');
    expect(html`${'<img src=x onerror=alert(1)>'}<br/>${'a & "b" \'c\''}`).toBe('&lt;img src=x onerror=alert(1)&gt;<br/>a &amp; &quot;b&quot; &#39;c&#39;');
    expect(escapeHtml(null)).toBe('');
    expect(escapeHtml(42)).toBe('42');
  });
});
