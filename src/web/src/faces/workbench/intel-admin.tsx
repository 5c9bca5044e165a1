import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { useActionError, useLoad } from '../../api.js';
import { useI18n } from '../../i18n.js';
import { useAuth } from '../../auth.js';
import { intelApi, type JobView, type ModelView, type WordKind } from '../../intel-api.js';
import { EChart, type ChartOption } from '../../ui/echart.js';
import { ErrorBox, Loading } from '../../ui/status.js';
import { fmtTime } from '../../ui/format.js';
import './messages.js';
import './workbench.css';

const pct1 = (v: number | undefined): string => (v === undefined ? '—' : `${(v * 100).toFixed(1)}%`);

/**
 * 模型与词典: the classifier's versions with their hold-out scores (a chart across versions), training with its
 * progress, activation (roll back or forward); and the segmenter's user dictionary.
 */
export function IntelAdmin() {
  const { t } = useI18n();
  return (
    <section aria-labelledby="intel-title">
      <h1 id="intel-title">{t('intel_admin')}</h1>
      <Models />
      <Dictionary />
    </section>
  );
}

function Models() {
  const { t, lang } = useI18n();
  const { hasRole } = useAuth();
  const manage = hasRole('data_admin');
  const list = useLoad(() => intelApi.models(), []);
  const [job, setJob] = useState<JobView | null>(null);
  const [error, run] = useActionError();

  // A running job is polled until it ends; then the versions reload.
  useEffect(() => {
    if (!job || job.status !== 'running') return;
    const timer = setTimeout(() => void run(async () => {
      const j = await intelApi.job(job.id);
      setJob(j);
      if (j.status !== 'running') list.reload();
    }), 1000);
    return () => clearTimeout(timer);
  }, [job, list, run]);

  const models = list.data?.models ?? [];
  const option = useMemo<ChartOption>(() => {
    const ordered = [...models].sort((a, b) => a.version - b.version);
    const series = (name: string, pick: (m: ModelView) => number | undefined) => ({
      name, type: 'line', data: ordered.map((m) => (pick(m) === undefined ? null : Math.round(pick(m)! * 1000) / 10)), connectNulls: true,
    });
    return {
      tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => (v === null ? '—' : `${v}%`) },
      legend: {},
      xAxis: { type: 'category', data: ordered.map((m) => `v${m.version}`) },
      yAxis: { type: 'value', min: (v: { min: number }) => Math.max(0, Math.floor(v.min - 5)), max: 100, axisLabel: { formatter: '{value}%' } },
      series: [
        series(t('intel_f1_level1'), (m) => m.evaluation.level1?.macroF1 ?? m.evaluation.macroF1),
        series(t('intel_accuracy_level1'), (m) => m.evaluation.level1?.accuracy ?? m.evaluation.accuracy),
        series(t('intel_f1_labels'), (m) => m.evaluation.macroF1),
      ],
    };
  }, [models, t]);

  const train = () => run(async () => setJob((await intelApi.train()).job));
  const activate = (version: number) => run(() => intelApi.activate(version)).then((ok) => ok && list.reload());
  const running = job?.status === 'running' ? job : list.data?.running ?? null;

  return (
    <section className="panel" aria-labelledby="models-title" data-testid="models">
      <h2 id="models-title">{t('intel_models')}</h2>
      {error && <ErrorBox error={error} compact />}
      {list.loading && !list.data ? <Loading /> : list.error ? <ErrorBox error={list.error} onRetry={list.reload} /> : (
        <>
          <p>
            {t('intel_active')}: <strong data-testid="active-version">{list.data!.activeVersion === null ? '—' : `v${list.data!.activeVersion}`}</strong>
            {' · '}{t('intel_new_since')}: {list.data!.newSinceLastModel.examples} ({t('intel_labels')} {list.data!.newSinceLastModel.labels})
          </p>
          {manage && (
            <p>
              <button type="button" className="primary" onClick={train} disabled={!!running}>{t('intel_train')}</button>{' '}
              {running && <span role="status" data-testid="training-progress">{t('intel_training')}: {running.progress ?? '…'}</span>}
              {job && job.status !== 'running' && (
                <span role="status" data-testid="training-result" className={job.status === 'failed' ? 'error' : 'ok'}>
                  {job.status === 'failed' ? `${t('intel_train_failed')}: ${job.error ?? ''}` : job.progress}
                </span>
              )}
            </p>
          )}
          <p className="muted" data-testid="holdout-note">{t('wb_holdout_note')}</p>
          <PerClass model={models.find((m) => m.status === 'active') ?? models[0]} />
          {models.length > 1 && <EChart option={option} label={t('intel_chart')} height={240} />}
          {models.length === 0 ? <p className="muted">{t('intel_no_models')}</p> : (
            <table className="compact-table" data-testid="model-table">
              <thead>
                <tr>
                  <th>{t('intel_version')}</th><th>{t('intel_trained')}</th><th>{t('intel_examples')}</th><th>{t('intel_categories')}</th>
                  <th>{t('intel_f1_level1')}</th><th>{t('intel_status')}</th>{manage && <th />}
                </tr>
              </thead>
              <tbody>
                {models.map((m) => (
                  <tr key={m.version} data-version={m.version}>
                    <td>v{m.version}</td>
                    <td>{fmtTime(m.createdAt, lang)} · {m.trigger}</td>
                    <td>{m.examples} / {m.heldOut}</td>
                    <td>{m.labels.length}</td>
                    <td>{pct1(m.evaluation.level1?.macroF1 ?? m.evaluation.macroF1)}</td>
                    <td><span className={`badge ${m.status === 'active' ? 'blue' : ''}`}>{t(`intel_status_${m.status}`)}</span></td>
                    {manage && <td>{m.status !== 'active' && <button type="button" onClick={() => activate(m.version)}>{t('intel_activate')}</button>}</td>}
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}

function Dictionary() {
  const { t, lang } = useI18n();
  const { hasRole } = useAuth();
  const manage = hasRole('supervisor', 'data_admin');
  const list = useLoad(() => intelApi.words(), []);
  const [word, setWord] = useState('');
  const [kind, setKind] = useState<WordKind>('place');
  const [error, run] = useActionError();
  const [note, setNote] = useState<string | null>(null);

  const add = (e: FormEvent) => {
    e.preventDefault();
    const w = word.trim();
    void run(async () => {
      const r = await intelApi.addWords([{ word: w, kind }]);
      setNote(`${t(r.added.length ? 'intel_word_added' : 'intel_word_exists')}: ${w}`);
      setWord('');
      list.reload();
    });
  };
  const remove = (w: string) => run(() => intelApi.removeWord(w)).then((ok) => ok && list.reload());

  return (
    <section className="panel" aria-labelledby="dict-title" data-testid="dictionary">
      <h2 id="dict-title">{t('intel_dictionary')}</h2>
      <p className="muted">{t('intel_dictionary_hint')}</p>
      {error && <ErrorBox error={error} compact />}
      {note && <p className="ok" role="status">{note}</p>}
      {manage && (
        <form onSubmit={add} className="toolbar" aria-label={t('intel_word_add')}>
          <label htmlFor="dict-word">{t('intel_word')}</label>
          <input id="dict-word" value={word} onChange={(e) => setWord(e.target.value)} required maxLength={30} />
          <label htmlFor="dict-kind">{t('intel_word_kind')}</label>
          <select id="dict-kind" value={kind} onChange={(e) => setKind(e.target.value as WordKind)}>
            {(['place', 'unit', 'term', 'stop'] as const).map((k) => <option key={k} value={k}>{t(`intel_kind_${k}`)}</option>)}
          </select>
          <button type="submit" className="primary" disabled={!word.trim()}>{t('intel_word_add')}</button>
        </form>
      )}
      {list.loading && !list.data ? <Loading /> : list.error ? <ErrorBox error={list.error} onRetry={list.reload} /> : (list.data?.words ?? []).length === 0 ? (
        <p className="muted">{t('intel_no_words')}</p>
      ) : (
        <table className="compact-table" data-testid="word-table">
          <thead><tr><th>{t('intel_word')}</th><th>{t('intel_word_kind')}</th><th>{t('intel_added')}</th>{manage && <th />}</tr></thead>
          <tbody>
            {list.data!.words.map((w) => (
              <tr key={w.word}>
                <td>{w.word}</td><td>{t(`intel_kind_${w.kind}`)}</td><td>{fmtTime(w.createdAt, lang)}</td>
                {manage && <td><button type="button" className="danger" onClick={() => remove(w.word)} aria-label={`${t('intel_word_remove')} ${w.word}`}>{t('intel_word_remove')}</button></td>}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Precision, recall and F1 of each category on the model's hold-out, weakest first (where the model needs help). */
function PerClass({ model }: { model: ModelView | undefined }) {
  const { t } = useI18n();
  const rows = [...(model?.evaluation.perClass ?? [])].sort((a, b) => a.f1 - b.f1 || b.support - a.support);
  if (!model || rows.length === 0) return null;
  return (
    <details className="per-class" data-testid="per-class" open>
      <summary>{t('wb_per_class')} · v{model.version} · {t('intel_examples')} {model.heldOut}</summary>
      {model.heldOut < 30 && <p className="muted">{t('wb_holdout_small')}</p>}
      <div className="table-wrap">
        <table className="compact-table">
          <thead><tr><th scope="col">{t('intel_categories')}</th><th scope="col">{t('wb_precision')}</th><th scope="col">{t('wb_recall')}</th><th scope="col">F1</th><th scope="col">{t('wb_support')}</th></tr></thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.label}><th scope="row">{r.label}</th><td>{pct1(r.precision)}</td><td>{pct1(r.recall)}</td><td>{pct1(r.f1)}</td><td>{r.support}</td></tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
