import { api } from './api.js';
// Type-only: the shapes the server's intelligence API answers with.
import type { ClassifierModels, JobView, ModelView } from '../../hotline/intel/classifier-models.js';
import type { WordKind, WordView } from '../../hotline/intel/user-dictionary.js';

export type { JobView, ModelView, WordKind, WordView };
export type ModelList = Awaited<ReturnType<ClassifierModels['list']>>;

const I = '/api/hotline/intel';

/** Classifier versions and training (模型管理), the segmenter's user dictionary (用户词典). */
export const intelApi = {
  models: () => api<ModelList>('GET', `${I}/models`),
  train: () => api<{ job: JobView }>('POST', `${I}/models/train`, {}),
  job: (id: string) => api<JobView>('GET', `${I}/models/jobs/${encodeURIComponent(id)}`),
  activate: (version: number) => api<ModelView>('POST', `${I}/models/${version}/activate`),
  words: () => api<{ words: WordView[] }>('GET', `${I}/dictionary`),
  addWords: (words: { word: string; kind: WordKind }[]) => api<{ added: WordView[]; existing: string[] }>('POST', `${I}/dictionary`, { words }),
  removeWord: (word: string) => api<void>('DELETE', `${I}/dictionary/${encodeURIComponent(word)}`),
};
