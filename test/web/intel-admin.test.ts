import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Actor } from '../../src/platform/auth/roles.js';
import { screenshots, webSuite } from './web-hub.js';

const admin: Actor = { kind: 'user', id: '00000000-0000-4000-8000-000000000000', roles: ['admin'] };

/**
 * 模型与词典 in the workbench, on the demo city: the data bureau trains a classifier version and watches its
 * progress, sees the versions' hold-out scores in a chart and a table, rolls back, and extends the user dictionary.
 */
describe('web app: classifier versions and the user dictionary', { timeout: 120_000 }, () => {
  const web = webSuite({
    async setup(hub) {
      await (await hub.services.intel.models.startTraining(admin, { trigger: 'manual' }))!.done;
    },
  });

  it('the data bureau trains a version, sees the scores by version and rolls back', async () => {
    const { page, errors } = await web.signIn('data_admin', { timeout: 60_000 });
    await page.getByTestId('intel-link').click();
    const models = page.getByTestId('models');
    await models.getByTestId('model-table').waitFor();
    expect(await models.getByTestId('active-version').innerText()).toBe('v1');
    expect(await models.locator('tr[data-version="1"]').innerText()).toMatch(/v1[\s\S]*%[\s\S]*使用中/);

    await models.getByRole('button', { name: '训练新版本' }).click();
    await models.getByTestId('training-result').waitFor();
    expect(await models.getByTestId('training-result').innerText()).toMatch(/v2/);
    await models.locator('tr[data-version="2"]').waitFor();
    // the chart, now that there are two versions (ECharts is loaded on demand, so it may come a moment later)
    await expect.poll(() => models.locator('canvas').count()).toBeGreaterThan(0);

    await models.locator('tr[data-version="1"]').getByRole('button', { name: '设为当前' }).click();
    await expect.poll(() => models.getByTestId('active-version').innerText()).toBe('v1');
    expect(await models.locator('tr[data-version="2"]').innerText()).toContain('已停用');
    await page.screenshot({ path: path.join(screenshots, 'workbench-intel.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a supervisor adds a place name to the dictionary, the segmenter keeps it whole, and removes it', async () => {
    const { page, errors } = await web.signIn('supervisor');
    await page.getByTestId('intel-link').click();
    const dict = page.getByTestId('dictionary');
    await dict.getByText('词典中尚无人工添加的词语').waitFor();
    await dict.getByLabel('词语').fill('丽发新城');
    await dict.getByLabel('类型').selectOption('place');
    await dict.getByRole('button', { name: '加入词典' }).click();
    await dict.getByText('已加入: 丽发新城').waitFor();
    await expect.poll(() => dict.getByTestId('word-table').innerText()).toMatch(/丽发新城\s+地名/);
    await expect.poll(() => web.hub.services.intel.index.segmenter.tokens('丽发新城旁的市场')).toContain('丽发新城');
    await dict.getByRole('button', { name: '删除 丽发新城' }).click();
    await dict.getByText('词典中尚无人工添加的词语').waitFor();
    expect(errors).toEqual([]);
    await page.close();
  });
});
