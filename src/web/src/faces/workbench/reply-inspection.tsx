import { useState } from 'react';
import type { ApiError } from '../../api.js';
import { governanceApi, type InspectionResult } from '../../governance-api.js';
import { addMessages, useI18n } from '../../i18n.js';
import { ErrorBox } from '../../ui/status.js';

addMessages({
  insp_check: ['答复质检', 'Inspect the reply'],
  insp_score: ['质检得分', 'Inspection score'],
  insp_passed: ['达标', 'passes'],
  insp_failed: ['未达标', 'fails'],
  insp_blocking: ['发出前必须修改', 'must be fixed before sending'],
  insp_clean: ['未发现问题', 'Nothing found'],
  insp_model: ['模型与规则', 'model and rules'],
  insp_rules: ['规则', 'rules'],
});

/**
 * The reply form's 智能质检 (docs/hotline-governance.md): the reply as typed checked against the appeal; warnings
 * listed, the blocking ones (personal data) first. Advisory: the form still sends what the handler decides.
 */
export function ReplyInspection({ appeal, reply }: { appeal: string; reply: string }) {
  const { t } = useI18n();
  const [result, setResult] = useState<InspectionResult | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      setResult(await governanceApi.check({ appeal, reply }));
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setBusy(false);
    }
  };
  const findings = result ? [...result.findings].sort((a, b) => Number(b.blocking) - Number(a.blocking)) : [];
  return (
    <div className="reply-inspection" data-testid="reply-inspection">
      <button type="button" onClick={() => void run()} disabled={busy || reply.trim().length < 2}>{t('insp_check')}</button>
      {error && <ErrorBox error={error} compact />}
      <div aria-live="polite">
        {result && (
          <>
            <p>
              <strong>{t('insp_score')} {result.score}</strong>（{result.passed ? t('insp_passed') : t('insp_failed')} · {result.method === 'llm' ? t('insp_model') : t('insp_rules')}）
            </p>
            {findings.length === 0 ? <p>{t('insp_clean')}</p> : (
              <ul>
                {findings.map((f, i) => (
                  <li key={i} className={f.blocking ? 'error' : undefined}>
                    {f.blocking && <strong>{t('insp_blocking')}：</strong>}{f.message}{f.excerpt ? `「${f.excerpt}」` : ''}
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
      </div>
    </div>
  );
}
