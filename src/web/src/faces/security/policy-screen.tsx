import { useEffect, useState, type FormEvent } from 'react';
import { toError, useLoad, type ApiError } from '../../api.js';
import { useI18n } from '../../i18n.js';
import { administratorRoles, roles } from '../../../../platform/auth/roles.js';
import { fmtTime } from '../../ui/format.js';
import { ErrorBox, Loading, fieldError, fieldMessage } from '../../ui/status.js';
import { securityApi, type SecurityPolicy, type SecurityPolicyView } from '../../security-api.js';

type Section = 'password' | 'session' | 'alerts';
interface NumberField { section: Section; key: string; step?: string }
interface Flag { key: 'forbidUsername' | 'forbidCommon' | 'changeOnFirstLogin' }

/** The policy's numbers by section (labels `pol_<key>`, hints `pol_<key>_hint`); the server holds the bounds. */
const numbers: Record<Section, NumberField[]> = {
  password: [{ section: 'password', key: 'minLength' }, { section: 'password', key: 'minClasses' }, { section: 'password', key: 'history' }, { section: 'password', key: 'maxAgeDays' }],
  session: [{ section: 'session', key: 'idleMinutes' }, { section: 'session', key: 'lifetimeHours', step: 'any' }],
  alerts: [{ section: 'alerts', key: 'windowMinutes' }, { section: 'alerts', key: 'deniedThreshold' }, { section: 'alerts', key: 'readThreshold' }],
};
const flags: Flag[] = [{ key: 'forbidUsername' }, { key: 'forbidCommon' }, { key: 'changeOnFirstLogin' }];
/** Roles a person signs in with (a witness node's role is for API keys only). */
const personRoles = roles.filter((r) => r !== 'ledger_peer');
const always: readonly string[] = administratorRoles;

/**
 * 安全策略 (security administrator): the password rules, session idle timeout and lifetime, the roles that need a
 * one-time code and the alert thresholds. The form sends what was typed as it is (the browser's own checks are
 * off), so a refusal is the server's, shown beside each field it names.
 */
export function PolicyScreen() {
  const { t, lang } = useI18n();
  const view = useLoad(() => securityApi.policy(), []);
  const [draft, setDraft] = useState<SecurityPolicy | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => { if (view.data) setDraft(view.data.policy); }, [view.data]);

  if (view.error) return <ErrorBox error={view.error} onRetry={view.reload} />;
  if (!view.data || !draft) return <Loading />;
  const current: SecurityPolicyView = view.data;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(null);
    try {
      const next = await securityApi.savePolicy(draft);
      setSaved(next.version);
      view.reload();
    } catch (err) {
      setError(toError(err));
    } finally {
      setBusy(false);
    }
  };
  const setNumber = (section: Section, key: string, value: string) =>
    // an empty box is sent as null, so the server names the field rather than the browser guessing a number
    setDraft({ ...draft, [section]: { ...draft[section], [key]: value === '' ? null : Number(value) } } as SecurityPolicy);
  const numberInput = ({ section, key, step }: NumberField) => {
    const pointer = `/body/${section}/${key}`;
    const message = fieldError(error, pointer);
    const value = (draft[section] as Record<string, number | null>)[key];
    const id = `pol-${section}-${key}`;
    return (
      <div className="field" key={id}>
        <label htmlFor={id}>{t(`pol_${key}`)}</label>
        <input id={id} name={`${section}.${key}`} type="number" step={step ?? '1'} inputMode="decimal" value={value ?? ''}
          aria-invalid={message ? true : undefined} aria-describedby={`${id}-hint${message ? ` ${id}-error` : ''}`}
          onChange={(e) => setNumber(section, key, e.target.value)} />
        <span className="hint" id={`${id}-hint`}>{t(`pol_${key}_hint`)}</span>
        {message && <span className="field-error" id={`${id}-error`} data-field={pointer}>{fieldMessage(lang, message)}</span>}
      </div>
    );
  };

  return (
    <section aria-labelledby="sec-policy">
      <h2 id="sec-policy">{t('sec_policy')}</h2>
      <p className="muted">{t('sec_policy_intro')}</p>
      <p data-testid="policy-version">
        {current.version === 0
          ? t('sec_policy_defaults_in_force')
          : <>{t('sec_policy_version')}: {current.version} · {t('sec_policy_by')} <code>{current.updatedBy}</code> · {fmtTime(current.updatedAt, lang)}</>}
      </p>
      {error && <ErrorBox error={error} />}
      {error && error.errors.length > 0 && <p className="sr-only" role="status">{t('sec_policy_invalid')}</p>}
      {saved !== null && <p className="ok" role="status">{t('sec_policy_saved').replace('{v}', String(saved))}</p>}
      <form className="form policy-form" onSubmit={submit} noValidate aria-label={t('sec_policy')}>
        <fieldset>
          <legend>{t('sec_policy_password')}</legend>
          <div className="row">{numbers.password.map(numberInput)}</div>
          {flags.map(({ key }) => (
            <label key={key} className="check">
              <input type="checkbox" name={`password.${key}`} checked={draft.password[key]} onChange={(e) => setDraft({ ...draft, password: { ...draft.password, [key]: e.target.checked } })} />{' '}
              {t(`pol_${key}`)}
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>{t('sec_policy_session')}</legend>
          <div className="row">{numbers.session.map(numberInput)}</div>
        </fieldset>
        <fieldset aria-describedby="pol-totp-hint">
          <legend>{t('sec_policy_totp')}</legend>
          <p className="hint muted" id="pol-totp-hint">{t('sec_policy_totp_hint')}</p>
          <div className="chips">
            {personRoles.map((r) => (
              <label key={r} className="check">
                <input type="checkbox" name={`totpRoles.${r}`} checked={draft.totpRoles.includes(r)} disabled={always.includes(r)}
                  onChange={(e) => setDraft({ ...draft, totpRoles: e.target.checked ? [...draft.totpRoles, r] : draft.totpRoles.filter((x) => x !== r) })} />{' '}
                {t(`role_${r}`)}
              </label>
            ))}
          </div>
          {fieldError(error, '/body/totpRoles') && <span className="field-error" data-field="/body/totpRoles">{fieldMessage(lang, fieldError(error, '/body/totpRoles')!)}</span>}
        </fieldset>
        <fieldset>
          <legend>{t('sec_policy_alerts')}</legend>
          <div className="row">{numbers.alerts.map(numberInput)}</div>
        </fieldset>
        <div className="toolbar">
          <button type="submit" className="primary" disabled={busy}>{busy ? t('loading') : t('sec_policy_save')}</button>
          <button type="button" onClick={() => { setDraft(current.defaults); setError(null); setSaved(null); }}>{t('sec_policy_reset')}</button>
        </div>
      </form>
    </section>
  );
}
