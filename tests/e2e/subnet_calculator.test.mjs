// The first slice end to end: the built site, under a sub-path, computes AWS
// subnet arithmetic as the learner types. Elements are found by role and
// accessible name, as a screen-reader user would find them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist, launchBrowser, openApp, screenshot } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await serveDist();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('the page opens under a sub-path on the default subnet with 251 usable addresses', async () => {
  const { page, context, problems } = await openApp(browser, server.origin);
  await page.getByRole('heading', { name: 'podnet', level: 1 }).waitFor();
  const input = page.getByLabel('Subnet CIDR');
  assert.equal(await input.inputValue(), '10.10.1.0/24');
  const headline = page.getByText(/usable of 256 addresses in 10\.10\.1\.0\/24/);
  await headline.waitFor();
  assert.match(await headline.textContent(), /^251 usable/);
  const table = page.getByRole('table', { name: 'The 5 addresses AWS reserves' });
  assert.equal(await table.getByRole('row').count(), 6, 'header + 5 reserved addresses');
  await screenshot(page, 'subnet-calculator');
  assert.deepEqual(problems(), []);
  await context.close();
});

test('typing a bad CIDR shows the rule it breaks, and a good one brings the result back', async () => {
  const { page, context, problems } = await openApp(browser, server.origin);
  const input = page.getByLabel('Subnet CIDR');
  await input.fill('10.10.1.0/29');
  const alert = page.getByRole('alert');
  await alert.filter({ hasText: 'is too small' }).waitFor();
  assert.equal(
    await alert.textContent(),
    'subnet 10.10.1.0/29 is too small: AWS subnets are /16 (65,536 addresses) to /28 (16 addresses), and a /29 has 8',
  );
  assert.equal(await input.getAttribute('aria-invalid'), 'true');
  await screenshot(page, 'subnet-calculator-error');

  await input.fill('10.10.2.0/28');
  await page.getByText(/usable of 16 addresses in 10\.10\.2\.0\/28/).waitFor();
  assert.equal(await page.getByRole('alert').count(), 0);
  assert.deepEqual(problems(), []);
  await context.close();
});

test('dark mode and a narrow window render without errors', async () => {
  const dark = await openApp(browser, server.origin, { colorScheme: 'dark' });
  await dark.page.getByLabel('Subnet CIDR').waitFor();
  const bg = await dark.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, 'rgb(15, 20, 25)', 'dark theme background');
  await screenshot(dark.page, 'subnet-calculator-dark');
  assert.deepEqual(dark.problems(), []);
  await dark.context.close();

  const narrow = await openApp(browser, server.origin, { viewport: { width: 375, height: 800 } });
  await narrow.page.getByLabel('Subnet CIDR').waitFor();
  const overflow = await narrow.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px at 375px wide`);
  await screenshot(narrow.page, 'subnet-calculator-narrow');
  assert.deepEqual(narrow.problems(), []);
  await narrow.context.close();
});
