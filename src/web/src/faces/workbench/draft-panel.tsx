import { useState, type KeyboardEvent } from 'react';
import { useActionError } from '../../api.js';
import { useI18n } from '../../i18n.js';
import { knowledgeApi, type DraftResult, type GroundingSource, type KnowledgeAnswer } from '../../knowledge-api.js';
import { ErrorBox } from '../../ui/status.js';
import './messages.js';

const SENTENCE_RE = /[^。！？!?；;\n]+[。！？!?；;]?(?:\[[PC]\d{1,2}\])*/g;

/** The text without the sentences that cite `ref` (an agent drops a source). */
export const dropSource = (text: string, ref: string) =>
  (text.match(SENTENCE_RE) ?? []).filter((s) => !s.includes(`[${ref}]`)).join('');

/** The text with the source's first sentence appended, cited (an agent inserts a source). */
export const insertSource = (text: string, source: GroundingSource) =>
  `${text}${(source.excerpt.match(SENTENCE_RE) ?? [source.excerpt])[0].trim()}[${source.ref}]`;

/**
 * 答复起草 with its sources: the draft (the handler's findings typed so far go in as 办理情况), then each case and
 * policy section it rests on with a button that inserts it into the reply or drops the sentences citing it.
 */
export function DraftPanel({ ticket, text, setText }: {
  ticket: { id: string; title: string; content: string; createdAt: string; unitName?: string | null };
  text: string;
  setText: (text: string) => void;
}) {
  const { t } = useI18n();
  const [draft, setDraft] = useState<DraftResult | null>(null);
  const [error, run] = useActionError();
  const write = () => run(async () => {
    const d = await knowledgeApi.draft({
      title: ticket.title, content: ticket.content, ticketId: ticket.id, asOf: ticket.createdAt.slice(0, 10),
      unitName: ticket.unitName ?? null, findings: text.trim() || null,
    });
    setDraft(d);
    setText(d.text);
  });
  return (
    <div className="draft-panel" data-testid="draft-panel">
      <button type="button" onClick={() => void write()}>{t('draft_reply')}</button>
      {error && <ErrorBox error={error} />}
      {draft && (
        <section aria-label={t('kb_sources')}>
          <p className="hint">{t('kb_method')}: {draft.method === 'llm' ? t('kb_method_llm') : t('kb_method_offline')}</p>
          {draft.sources.length === 0 ? <p>{t('kb_no_sources')}</p> : (
            <ul className="draft-sources">
              {draft.sources.map((s) => {
                const cited = text.includes(`[${s.ref}]`);
                return (
                  <li key={s.ref} data-ref={s.ref}>
                    <strong>[{s.ref}]</strong> {s.kind === 'policy' ? t('kb_policy') : t('kb_case')} {s.label}
                    {s.kind === 'policy' && <span className="hint"> {t('kb_valid')} {s.validFrom}–{s.validTo ?? t('kb_open')}</span>}
                    <blockquote>{s.excerpt.slice(0, 160)}</blockquote>
                    <button type="button" onClick={() => setText(cited ? dropSource(text, s.ref) : insertSource(text, s))}>
                      {cited ? t('kb_drop') : t('kb_insert')} [{s.ref}]
                    </button>
                  </li>
                );
              })}
            </ul>
          )}
        </section>
      )}
    </div>
  );
}

/** 知识问答: a question to the policy knowledge base, answered with citations or refused. */
export function KnowledgeAsk({ asOf }: { asOf?: string }) {
  const { t } = useI18n();
  const [question, setQuestion] = useState('');
  const [answer, setAnswer] = useState<KnowledgeAnswer | null>(null);
  const [error, run] = useActionError();
  const ask = () => question.trim().length >= 2 && run(async () => setAnswer(await knowledgeApi.ask({ question: question.trim(), ...(asOf ? { asOf } : {}) })));
  // Not a <form>: the box sits inside the ticket's action form, and forms do not nest.
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      void ask();
    }
  };
  return (
    <div className="knowledge-ask" role="search" aria-label={t('kb_ask')} data-testid="knowledge-ask">
      <label htmlFor="kb-question">{t('kb_ask')}</label>
      <input id="kb-question" value={question} onChange={(e) => setQuestion(e.target.value)} onKeyDown={onKey} placeholder={t('kb_ask_hint')} />
      <button type="button" onClick={() => void ask()}>{t('kb_ask_go')}</button>
      {error && <ErrorBox error={error} />}
      {answer && (
        <div aria-live="polite" data-testid="knowledge-answer" data-refused={answer.refused}>
          <p>{answer.answer}</p>
          <ul>
            {answer.sources.map((s) => <li key={s.ref}><strong>[{s.ref}]</strong> {s.label} <span className="hint">{t('kb_valid')} {s.validFrom}–{s.validTo ?? t('kb_open')}</span></li>)}
          </ul>
        </div>
      )}
    </div>
  );
}
