import { useState, type FormEvent } from 'react';
import { ApiError, useLoad, toError } from '../../api.js';
import { useI18n } from '../../i18n.js';
import { hotline, urgencies, type Urgency } from '../../hotline-api.js';
import { navigate } from '../../router.js';
import { CategorySelect, SuggestionChips, useAssist } from '../../ui/category-picker.js';
import { ErrorBox } from '../../ui/status.js';

/** Intake by an agent: a phone call typed in, with the assist's category suggestion as the agent types. */
export function NewCall() {
  const { t } = useI18n();
  const [title, setTitle] = useState('');
  const [content, setContent] = useState('');
  const [address, setAddress] = useState('');
  const [name, setName] = useState('');
  const [phone, setPhone] = useState('');
  const [categoryId, setCategoryId] = useState('');
  const [urgency, setUrgency] = useState<Urgency>('normal');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const categories = useLoad(() => hotline.categories(), []);
  const suggestion = useAssist(title, content, address);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await hotline.createTicket({
        title: title.trim(), content: content.trim(), channel: 'phone', address: address.trim() || undefined,
        citizenName: name.trim() || undefined, citizenPhone: phone.trim() || undefined, categoryId: categoryId || undefined, urgency,
      });
      navigate(`/work/t/${created.id}`);
    } catch (err) {
      setError(toError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="newcall-title">
      <p><a href="#/work">← {t('back_to_queue')}</a></p>
      <h1 id="newcall-title">{t('q_new_call')}</h1>
      <form className="form" onSubmit={submit}>
        <div className="field"><label htmlFor="nc-title">{t('f_title')}</label><input id="nc-title" value={title} onChange={(e) => setTitle(e.target.value)} required /></div>
        <div className="field"><label htmlFor="nc-content">{t('f_content')}</label><textarea id="nc-content" value={content} onChange={(e) => setContent(e.target.value)} required /></div>
        <div className="field">
          <label htmlFor="nc-category">{t('f_category')}</label>
          <CategorySelect id="nc-category" categories={categories.data ?? []} value={categoryId} onChange={setCategoryId} />
          <SuggestionChips assist={suggestion} categories={categories.data ?? []} onPick={setCategoryId} chosen={categoryId} />
        </div>
        <div className="row">
          <div className="field"><label htmlFor="nc-address">{t('f_address')}</label><input id="nc-address" value={address} onChange={(e) => setAddress(e.target.value)} /></div>
          <div className="field">
            <label htmlFor="nc-urgency">{t('f_urgency')}</label>
            <select id="nc-urgency" value={urgency} onChange={(e) => setUrgency(e.target.value as Urgency)}>
              {urgencies.map((u) => <option key={u} value={u}>{t(`urgency_${u}`)}</option>)}
            </select>
          </div>
        </div>
        <div className="row">
          <div className="field"><label htmlFor="nc-name">{t('f_name')}</label><input id="nc-name" value={name} onChange={(e) => setName(e.target.value)} /></div>
          <div className="field"><label htmlFor="nc-phone">{t('f_phone')}</label><input id="nc-phone" type="tel" value={phone} onChange={(e) => setPhone(e.target.value)} /></div>
        </div>
        {error && <ErrorBox error={error} compact />}
        <div><button type="submit" className="primary" disabled={busy}>{busy ? t('submitting') : t('submit')}</button></div>
      </form>
    </section>
  );
}
