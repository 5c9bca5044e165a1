import { useEffect, useMemo, useState } from 'react';
import { toError, useLoad, type ApiError } from '../../api.js';
import { useI18n } from '../../i18n.js';
import { useQueryParams, useRoute } from '../../router.js';
import { EChart, type ChartOption } from '../../ui/echart.js';
import { ErrorBox, Loading } from '../../ui/status.js';
import { securityApi, type ActivityView, type AlertView } from '../../security-api.js';
import { fmtTime } from '../../ui/format.js';

/** How long one poll of the alert feed waits for a change (the server's bound is 30 s). */
const WAIT_SECONDS = 25;
const REFRESH_MS = 10_000;

/**
 * The alerts as the server pushes them: a long poll that answers when they change, asked again at once. A server
 * without the feed (404) is asked every 10 s instead; any other failure stops the loop and offers a retry.
 */
function useAlertFeed(): { alerts?: AlertView[]; version?: string; error: ApiError | null; retry(): void } {
  const [state, setState] = useState<{ alerts?: AlertView[]; version?: string; error: ApiError | null }>({ error: null });
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let gone = false;
    // loops rather than recursion, so a screen left open for days holds no growing chain of promises
    const run = async (): Promise<void> => {
      let since: string | undefined;
      let feed = true;
      for (;;) {
        try {
          if (feed) {
            const next = await securityApi.alertFeed(since, since === undefined ? 0 : WAIT_SECONDS);
            if (gone) return;
            since = next.version;
            setState({ alerts: next.alerts, version: next.version, error: null });
          } else {
            // a server without the feed: the alerts asked again every REFRESH_MS instead
            const alerts = await securityApi.alerts();
            if (gone) return;
            setState({ alerts, version: undefined, error: null });
            await new Promise((r) => setTimeout(r, REFRESH_MS));
          }
        } catch (err) {
          if (gone) return;
          const error = toError(err);
          if (feed && error.status === 404) {
            feed = false;
            continue;
          }
          setState((s) => ({ ...s, error }));
          return;
        }
        if (gone) return;
      }
    };
    void run();
    return () => { gone = true; };
  }, [attempt]);
  return { ...state, retry: () => setAttempt((n) => n + 1) };
}

/** 安全告警: the pushed alerts, and the chart of denials and reads per hour or day beside them. */
export function AlertsScreen() {
  const { t } = useI18n();
  const feed = useAlertFeed();
  return (
    <>
      <section aria-labelledby="sec-alerts" className="panel">
        <h2 id="sec-alerts">{t('sec_alerts')}</h2>
        <p className="muted">{t('sec_alerts_live')}</p>
        {feed.error && <ErrorBox error={feed.error} onRetry={feed.retry} />}
        {!feed.alerts && !feed.error && <Loading />}
        {feed.alerts && feed.alerts.length === 0 && <p data-testid="alerts-none">{t('sec_alerts_none')}</p>}
        {feed.alerts && feed.alerts.length > 0 && <AlertTable alerts={feed.alerts} />}
      </section>
      <Activity version={feed.version} />
    </>
  );
}

function AlertTable({ alerts }: { alerts: AlertView[] }) {
  const { t, lang } = useI18n();
  return (
    <div className="table-wrap">
      <table className="compact-table" data-testid="alert-table">
        <thead><tr><th>{t('sec_kind')}</th><th>{t('sec_actor')}</th><th>{t('sec_address')}</th><th>{t('sec_count')}</th><th>{t('sec_last')}</th></tr></thead>
        <tbody>
          {alerts.map((a) => (
            <tr key={`${a.kind}|${a.actor}|${a.address}`} className="alert-row">
              <td><span className="badge overdue">{t(`sec_alert_${a.kind}`)}</span></td>
              <td><code>{a.actor}</code></td>
              <td>{a.address ?? '—'}</td>
              <td>{a.count} / {a.threshold} · {a.windowMinutes} {t('sec_minutes')}</td>
              <td><time dateTime={a.lastAt}>{fmtTime(a.lastAt, lang)}</time></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The chart: reloaded when the alerts change, so a new burst shows in both. The bucket is in the URL. */
function Activity({ version }: { version: string | undefined }) {
  const { t } = useI18n();
  const route = useRoute();
  const [query, setQuery] = useQueryParams(route);
  const bucket = query.get('bucket') === 'day' ? 'day' : 'hour';
  const activity = useLoad(() => securityApi.activity(bucket), [bucket, version]);
  return (
    <section aria-labelledby="sec-activity" className="panel">
      <h2 id="sec-activity">{t('sec_activity')}</h2>
      <div className="toolbar" role="group" aria-label={t('sec_activity')}>
        {(['hour', 'day'] as const).map((b) => (
          <button key={b} type="button" aria-pressed={bucket === b} className={bucket === b ? 'primary' : undefined} onClick={() => setQuery({ bucket: b === 'hour' ? null : b })}>
            {t(b === 'hour' ? 'sec_by_hour' : 'sec_by_day')}
          </button>
        ))}
      </div>
      {activity.error && <ErrorBox error={activity.error} onRetry={activity.reload} />}
      {!activity.data && !activity.error && <Loading />}
      {activity.data && <ActivityChart view={activity.data} />}
    </section>
  );
}

function ActivityChart({ view }: { view: ActivityView }) {
  const { t, lang } = useI18n();
  const option = useMemo<ChartOption>(() => {
    const label = new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'zh-CN', {
      timeZone: view.timeZone, month: '2-digit', day: '2-digit', ...(view.bucket === 'hour' ? { hour: '2-digit', minute: '2-digit', hour12: false } : {}),
    });
    const series = (name: string, pick: (b: ActivityView['buckets'][number]) => number, color: string, line = false) => ({
      name, type: line ? 'line' : 'bar', stack: line ? undefined : 'denials', data: view.buckets.map(pick), itemStyle: { color }, ...(line ? { yAxisIndex: 1, symbol: 'none' } : {}),
    });
    return {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 48, right: 48, top: 36, bottom: 32 },
      xAxis: { type: 'category', data: view.buckets.map((b) => label.format(new Date(b.start))) },
      yAxis: [{ type: 'value', minInterval: 1, name: t('sec_series_denied') }, { type: 'value', minInterval: 1, name: t('sec_series_reads') }],
      series: [
        series(t('sec_series_denied'), (b) => b.denied, '#c62828'),
        series(t('sec_series_failed'), (b) => b.failedLogins, '#ef6c00'),
        series(t('sec_series_reads'), (b) => b.personalReads, '#1565c0', true),
      ],
    };
  }, [view, t, lang]);
  const total = (pick: (b: ActivityView['buckets'][number]) => number) => view.buckets.reduce((n, b) => n + pick(b), 0);
  return (
    <>
      <EChart option={option} label={t('sec_activity_chart')} height={280} />
      <p className="muted" data-testid="activity-total">
        {t('sec_activity_total')}: {t('sec_series_denied')} {total((b) => b.denied)} · {t('sec_series_failed')} {total((b) => b.failedLogins)} · {t('sec_series_reads')} {total((b) => b.personalReads)}
        {' · '}{t('sec_time_zone')} {view.timeZone}
      </p>
    </>
  );
}
