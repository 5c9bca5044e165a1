import { useState } from 'react';
import { toError, type ApiError } from '../../api.js';
import { ErrorBox } from '../../ui/status.js';
import { citizenApi, type PhotoView } from './citizen-api.js';
import { usePortalText } from './portal-text.js';

const MAX_PHOTOS = 6;

/** A picture scaled to fit `maxSide`, as JPEG: the phone's 4000 px, 5 MB photo becomes ~1600 px and ~300 KB. */
async function compress(bitmap: ImageBitmap, maxSide: number, quality: number): Promise<string> {
  const scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  canvas.getContext('2d')!.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  const blob = await new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('encode'))), 'image/jpeg', quality));
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/**
 * Photos for an appeal: each is decoded by the browser (a file that is no image fails here already), re-encoded
 * as JPEG no larger than 1600 px with a 320 px thumbnail, and uploaded; the server checks both again by their bytes.
 */
export function PhotoPicker({ photos, onChange }: { photos: PhotoView[]; onChange(photos: PhotoView[]): void }) {
  const p = usePortalText();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [bad, setBad] = useState(false);

  const add = async (files: FileList | null) => {
    if (!files) return;
    setBusy(true);
    setError(null);
    setBad(false);
    let list = photos;
    for (const file of [...files].slice(0, MAX_PHOTOS - photos.length)) {
      let bitmap: ImageBitmap;
      try {
        bitmap = await createImageBitmap(file);
      } catch {
        setBad(true);
        continue;
      }
      try {
        const [image, thumbnail] = [await compress(bitmap, 1600, 0.8), await compress(bitmap, 320, 0.7)];
        list = [...list, await citizenApi.uploadPhoto({ image, thumbnail })];
        onChange(list);
      } catch (err) {
        setError(toError(err));
      } finally {
        bitmap.close();
      }
    }
    setBusy(false);
  };

  return (
    <div className="field photos" data-testid="photos">
      <span id="photos-label">{p('photos')}</span>
      <ul className="photo-list" aria-labelledby="photos-label">
        {photos.map((photo, i) => (
          <li key={photo.id}>
            <img src={photo.thumbnailUrl} alt={`${i + 1}`} width={88} height={88} />
            <button type="button" className="photo-remove" aria-label={`${p('photo_remove')} ${i + 1}`} onClick={() => onChange(photos.filter((x) => x.id !== photo.id))}>×</button>
          </li>
        ))}
        {photos.length < MAX_PHOTOS && (
          <li>
            <label className="photo-add">
              <span aria-hidden="true">＋</span>
              <span>{busy ? p('photo_uploading') : p('photos_add')}</span>
              <input type="file" accept="image/jpeg,image/png,image/webp,image/*" multiple className="sr-only" data-testid="photo-input"
                onChange={(e) => { void add(e.target.files); e.target.value = ''; }} disabled={busy} />
            </label>
          </li>
        )}
      </ul>
      <span className="hint">{p('photos_hint')}</span>
      {bad && <p className="error compact" role="alert">{p('photo_bad')}</p>}
      {error && <ErrorBox error={error} compact />}
    </div>
  );
}
