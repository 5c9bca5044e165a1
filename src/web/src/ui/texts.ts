import { useI18n } from '../i18n.js';

/**
 * A hook for a folder's own dictionary (zh, en), so a feature keeps its words beside its code instead of in the
 * shared i18n.tsx; a key missing from the dictionary shows as itself.
 *
 * @example export const useMapText = textHook({ locate_me: ['定位到我', 'Locate me'] }); … const t = useMapText(); t('locate_me')
 */
export const textHook = <K extends string>(text: Record<K, [string, string]>) =>
  function useText(): (key: K) => string {
    const { lang } = useI18n();
    return (key) => (text[key] ?? [key, key])[lang === 'en' ? 1 : 0];
  };
