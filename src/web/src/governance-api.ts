import { api, withQuery } from './api.js';
// Types only: the shapes the governance API answers with (src/hotline/governance/schemas.ts).
import type { InspectInput, InspectionResult, MonthlyReport, ProposalList, TopicInput, TopicList, TopicView, UnitScores } from '../../hotline/governance/schemas.js';

export type { InspectionResult, MonthlyReport, TopicProposal, TopicView, UnitScore } from '../../hotline/governance/schemas.js';

const H = '/api/hotline';

/** Quality inspection, 每月一题 and the monthly report (docs/hotline-governance.md). */
export const governanceApi = {
  /** 智能质检 of a reply before it goes out. */
  check: (input: InspectInput) => api<InspectionResult>('POST', `${H}/inspection/check`, input),
  unitScores: (month: string) => api<UnitScores>('GET', withQuery(`${H}/inspection/units`, { month })),
  proposals: (month: string) => api<ProposalList>('GET', withQuery(`${H}/governance/proposals`, { month })),
  topics: (month?: string) => api<TopicList>('GET', withQuery(`${H}/governance/topics`, { month })),
  createTopic: (input: TopicInput) => api<TopicView>('POST', `${H}/governance/topics`, input),
  report: (month: string) => api<MonthlyReport>('GET', withQuery(`${H}/report`, { month })),
  /** The Word document's address (a plain link: the browser downloads it with the session cookie). */
  reportDocxUrl: (month: string) => withQuery(`${H}/report.docx`, { month }),
};

/** The current month of the browser, `2026-11`. */
export const thisMonth = (): string => new Date().toISOString().slice(0, 7);
