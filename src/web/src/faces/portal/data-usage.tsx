import { useLoad } from '../../api.js';
import { useI18n } from '../../i18n.js';
import { useAuth } from '../../auth.js';
import { catalogApi } from '../../catalog-api.js';
import { fmtTime } from '../../ui/format.js';
import { Login } from '../../ui/login.js';
import { ErrorBox, Loading } from '../../ui/status.js';

/**
 * 我的数据谁用了: every gateway call that returned a record carrying the logged-in citizen's ID — which unit, when,
 * for what purpose, which dataset — with the ledger entry that proves it.
 */
export function MyDataUsage() {
  const { t, lang } = useI18n();
  const { me, checking, hasRole } = useAuth();
  const citizen = !!me && hasRole('citizen');
  const usage = useLoad(citizen ? () => catalogApi.myDataUsage() : null, [me?.id]);
  if (checking) return <Loading />;
  if (!me) return <Login message={t('need_login')} />;
  if (!citizen) return <p className="muted" role="status">{t('usage_citizen_only')}</p>;
  if (usage.loading) return <Loading />;
  if (usage.error) return <ErrorBox error={usage.error} onRetry={usage.reload} />;
  const data = usage.data!;
  if (!data.linked) return <p className="muted" role="status" data-testid="usage-unlinked">{t('usage_not_linked')}</p>;
  return (
    <div>
      <p className="muted">{t('usage_intro')}</p>
      {data.accesses.length === 0 ? <p className="muted" role="status">{t('usage_none')}</p> : (
        <table className="compact-table usage" data-testid="usage">
          <caption className="sr-only">{t('portal_usage')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('usage_when')}</th><th scope="col">{t('usage_unit')}</th><th scope="col">{t('usage_purpose')}</th>
              <th scope="col">{t('usage_dataset')}</th><th scope="col" className="hide-sm">{t('usage_owner')}</th><th scope="col" className="hide-sm">{t('usage_ledger')}</th>
            </tr>
          </thead>
          <tbody>
            {data.accesses.map((a) => (
              <tr key={a.id}>
                <td>{fmtTime(a.accessedAt, lang)}</td>
                <th scope="row">{a.unit ?? a.unitId}</th>
                <td>{a.purpose}</td>
                <td>{a.dataset}</td>
                <td className="hide-sm">{a.datasetOwner ?? '—'}</td>
                <td className="hide-sm num">{a.ledgerIndex ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
