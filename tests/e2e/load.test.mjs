// End-to-end: how the page loads (issue 19). The built index.html holds the
// page as a first visit sees it, rendered at build time by the app's own
// components, so it is readable before the wasm runs; the app then takes
// its place without moving anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { useServerAndBrowser, openApp, screenshot, waitForNodes } from './harness.mjs';

const env = useServerAndBrowser();
const link = (scenario) => `#s=1.${deflateRawSync(Buffer.from(JSON.stringify(scenario)), { level: 9 }).toString('base64url')}`;

/** Holds every .wasm request until `release()` is called. */
async function holdWasm(context) {
  let release;
  const gate = new Promise((resolve) => { release = resolve; });
  await context.route('**/*.wasm', async (route) => { await gate; await route.continue(); });
  return release;
}

/** Where each section heading is, to compare before and after the wasm. */
const headings = (page) => page.evaluate(() => [...document.querySelectorAll('h2')].map((h) => `${h.textContent} @${Math.round(h.getBoundingClientRect().y)}`));

test('the first paint is static HTML of the starting scenario, and the app replaces it without a jump', async () => {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const release = await holdWasm(context);
  const { page, problems } = await openApp(env.browser, env.server.origin, { context, live: false });
  // No wasm yet: the map, its seed subnet and the forms are already there.
  const map = page.getByRole('region', { name: 'VPC map' });
  await map.getByText('10.10.1.0/24').first().waitFor();
  await page.getByRole('button', { name: 'Add pods', exact: true }).waitFor();
  assert.equal(await page.locator('#podnet-static').count(), 1);
  assert.equal(await page.evaluate(() => document.getElementById('podnet-static').inert), true, 'inert until the app runs');
  await screenshot(page, 'load-static-first-paint');
  const before = await headings(page);
  assert.ok(before.length >= 5, before.join(', '));

  release();
  await page.locator('#podnet-static').waitFor({ state: 'detached' });
  assert.equal(await page.locator('.app').count(), 1, 'one page, not two');
  assert.deepEqual(await headings(page), before, 'every section is where the static copy had it');
  // Interactive now.
  await waitForNodes(page, 2);
  await page.getByRole('button', { name: 'Add pods', exact: true }).click();
  await page.getByRole('region', { name: 'Events' }).getByText(/add 10 pods/).first().waitFor();
  assert.deepEqual(problems(), []);
  await context.close();
});

/**
 * Routes the requests for `pattern` through a switch: aborted while
 * `fail` is true, then passed on. `asked` lists each request's URL, and
 * `asked_once` resolves at the first.
 */
async function failingThenPassing(context, pattern) {
  const split = { asked: [], fail: true };
  let first;
  split.asked_once = new Promise((resolve) => { first = resolve; });
  await context.route(pattern, async (route) => {
    split.asked.push(route.request().url());
    first();
    if (split.fail) await route.abort();
    else await route.continue();
  });
  return split;
}

test('the planner\'s code arrives only when the learner opens it, and a failed fetch says so and is tried again', async () => {
  const context = await env.browser.newContext();
  const split = await failingThenPassing(context, '**/*-split_planner.wasm');
  const { asked } = split;
  const { page, problems } = await openApp(env.browser, env.server.origin, { context });
  await page.getByRole('button', { name: 'Add pods', exact: true }).click();
  await page.getByRole('region', { name: 'Events' }).getByText(/add 10 pods/).first().waitFor();
  assert.deepEqual(asked, [], 'a first visit does not fetch the planner');
  const planner = page.getByRole('region', { name: 'Plan the addresses' });
  await planner.getByRole('button', { name: 'Open the planner' }).click();
  await planner.getByRole('alert').filter({ hasText: 'Could not load the planner' }).waitFor();
  split.fail = false;
  await planner.getByRole('button', { name: 'Close the planner' }).click();
  await planner.getByRole('button', { name: 'Open the planner' }).click();
  await planner.getByRole('form', { name: 'Planner inputs' }).waitFor();
  assert.equal(asked.length, 2, asked.join(', '));
  // The rest of the page still works, and so does the planner.
  await planner.getByRole('button', { name: 'Plan', exact: true }).click();
  await planner.getByRole('table', { name: /Planned subnets/ }).waitFor();
  const unexpected = problems().filter((p) => !/net::ERR_FAILED|Failed to load resource|TypeError: Failed to fetch/.test(p));
  assert.deepEqual(unexpected, []);
  await context.close();
});

test('the YAML reader is fetched when the learner starts on the policy form, and a failed fetch says so and is tried again', async () => {
  const context = await env.browser.newContext();
  const split = await failingThenPassing(context, '**/*-split_yaml.wasm');
  const { asked } = split;
  const { page, problems } = await openApp(env.browser, env.server.origin, { context });
  await page.getByRole('button', { name: 'Add pods', exact: true }).click();
  await page.getByRole('region', { name: 'Events' }).getByText(/add 10 pods/).first().waitFor();
  assert.deepEqual(asked, [], 'a visit that does not touch the policy form does not fetch the YAML reader');
  const policy = page.getByRole('region', { name: 'Network policy' });
  await policy.getByLabel('Start from a template').selectOption('Default deny ingress (a namespace)');
  await split.asked_once; // picking a template (or focus on the form) starts the fetch
  await policy.getByRole('button', { name: 'Apply policy', exact: true }).click();
  await page.getByText(/Could not load the YAML reader: its file did not arrive.*Apply again to try again/).waitFor();
  assert.equal(await policy.getByRole('list', { name: 'Policies' }).count(), 0, 'nothing was applied');
  split.fail = false;
  await policy.getByRole('button', { name: 'Apply policy', exact: true }).click();
  await page.getByRole('region', { name: 'Events' }).getByText('networkpolicy.networking.k8s.io/default-deny-ingress created').waitFor();
  const fetched = asked.length;
  // Loaded once: the next policy does not fetch it again, and YAML errors read as before.
  await policy.getByLabel('Policy YAML').fill('kind: NetworkPolicy\nmetadata: [');
  await policy.getByRole('button', { name: 'Apply policy', exact: true }).click();
  await page.getByText(/^Policy YAML: /).waitFor();
  assert.equal(asked.length, fetched, asked.join(', '));
  const unexpected = problems().filter((p) => !/net::ERR_FAILED|Failed to load resource|TypeError: Failed to fetch/.test(p));
  assert.deepEqual(unexpected, []);
  await context.close();
});

test('a static server that sends .wasm without application/wasm still gets the page and the planner', async () => {
  const context = await env.browser.newContext();
  const types = [];
  await context.route('**/*.wasm', async (route) => {
    const response = await route.fetch();
    types.push(response.url().split('/').pop());
    await route.fulfill({ response, headers: { ...response.headers(), 'content-type': 'application/octet-stream' } });
  });
  const { page } = await openApp(env.browser, env.server.origin, { context });
  const planner = page.getByRole('region', { name: 'Plan the addresses' });
  await planner.getByRole('button', { name: 'Open the planner' }).click();
  await planner.getByRole('form', { name: 'Planner inputs' }).waitFor();
  assert.equal(types.length, 2, types.join(', '));
  await context.close();
});

test('a visit that will show something else drops the static copy at once', async () => {
  for (const query of ['?embed=1&exercise=private-endpoint-join', '#s=1.abc']) {
    const context = await env.browser.newContext();
    const release = await holdWasm(context);
    const { page } = await openApp(env.browser, env.server.origin, { context, query, live: false });
    await page.waitForLoadState('domcontentloaded');
    assert.equal(await page.locator('#podnet-static').count(), 0, query);
    release();
    await context.close();
  }
  // Saved work: the autosave, not the starting scenario, comes next.
  const context = await env.browser.newContext();
  const { page } = await openApp(env.browser, env.server.origin, { context });
  await waitForNodes(page, 2);
  await page.getByRole('button', { name: 'Add pods', exact: true }).click();
  await page.getByRole('region', { name: 'Events' }).getByText(/add 10 pods/).first().waitFor();
  const release = await holdWasm(context);
  await page.reload({ waitUntil: 'domcontentloaded' });
  assert.equal(await page.locator('#podnet-static').count(), 0, 'after saved work');
  release();
  await context.close();
});

test('the instance type and node pickers search instead of listing every choice', async () => {
  const { page, context, problems } = await openApp(env.browser, env.server.origin);
  await waitForNodes(page, 2);
  // No datalist of 1,391 types, no select of every node: a handful of options.
  assert.ok((await page.locator('option').count()) < 150, `${await page.locator('option').count()} <option>s`);
  const type = page.getByRole('combobox', { name: 'Instance type' }).first();
  await type.fill('c6g.');
  const list = page.getByRole('listbox', { name: 'Instance type' });
  const options = list.getByRole('option');
  assert.equal(await options.count(), 8, 'at most 8 matches shown');
  await list.getByText(/more: type to narrow$/).waitFor();
  await type.fill('m5.4xl');
  assert.equal(await options.count(), 1);
  // Arrow keys and Enter, as the combobox pattern has them (Enter takes the
  // match, it does not submit the form).
  await type.press('ArrowDown');
  assert.equal(await type.getAttribute('aria-activedescendant'), await options.first().getAttribute('id'));
  await type.press('Enter');
  assert.equal(await type.inputValue(), 'm5.4xlarge');
  assert.equal(await type.getAttribute('aria-expanded'), 'false');
  await page.getByText(/m5\.4xlarge: 8 ENIs × 30 IPv4 each/).waitFor();
  await page.getByRole('button', { name: 'Add node', exact: true }).click();
  await waitForNodes(page, 3);
  // The node picker: type a part of a name, pick it, pods go there.
  const onNode = page.getByRole('combobox', { name: 'On node' });
  assert.equal(await onNode.getAttribute('placeholder'), 'any: the scheduler chooses');
  await onNode.fill('10-10-2');
  const nodes = page.getByRole('listbox', { name: 'On node' }).getByRole('option');
  const picked = (await nodes.first().textContent()).trim();
  await nodes.first().click();
  assert.equal(await onNode.inputValue(), picked);
  await page.getByRole('button', { name: 'Add pods', exact: true }).click();
  await page.getByRole('region', { name: 'Events' }).getByText(new RegExp(`add 10 pods on ${picked.replaceAll('.', '\\.')}`)).first().waitFor();
  assert.deepEqual(problems(), []);
  await context.close();
});

/** A cluster of `nodes` m5.large nodes (one command each) and some pods. */
function bigScenario(nodes) {
  const actions = [
    { action: 'add-vpc-cidr', cidr: '100.64.0.0/16' },
    { action: 'add-subnet', name: 'pods-a', cidr: '100.64.0.0/16', az: 'eu-west-1a' },
    { action: 'add-subnet', name: 'cluster-a', cidr: '10.0.0.0/28', az: 'eu-west-1a' },
    { action: 'add-subnet', name: 'cluster-b', cidr: '10.0.0.16/28', az: 'eu-west-1b' },
    { action: 'create-cluster', name: 'big', version: '1.31', subnets: ['cluster-a', 'cluster-b'] },
  ];
  for (let n = 0; n < nodes; n++) actions.push({ action: 'add-node', instance_type: 'm5.large', subnet: 'pods-a' });
  actions.push({ action: 'add-pods', count: nodes * 10 });
  return { version: 2, name: 'big', vpc_cidr: '10.0.0.0/16', actions };
}

test('a big scenario is replayed a chunk at a time, with its progress, its autosave survives the reload, and another CNI replays it in chunks too', async () => {
  const context = await env.browser.newContext();
  // Records every progress text the page shows, however briefly.
  await context.addInitScript(() => {
    window.__progress = [];
    new MutationObserver(() => {
      const p = document.querySelector('.loading');
      if (p && window.__progress.at(-1) !== p.textContent) window.__progress.push(p.textContent);
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  const scenario = bigScenario(3000);
  const total = scenario.actions.length;
  const { page, problems } = await openApp(env.browser, env.server.origin, { context, query: link(scenario) });
  const clock = page.locator('.timeline__clock');
  await clock.filter({ hasText: `step ${total} of ${total}` }).waitFor({ timeout: 60_000 });
  await page.getByRole('status').filter({ hasText: 'Opened the shared scenario' }).waitFor();
  const seen = await page.evaluate(() => window.__progress);
  assert.ok(seen.length >= 1, 'the progress was shown');
  assert.match(seen[0], new RegExp(`^Replaying the shared scenario: 0 of ${total} commands$`));
  assert.equal(await page.locator('.loading').count(), 0, 'and is gone once loaded');
  // The trace picker searches all 3,000 nodes, not the first 200 of them
  // (none has joined: this VPC has no way out, so its pods are Pending).
  const from = page.getByRole('region', { name: 'Follow the packets' }).getByRole('combobox', { name: 'From', exact: true });
  await from.fill('ip-100-64-');
  const more = await page.getByRole('listbox', { name: 'From' }).getByText(/more: type to narrow$/).textContent();
  assert.equal(more, '2992 more: type to narrow');
  await from.fill('ip-100-64-11-');
  await page.getByRole('listbox', { name: 'From' }).getByRole('option', { name: /^ip-100-64-11-\d+ node 100\.64\.11\.\d+, m5\.large$/ }).first().waitFor();
  await from.fill('');
  // As if an exercise were in progress on it (a big scenario ends an open
  // one, so a learner gets here by running 400 commands in it).
  const fourCnis = JSON.parse(readFileSync(new URL('../../crates/model/exercises/four-cnis.json', import.meta.url)));
  await page.evaluate((exercise) => localStorage.setItem('podnet.exercise.open.v1', JSON.stringify({ exercise, met: [false, false, false, false] })), fourCnis);
  // The autosave is the big scenario, not the starting one shown meanwhile,
  // and the exercise resumes on it once it is replayed.
  await page.reload();
  await clock.filter({ hasText: `step ${total} of ${total}` }).waitFor({ timeout: 60_000 });
  assert.match((await page.evaluate(() => window.__progress)).join('\n'), /Replaying your saved scenario/);
  const exercise = page.getByRole('region', { name: 'Exercise' });
  await exercise.getByRole('heading', { name: 'Exercise: One cluster under four CNIs' }).waitFor();
  // Another CNI replays it too (nodes choose their CNI at boot): in chunks
  // as well, the exercise still open.
  await page.evaluate(() => { window.__progress = []; });
  await page.getByRole('group', { name: 'CNI' }).getByLabel('Strategy').selectOption('calico');
  await page.getByRole('status').filter({ hasText: /^Loaded the scenario under Calico/ }).waitFor({ timeout: 60_000 });
  const switching = await page.evaluate(() => window.__progress);
  assert.match(switching[0] ?? '(no progress shown)', new RegExp(`^Replaying the scenario under Calico: 0 of ${total} commands$`));
  await clock.filter({ hasText: `step ${total} of ${total}` }).waitFor();
  assert.equal(await exercise.getByRole('heading', { name: 'Exercise: One cluster under four CNIs' }).count(), 1);
  assert.deepEqual(problems(), []);
  await context.close();
});
