import type { ReactNode } from 'react';
import { useAuth } from '../../auth.js';
import { href, useRoute } from '../../router.js';
import { ApplicationQueue, Income, Keys, OperatorProducts } from './operator.js';
import { Approvals, Licences, OutputReview, Registrations } from './body.js';
import { Marketplace, MyApplications, MyUsage } from './market.js';
import { DisclosureReminderBanner, Supervision } from './supervision.js';
import { PrintDisclosure, PrintStatement, Statements } from './documents.js';
import { useText } from './text.js';
import './operation.css';

type Tab = { id: string; zh: string; en: string; roles: string[]; page: () => ReactNode };

const body = ['operation_admin', 'admin'];
/** The face's screens: which role sees which (the API checks again on every call). */
const tabs: Tab[] = [
  { id: 'market', zh: '数据产品超市', en: 'Marketplace', roles: ['market_user'], page: () => <Marketplace /> },
  { id: 'my-applications', zh: '我的申请', en: 'My applications', roles: ['market_user'], page: () => <MyApplications /> },
  { id: 'usage', zh: '用量与支出', en: 'Usage and spending', roles: ['market_user'], page: () => <MyUsage /> },
  { id: 'registrations', zh: '登记', en: 'Registrations', roles: body, page: () => <Registrations /> },
  { id: 'licences', zh: '授权协议', en: 'Licences', roles: [...body, 'operation_supervisor'], page: () => <Licences /> },
  { id: 'approvals', zh: '审批', en: 'Approvals', roles: body, page: () => <Approvals /> },
  { id: 'review', zh: '输出审核', en: 'Output review', roles: body, page: () => <OutputReview /> },
  { id: 'products', zh: '产品与价格', en: 'Products and prices', roles: ['market_operator'], page: () => <OperatorProducts /> },
  { id: 'applications', zh: '使用申请', en: 'Applications', roles: ['market_operator'], page: () => <ApplicationQueue /> },
  { id: 'keys', zh: '密钥', en: 'Keys', roles: ['market_operator', ...body], page: () => <Keys /> },
  { id: 'income', zh: '用量与收入', en: 'Usage and income', roles: ['market_operator', ...body, 'operation_supervisor'], page: () => <Income /> },
  { id: 'statements', zh: '对账单', en: 'Statements', roles: [...body, 'operation_supervisor', 'market_operator'], page: () => <Statements /> },
  { id: 'supervision', zh: '监管', en: 'Supervision', roles: ['operation_supervisor', ...body], page: () => <Supervision /> },
  { id: 'disclosure', zh: '信息披露', en: 'Disclosure', roles: [...body, 'operation_supervisor', 'market_operator'], page: () => <DisclosureIndex /> },
];

/**
 * 授权运营 (authorized operation of public data): the marketplace for market users; registrations, licences,
 * approvals, output review and statements for the implementing body; products, prices, applications, keys and
 * income for operators; the disclosure, anomalies and the ledger check for supervisors. Statements and the
 * disclosure open as printable pages.
 */
export function OperationDesk() {
  const L = useText();
  const { hasRole } = useAuth();
  const route = useRoute();
  const segments = route.path.split('/').filter(Boolean);
  if (segments[1] === 'print' && segments[2] === 'statement') return <PrintStatement />;
  if (segments[1] === 'print' && segments[2] === 'disclosure') return <PrintDisclosure />;
  const mine = tabs.filter((t) => hasRole(...t.roles));
  const current = mine.find((t) => t.id === segments[1]) ?? mine[0];
  return (
    <section className="operation" aria-labelledby="operation-face">
      <h1 id="operation-face" className="visually-hidden">{L('公共数据授权运营', 'Authorized operation of public data')}</h1>
      <nav className="tabs" aria-label={L('授权运营', 'Authorized operation')}>
        {mine.map((t) => <a key={t.id} href={href(`/operation/${t.id}`)} aria-current={t.id === current?.id ? 'page' : undefined} data-tab={t.id}>{L(t.zh, t.en)}</a>)}
      </nav>
      {current?.page()}
    </section>
  );
}

/** The disclosure of last year and this year so far, as printable pages; the reminder until last year's is out. */
function DisclosureIndex() {
  const L = useText();
  const year = new Date().getFullYear();
  return (
    <section aria-labelledby="disc-title">
      <h1 id="disc-title">{L('年度信息披露', 'Annual disclosure')}</h1>
      <DisclosureReminderBanner />
      <p className="muted">{L('实施机构和运营机构于每年 3 月底前披露上一年度的授权、资源、产品、收费标准上限与实际收费。', 'By the end of March, the implementing body and the operators publish the previous year\'s authorisations, resources, products, fee caps and actual fees.')}</p>
      <ul className="op-list">
        {[year - 1, year].map((y) => <li key={y}><a href={`#/operation/print/disclosure?year=${y}`} data-testid={`disclosure-${y}`}>{L(`${y} 年度（打印版）`, `${y} (printable)`)}</a></li>)}
      </ul>
    </section>
  );
}
