import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { screenshots, webSuite } from './web-hub.js';
import { axeViolations, type Page } from './browser.js';

/**
 * Authorized operation in the browser on the demo city: a market user applies in the marketplace, the operator
 * accepts, the market user collects its key and sees its usage charts; the implementing body registers a
 * product waiting for approval and reviews sandbox output; the supervisor checks; a statement prints. Screenshots
 * go to docs/screenshots/operation-*.png.
 */
describe('web: authorized operation on the demo city', { timeout: 90_000 }, () => {
  const web = webSuite();
  // every screen shot is also checked by axe-core: nothing serious or critical (issue 17)
  const shot = async (page: Page, name: string) => {
    expect(await axeViolations(page), name).toEqual([]);
    await page.screenshot({ path: path.join(screenshots, `operation-${name}.png`), fullPage: true });
  };

  it('marketplace: a market user applies, the operator accepts, the market user collects its key and sees its usage', async () => {
    const user = await web.signIn('market_user');
    await user.page.goto(`${web.base}/#/operation/market`);
    const card = user.page.locator('[data-testid=market-products] li', { hasText: '社保参保状态核验' });
    await card.waitFor();
    await expect(card.textContent()).resolves.toContain('云川数据运营有限公司');
    await card.getByRole('button', { name: '申请使用' }).click();
    const form = user.page.getByTestId('apply-form');
    await form.getByLabel('使用说明').fill('贷款客户低保资格核验（测试）');
    await shot(user.page, 'market');
    await form.getByRole('button', { name: '提交申请' }).click();
    await card.getByText('申请：待处理').waitFor();

    const operator = await web.signIn('market_operator');
    await operator.page.goto(`${web.base}/#/operation/applications`);
    const pending = operator.page.locator('[data-testid=application-queue] li', { hasText: '云川商业银行股份有限公司' });
    await pending.getByRole('button', { name: '同意并发放密钥' }).click();
    await pending.getByText('已同意').waitFor();
    await shot(operator.page, 'operator-applications');
    await operator.page.goto(`${web.base}/#/operation/income`);
    await operator.page.getByTestId('income').first().locator('canvas').waitFor();
    await shot(operator.page, 'income');

    await user.page.goto(`${web.base}/#/operation/my-applications`);
    await user.page.getByRole('button', { name: '领取密钥' }).click();
    await expect(user.page.getByTestId('issued-key').locator('code').textContent()).resolves.toMatch(/^ch_|.{20,}/);
    await user.page.goto(`${web.base}/#/operation/usage`);
    await user.page.locator('.op-charts canvas').first().waitFor();
    await shot(user.page, 'usage');
    expect([...user.errors, ...operator.errors]).toEqual([]);
  });

  it('implementing body: registers a product waiting for approval and reviews sandbox output', async () => {
    const { page, errors } = await web.signIn('operation_admin');
    await page.goto(`${web.base}/#/operation/approvals`);
    const product = page.locator('[data-testid=pending-products] li', { hasText: '企业分布沙箱查询' });
    await product.waitFor();
    await shot(page, 'approvals');
    await product.getByRole('button', { name: '予以登记' }).click();
    await product.waitFor({ state: 'detached' });
    await page.goto(`${web.base}/#/operation/registrations`);
    await page.getByTestId('products').getByText('企业分布沙箱查询').waitFor();

    await page.goto(`${web.base}/#/operation/review`);
    const runs = page.locator('[data-testid=review-queue] > li');
    await runs.first().waitFor();
    expect(await runs.count()).toBe(2);
    await shot(page, 'review');
    await runs.first().getByRole('button', { name: '放行' }).click();
    await expect.poll(() => runs.count()).toBe(1);
    await runs.first().getByPlaceholder('拒绝理由').fill('分组过细，存在识别风险');
    await runs.first().getByRole('button', { name: '拒绝' }).click();
    await page.getByText('审核队列为空').waitFor();
    expect(errors).toEqual([]);
  });

  it('supervisor: the disclosure reminder, anomalies and the ledger check; a statement prints', async () => {
    const { page, errors } = await web.signIn('operation_supervisor');
    await page.goto(`${web.base}/#/operation/supervision`);
    await page.getByTestId('disclosure-reminder').waitFor();
    await page.getByTestId('anomalies').getByText('云川财产保险有限公司').first().waitFor();
    await page.getByTestId('verify-ledger').click();
    await expect(page.getByTestId('ledger-result').textContent()).resolves.toContain('完好');
    await shot(page, 'supervision');
    const parties = (await web.hub.services.operation.parties.rows('market_user'));
    const bank = parties[0]!;
    const { rows } = await web.hub.database.pool.query(`select month, sum(fee_fen)::bigint as fee from operation_call where market_user_party_id = $1 group by month order by month limit 1`, [bank.id]);
    await page.goto(`${web.base}/#/operation/print/statement?party=${bank.id}&month=${rows[0].month}`);
    const total = await page.getByTestId('statement-total').textContent();
    expect(total).toBe(`¥${(Number(rows[0].fee) / 100).toFixed(2)}`);
    await page.emulateMedia({ media: 'print' });
    await shot(page, 'statement');
    await page.goto(`${web.base}/#/operation/print/disclosure?year=${new Date().getFullYear()}`);
    await page.getByTestId('disclosure').getByText('二、授权情况').waitFor();
    await shot(page, 'disclosure');
    expect(errors).toEqual([]);
  });
});
