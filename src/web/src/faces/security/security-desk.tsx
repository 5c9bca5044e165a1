import { api, useLoad } from '../../api.js';
import { useAuth } from '../../auth.js';
import { addMessages, useI18n } from '../../i18n.js';
import { ErrorBox, Loading } from '../../ui/status.js';

/** The security and audit administrators' desk (issue 21): alerts for the one, the trail and its export for the other. */
addMessages({
  sec_title: ['安全与审计', 'Security and audit'],
  sec_alerts: ['安全告警', 'Security alerts'],
  sec_alerts_none: ['告警窗口内没有反复拒绝或异常读取。', 'No repeated denials or unusual reads in the alert window.'],
  sec_alert_repeated_denials: ['反复被拒绝', 'Repeated denials'],
  sec_alert_unusual_reads: ['异常读取量', 'Unusual reads'],
  sec_kind: ['类型', 'Kind'],
  sec_actor: ['主体', 'Actor'],
  sec_address: ['来源地址', 'Address'],
  sec_count: ['次数', 'Count'],
  sec_last: ['最近', 'Last'],
  sec_reload: ['刷新', 'Reload'],
  sec_trail: ['审计记录（最新 50 条）', 'Audit trail (newest 50)'],
  sec_time: ['时间', 'Time'],
  sec_subject: ['对象', 'Subject'],
  sec_export: ['导出', 'Export'],
  sec_retention: ['保存期限（天）', 'Retention (days)'],
});

interface Alert { kind: string; actor: string; address: string | null; count: number; windowMinutes: number; threshold: number; lastAt: string }
interface TrailRecord { index: number; kind: string; actor: string; subject: string; time: string; facts: Record<string, unknown> }

const when = (iso: string) => new Date(iso).toLocaleString('zh-CN', { hour12: false });

/** `#/security`: what each of the two administrators needs (the API checks the role on every call). */
export function SecurityDesk() {
  const { t } = useI18n();
  const { me } = useAuth();
  const roles = me?.roles ?? [];
  return (
    <section className="security-desk">
      <h1>{t('sec_title')}</h1>
      {roles.includes('security_admin') && <Alerts />}
      {roles.includes('audit_admin') && <Trail />}
    </section>
  );
}

function Alerts() {
  const { t } = useI18n();
  const alerts = useLoad(() => api<Alert[]>('GET', '/api/audit/alerts'), []);
  return (
    <section aria-labelledby="sec-alerts">
      <h2 id="sec-alerts">{t('sec_alerts')} <button type="button" className="link" onClick={alerts.reload}>{t('sec_reload')}</button></h2>
      {alerts.loading && <Loading />}
      {alerts.error && <ErrorBox error={alerts.error} onRetry={alerts.reload} />}
      {alerts.data && alerts.data.length === 0 && <p className="muted">{t('sec_alerts_none')}</p>}
      {alerts.data && alerts.data.length > 0 && (
        <div className="table-wrap">
          <table className="compact-table" data-testid="alert-table">
            <thead><tr><th>{t('sec_kind')}</th><th>{t('sec_actor')}</th><th>{t('sec_address')}</th><th>{t('sec_count')}</th><th>{t('sec_last')}</th></tr></thead>
            <tbody>
              {alerts.data.map((a) => (
                <tr key={`${a.kind}|${a.actor}|${a.address}`}>
                  <td>{t(`sec_alert_${a.kind}`)}</td>
                  <td><code>{a.actor}</code></td>
                  <td>{a.address ?? '—'}</td>
                  <td>{a.count} / {a.threshold} · {a.windowMinutes} min</td>
                  <td>{when(a.lastAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Trail() {
  const { t } = useI18n();
  const trail = useLoad(() => api<TrailRecord[]>('GET', '/api/audit/trail?limit=50'), []);
  const retention = useLoad(() => api<{ retentionDays: number; oldest: string | null }>('GET', '/api/audit/retention'), []);
  return (
    <section aria-labelledby="sec-trail">
      <h2 id="sec-trail">{t('sec_trail')} <button type="button" className="link" onClick={trail.reload}>{t('sec_reload')}</button></h2>
      <p>
        {t('sec_export')}: <a href="/api/audit/export?format=csv" download>CSV</a> · <a href="/api/audit/export?format=json" download>JSON</a>
        {retention.data && <span className="muted"> · {t('sec_retention')}: {retention.data.retentionDays}</span>}
      </p>
      {trail.loading && <Loading />}
      {trail.error && <ErrorBox error={trail.error} onRetry={trail.reload} />}
      {trail.data && (
        <div className="table-wrap">
          <table className="compact-table" data-testid="trail-table">
            <thead><tr><th>#</th><th>{t('sec_time')}</th><th>{t('sec_kind')}</th><th>{t('sec_actor')}</th><th>{t('sec_subject')}</th><th>{t('sec_address')}</th></tr></thead>
            <tbody>
              {trail.data.map((r) => (
                <tr key={r.index}>
                  <td>{r.index}</td>
                  <td>{when(r.time)}</td>
                  <td><code>{r.kind}</code></td>
                  <td><code>{r.actor}</code></td>
                  <td><code>{r.subject}</code></td>
                  <td>{typeof r.facts.address === 'string' ? r.facts.address : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
