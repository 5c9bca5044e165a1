import { Component, type ErrorInfo, type ReactNode } from 'react';
import type { ApiError } from '../api.js';
import { translate, useI18n } from '../i18n.js';

/** A loading line that screen readers announce. */
export function Loading({ label }: { label?: string }) {
  const { t } = useI18n();
  return (
    <p className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {label ?? t('loading')}
    </p>
  );
}

/**
 * What went wrong, in plain words: the problem's bilingual title (`title_zh` in Chinese, `title` in English),
 * never a status or code (issue 17); the fields at fault by name; the server's technical detail folded away for
 * support. A retry button only where retrying can help (no connection, a server error, too many attempts).
 */
export function ErrorBox({ error, onRetry, compact }: { error: ApiError; onRetry?: () => void; compact?: boolean }) {
  const { t, lang } = useI18n();
  const title = error.status === 0 ? t('error_network') : lang === 'zh' && error.titleZh ? error.titleZh : error.title;
  const hint = error.status === 0 ? t('error_network_detail') : null;
  const retryable = error.status === 0 || error.status >= 500 || error.status === 429;
  return (
    <div className={compact ? 'error compact' : 'error'} role="alert">
      <strong>{title}</strong>
      {hint && <p>{hint}</p>}
      {error.errors.length > 0 && (
        <ul>
          {error.errors.map((e) => (
            <li key={e.field + e.message}>
              {t(`field_${e.field.split('/').pop()}`).startsWith('field_') ? e.field.split('/').pop() : t(`field_${e.field.split('/').pop()}`)}: {fieldMessage(lang, e.message)}
            </li>
          ))}
        </ul>
      )}
      {error.detail && error.status !== 0 && (
        <details className="muted"><summary>{lang === 'zh' ? '详细信息' : 'Details'}</summary>{error.detail}</details>
      )}
      {onRetry && retryable && (
        <button type="button" onClick={onRetry}>
          {t('retry')}
        </button>
      )}
    </div>
  );
}

/** The validator's usual messages (JSON Schema, English) in Chinese; anything else as the server wrote it. */
const zhMessages: [RegExp, string][] = [
  [/^must be >= (\S+)$/, '不能小于 $1'],
  [/^must be > (\S+)$/, '必须大于 $1'],
  [/^must be <= (\S+)$/, '不能大于 $1'],
  [/^must be < (\S+)$/, '必须小于 $1'],
  [/^must be integer$/, '必须是整数'],
  [/^must be number$/, '必须是数字'],
  [/^must NOT have more than (\d+) characters$/, '不能超过 $1 个字符'],
  [/^must NOT have fewer than (\d+) characters$/, '不能少于 $1 个字符'],
  [/^must have required property '.+'$/, '必填'],
];

/**
 * A field's message from the server in the reader's language: in Chinese the validator's usual English sentences
 * are translated (`must be >= 8` → `不能小于 8`); a service's own bilingual message stays as written.
 */
export const fieldMessage = (lang: 'zh' | 'en', message: string): string => {
  if (lang === 'en') return message;
  const known = zhMessages.find(([pattern]) => pattern.test(message));
  return known ? message.replace(known[0], known[1]) : message;
};

/**
 * The server's message for one field of a refused form (the problem's `errors`, JSON Pointers such as
 * `/body/password/minLength`): the field's own, or the first of a part inside it.
 *
 * @example <input aria-invalid={!!fieldError(error, '/body/session/idleMinutes')} />
 */
export const fieldError = (error: ApiError | null, pointer: string): string | undefined =>
  error?.errors.find((e) => e.field === pointer || e.field.startsWith(`${pointer}/`))?.message;

/** The page a signed-in user gets for a screen of another role (the server answers 403 there too). */
export function Forbidden({ roles }: { roles: readonly string[] }) {
  const { t } = useI18n();
  return (
    <div className="error forbidden" role="alert" data-testid="forbidden">
      <strong>{t('need_role')}</strong>
      <p>{t('need_role_detail')}{roles.map((r) => t(`role_${r}`)).join('、')}</p>
      <a href="#/">{t('app_name')}</a>
    </div>
  );
}

/** A message that a part of the screen waits for an API that this server does not offer yet. */
export function NotYet({ what }: { what: string }) {
  const { t } = useI18n();
  return (
    <p className="notyet" role="note">
      {what}: {t('not_available_yet')}
    </p>
  );
}

/** Catches a render error so the user sees what happened instead of a blank page. */
export class ErrorBoundary extends Component<{ children: ReactNode; lang: 'zh' | 'en' }, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  override componentDidCatch(error: Error, info: ErrorInfo) {
    console.error('render error', error, info.componentStack);
  }
  override render() {
    if (this.state.error) {
      return (
        <div className="error" role="alert">
          <strong>{translate(this.props.lang, 'error_unexpected')}</strong>
          <p>{this.state.error.message}</p>
          <button type="button" onClick={() => this.setState({ error: null })}>
            {translate(this.props.lang, 'retry')}
          </button>
        </div>
      );
    }
    return this.props.children;
  }
}
