import { useState, type FormEvent } from 'react';
import { api, toError, type ApiError } from '../api.js';
import { useAuth } from '../auth.js';
import { addMessages, useI18n } from '../i18n.js';
import { ErrorBox } from './status.js';
// Type only: the session's answer as the server's auth routes whitelist it.
import type { MeView } from '../../../platform/auth/schemas.js';

/** Sign-in steps of 等保 level 3 (issue 21): forced password change and TOTP enrolment; the administrator roles. */
addMessages({
  login_totp: ['动态验证码（6 位）', 'One-time code (6 digits)'],
  role_security_admin: ['安全管理员', 'Security administrator'],
  role_audit_admin: ['审计管理员', 'Audit administrator'],
  step_password_title: ['请修改密码', 'Change your password'],
  step_password_why: ['首次登录或密码已到期：请设置一个只有您知道的新密码（至少 8 位，混合大小写字母、数字、符号中的 3 类，不含用户名，不能是常见密码）。', 'First login or an expired password: choose a new one only you know (8+ characters mixing 3 of lower and upper case, digits and symbols; not your username, not a common password).'],
  step_current_password: ['当前密码', 'Current password'],
  step_new_password: ['新密码', 'New password'],
  step_repeat_password: ['再次输入新密码', 'Repeat the new password'],
  step_password_mismatch: ['两次输入的新密码不一致', 'The new passwords differ'],
  step_save: ['保存', 'Save'],
  step_totp_title: ['绑定动态验证码', 'Enrol a one-time-code app'],
  step_totp_why: ['管理员账号须使用双因素登录：在手机验证器应用（如 FreeOTP、Google Authenticator）中添加下面的密钥，再输入它显示的 6 位验证码。', 'Administrator accounts sign in with two factors: add the key below to an authenticator app (FreeOTP, Google Authenticator…), then enter the 6-digit code it shows.'],
  step_totp_start: ['生成密钥', 'Create the key'],
  step_totp_key: ['密钥', 'Key'],
  step_totp_confirm: ['确认绑定', 'Confirm'],
});

/**
 * What a session must finish before anything else: change a password someone else chose (or that expired),
 * then enrol a one-time-code app when the roles require one. `onDone` receives the session once nothing is pending.
 */
export function SignInSteps({ me, onDone }: { me: MeView; onDone(me: MeView): void }) {
  const { update } = useAuth();
  const next = (after: MeView) => {
    update(after);
    if (!after.pending) onDone(after);
  };
  return me.pending === 'password_change' ? <PasswordStep onChanged={next} /> : <TotpStep onEnrolled={next} />;
}

function PasswordStep({ onChanged }: { onChanged(me: MeView): void }) {
  const { t } = useI18n();
  const [current, setCurrent] = useState('');
  const [fresh, setFresh] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    if (fresh !== repeat) return setError(toError(t('step_password_mismatch')));
    try {
      onChanged(await api<MeView>('POST', '/api/auth/password', { currentPassword: current, newPassword: fresh }));
    } catch (err) {
      setError(toError(err));
    }
  };
  return (
    <section className="login">
      <h1>{t('step_password_title')}</h1>
      <p>{t('step_password_why')}</p>
      <form onSubmit={submit} aria-label={t('step_password_title')}>
        <label htmlFor="step-current">{t('step_current_password')}</label>
        <input id="step-current" type="password" value={current} onChange={(e) => setCurrent(e.target.value)} autoComplete="current-password" required />
        <label htmlFor="step-new">{t('step_new_password')}</label>
        <input id="step-new" type="password" value={fresh} onChange={(e) => setFresh(e.target.value)} autoComplete="new-password" required />
        <label htmlFor="step-repeat">{t('step_repeat_password')}</label>
        <input id="step-repeat" type="password" value={repeat} onChange={(e) => setRepeat(e.target.value)} autoComplete="new-password" required />
        <button type="submit" className="primary">{t('step_save')}</button>
        {error && <ErrorBox error={error} compact />}
      </form>
    </section>
  );
}

function TotpStep({ onEnrolled }: { onEnrolled(me: MeView): void }) {
  const { t } = useI18n();
  const [key, setKey] = useState<{ secret: string; uri: string } | null>(null);
  const [code, setCode] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const start = async () => {
    setError(null);
    try {
      setKey(await api<{ secret: string; uri: string }>('POST', '/api/auth/totp/enrol'));
    } catch (err) {
      setError(toError(err));
    }
  };
  const confirm = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      onEnrolled(await api<MeView>('POST', '/api/auth/totp/confirm', { code }));
    } catch (err) {
      setError(toError(err));
    }
  };
  return (
    <section className="login">
      <h1>{t('step_totp_title')}</h1>
      <p>{t('step_totp_why')}</p>
      {!key ? (
        <button type="button" className="primary" onClick={start}>{t('step_totp_start')}</button>
      ) : (
        <form onSubmit={confirm} aria-label={t('step_totp_title')}>
          <p>
            {t('step_totp_key')}: <code data-testid="totp-secret">{key.secret.replace(/(.{4})/g, '$1 ').trim()}</code>
          </p>
          <p className="muted"><a href={key.uri}>{key.uri.split('?')[0]}</a></p>
          <label htmlFor="step-totp">{t('login_totp')}</label>
          <input id="step-totp" inputMode="numeric" pattern="[0-9]{6}" maxLength={6} value={code} onChange={(e) => setCode(e.target.value)} autoComplete="one-time-code" required />
          <button type="submit" className="primary">{t('step_totp_confirm')}</button>
        </form>
      )}
      {error && <ErrorBox error={error} compact />}
    </section>
  );
}
