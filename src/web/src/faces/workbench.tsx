import { useI18n } from '../i18n.js';

export function Workbench() {
  const { t } = useI18n();
  return <section><h1>{t('work_title')}</h1></section>;
}
