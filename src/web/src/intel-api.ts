import { api, documentedRoute, notDocumented, withQuery } from './api.js';
// Types only: the shapes the server's intelligence API answers with (src/hotline/intel/schemas.ts).
import type {
  AlertList, HotIssueList, HotIssuesQuery, JobView, ModelList, ModelView, NewWord, TrainStarted, WordList, WordsAdded,
} from '../../hotline/intel/schemas.js';

export type { EmergingAlert, HotIssue, JobView, ModelView, WordKind, WordView } from '../../hotline/intel/schemas.js';

const H = '/api/hotline';
const I = `${H}/intel`;

/** Fetches a route of the intelligence module only when this server documents it (the module may be off). */
async function ifDocumented<T>(method: string, path: string, load: () => Promise<T>): Promise<T> {
  if (!(await documentedRoute(method, path))) throw notDocumented(method, path);
  return load();
}

/**
 * The intelligence API: hot issues and alerts (the cockpit), classifier versions and training (模型管理), the
 * segmenter's user dictionary (用户词典).
 */
export const intelApi = {
  /** 热点: clusters of tickets ranked by the heat index. */
  hotIssues: (q: HotIssuesQuery = {}) =>
    ifDocumented('GET', `${H}/hot-issues`, () => api<HotIssueList>('GET', withQuery(`${H}/hot-issues`, q))),
  /** 未诉先办: clusters growing faster than their own baseline. */
  alerts: () => ifDocumented('GET', `${H}/alerts`, () => api<AlertList>('GET', `${H}/alerts`)),
  models: () => api<ModelList>('GET', `${I}/models`),
  train: () => api<TrainStarted>('POST', `${I}/models/train`, {}),
  job: (id: string) => api<JobView>('GET', `${I}/models/jobs/${encodeURIComponent(id)}`),
  activate: (version: number) => api<ModelView>('POST', `${I}/models/${version}/activate`),
  words: () => api<WordList>('GET', `${I}/dictionary`),
  addWords: (words: NewWord[]) => api<WordsAdded>('POST', `${I}/dictionary`, { words }),
  removeWord: (word: string) => api<void>('DELETE', `${I}/dictionary/${encodeURIComponent(word)}`),
};
