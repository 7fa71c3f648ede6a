// End-to-end: the page as a learning tool (issue 18): acting on the map
// itself, the addresses an action moved, simulated time that plays, skip
// links and one Tab stop per node, the introduction remembering it was
// closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { deflateRawSync } from 'node:zlib';
import { useServerAndBrowser, openApp, screenshot, waitForNodes } from './harness.mjs';

const env = useServerAndBrowser();

const seed = JSON.parse(await readFile(new URL('../../crates/model/scenarios/seed.json', import.meta.url), 'utf8'));
const link = (scenario) => `#s=1.${deflateRawSync(Buffer.from(JSON.stringify(scenario)), { level: 9 }).toString('base64url')}`;

test('a node is added from its subnet card and pods from their node card; the addresses they took are marked', async () => {
  const { page, context, problems } = await openApp(env.browser, env.server.origin);
  await waitForNodes(page, 2);
  // The seed's last action (Add pods) is marked: its six pods' addresses.
  assert.equal(await page.locator('.node-card .slot.is-moved.is-taken').count(), 6);
  const nodesB = page.locator('.subnet-card', { hasText: 'nodes-b' });
  await nodesB.getByRole('button', { name: 'Add node in nodes-b', exact: true }).click();
  await waitForNodes(page, 3);
  await page.getByRole('region', { name: 'Events' }).getByText(/add an m5\.large node in nodes-b/).first().waitFor();
  // The new node's ENI came with warm addresses: those are the marked ones now.
  assert.equal(await page.locator('.node-card .slot.is-moved.is-taken').count(), 0);
  assert.ok(await page.locator('.node-card .slot.is-moved.is-warmed').count() >= 9);

  const node = page.getByRole('region', { name: 'Node ip-10-10-2-24' });
  await node.getByRole('button', { name: 'Add 5 pods on ip-10-10-2-24', exact: true }).click();
  await node.getByText('Last action: 5 taken by pods').waitFor();
  assert.equal(await node.locator('.slot.is-moved.is-taken').count(), 5);
  assert.equal(await page.locator('.node-card .slot.is-moved.is-taken').count(), 5, 'only the pods of this action');
  // The address grid marks them too, and says so for each address.
  await nodesB.getByRole('button', { name: 'Inspect subnet nodes-b' }).click();
  const grid = page.getByRole('region', { name: 'Inspector' }).locator('.ip-grid__cell.is-moved.is-taken');
  assert.equal(await grid.count(), 5);
  await grid.first().hover();
  await page.locator('.ip-grid__live').filter({ hasText: /\(the last action: taken by a pod\)$/ }).waitFor();
  await page.locator('.map-legend').getByText('moved by the last action').waitFor();
  await screenshot(page, 'learning-moved');

  // Delete node, from the card.
  await node.getByRole('button', { name: 'Delete node ip-10-10-2-24', exact: true }).click();
  await waitForNodes(page, 2);
  assert.deepEqual(problems(), []);
  await context.close();
});

test('pods first, then nodes: Pending pods start on the node added from the map', async () => {
  const bare = { ...seed, actions: seed.actions.filter((a) => a.action !== 'add-node') };
  const { page, context, problems } = await openApp(env.browser, env.server.origin, { query: link(bare) });
  await page.getByRole('region', { name: 'Pending pods' }).waitFor();
  assert.match(await page.getByRole('region', { name: 'Pending pods' }).textContent(), /8 Pending pods/);
  // The tray's pods are one Tab stop; the arrow keys move between them.
  const tray = page.getByRole('region', { name: 'Pending pods' });
  assert.equal(await tray.locator('[data-rove][tabindex="0"]').count(), 1);
  await tray.locator('[data-rove][tabindex="0"]').focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('tabindex')), '0');
  assert.equal(await tray.locator('[data-rove][tabindex="0"]').count(), 1);
  await page.getByRole('button', { name: 'Add node in nodes-a', exact: true }).click();
  await waitForNodes(page, 1);
  await page.getByRole('region', { name: 'Pending pods' }).waitFor({ state: 'detached' });
  assert.equal(await page.locator('.pod-chip.is-running').count(), 8);
  assert.equal(await page.locator('.node-card .slot.is-moved.is-taken').count(), 8, 'the pods the new node took in');
  assert.deepEqual(problems(), []);
  await context.close();
});

test('Play time runs ipamd: the warm pool shrinks to its target, and grows as cooldowns end', async () => {
  const scenario = {
    ...seed,
    actions: [
      ...seed.actions,
      { action: 'set-cni', cni: { cni: 'aws-vpc-cni', warm_ip_target: 2, minimum_ip_target: 2 } },
      { action: 'delete-pod', pod: 'app-9' },
    ],
  };
  const { page, context, problems } = await openApp(env.browser, env.server.origin, { query: link(scenario) });
  await waitForNodes(page, 2);
  const count = (sel) => page.locator(`.node-card ${sel}`).count();
  assert.equal(await count('.slot.is-cooling'), 1, 'app-9\'s address cools down');
  const warm = await count('.slot.is-warm');
  assert.ok(warm > 10, `the warm pool before: ${warm}`);
  const play = page.getByRole('button', { name: 'Play time' });
  await play.click();
  await page.getByRole('button', { name: 'Pause time' }).waitFor();
  // ipamd's next pass gives back what WARM_IP_TARGET=2 does not need…
  await page.getByRole('region', { name: 'Events' }).getByText(/released \d+ warm secondary IPs/).first().waitFor();
  await page.waitForFunction((before) => document.querySelectorAll('.node-card .slot.is-warm').length < before, warm);
  // … and 30 s later the cooled address is usable again.
  await page.waitForFunction(() => document.querySelectorAll('.node-card .slot.is-cooling').length === 0);
  await page.getByRole('button', { name: 'Pause time' }).click();
  await page.getByText(/^paused after \+\d+ s$/).waitFor();
  assert.ok(await count('.slot.is-warm') <= 4, 'two warm per node');
  await screenshot(page, 'learning-play');
  assert.deepEqual(problems(), []);
  await context.close();

  // With the defaults (WARM_ENI_TARGET=1), the cooled address joins the warm pool: it grows.
  const grows = { ...seed, actions: [...seed.actions, { action: 'delete-pod', pod: 'app-9' }] };
  const second = await openApp(env.browser, env.server.origin, { query: link(grows) });
  await waitForNodes(second.page, 2);
  const warmBefore = await second.page.locator('.node-card .slot.is-warm').count();
  assert.equal(await second.page.locator('.node-card .slot.is-cooling').count(), 1);
  await second.page.getByRole('button', { name: 'Play time' }).click();
  await second.page.waitForFunction(() => document.querySelectorAll('.node-card .slot.is-cooling').length === 0);
  await second.page.getByRole('button', { name: 'Pause time' }).click();
  assert.equal(await second.page.locator('.node-card .slot.is-warm').count(), warmBefore + 1);
  assert.deepEqual(second.problems(), []);
  await second.context.close();
});

test('the keyboard: skip links reach Add node in a few Tabs, a node card is one Tab stop with arrow keys inside', async () => {
  const { page, context, problems } = await openApp(env.browser, env.server.origin);
  await waitForNodes(page, 2);
  await page.locator('body').focus();
  const focused = () => page.evaluate(() => document.activeElement?.getAttribute('aria-label') || document.activeElement?.textContent?.trim());
  let tabs = 0;
  for (; tabs < 3; tabs++) await page.keyboard.press('Tab');
  assert.equal(await focused(), 'Skip to Add node');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.closest('#add-node') !== null), true);
  for (; tabs < 10; tabs++) {
    if (await focused() === 'Add node') break;
    await page.keyboard.press('Tab');
  }
  assert.equal(await focused(), 'Add node', `Add node within 10 Tabs (took ${tabs})`);

  // A node's ENIs and pods: one Tab stop, the arrow keys move inside.
  const node = page.getByRole('region', { name: 'Node ip-10-10-1-4' });
  assert.equal(await node.locator('[data-rove][tabindex="0"]').count(), 1);
  await node.locator('[data-rove][tabindex="0"]').focus();
  const first = await focused();
  await page.keyboard.press('ArrowRight');
  assert.notEqual(await focused(), first);
  await page.keyboard.press('End');
  assert.match(await focused(), /coredns|app-/);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.closest('[aria-label="Node ip-10-10-1-4"]')), null, 'Tab leaves the node');
  assert.deepEqual(problems(), []);
  await context.close();
});

test('the introduction stays closed once closed', async () => {
  const { page, context, problems } = await openApp(env.browser, env.server.origin);
  const intro = page.getByRole('region', { name: 'Introduction' });
  const summary = intro.locator('summary', { hasText: 'What am I looking at?' });
  assert.notEqual(await intro.locator('details').first().getAttribute('open'), null, 'open on a first visit');
  await summary.click();
  await page.waitForFunction(() => localStorage.getItem('podnet.intro-closed') === '1');
  await page.reload();
  await page.getByRole('region', { name: 'Introduction' }).waitFor();
  assert.equal(await page.getByRole('region', { name: 'Introduction' }).locator('details').first().getAttribute('open'), null);
  assert.deepEqual(problems(), []);
  await context.close();
});

test('on a phone the tapped pod\'s details open next to the tap, and Add node is on the map beside it', async () => {
  const { page, context, problems } = await openApp(env.browser, env.server.origin, { viewport: { width: 390, height: 844 } });
  await waitForNodes(page, 2);
  const chip = page.locator('.pod-chip', { hasText: 'app-9' });
  await chip.scrollIntoViewIfNeeded();
  await chip.click();
  const inspector = page.getByRole('region', { name: 'Inspector' });
  await inspector.getByText(/app-9/).first().waitFor();
  const sheet = await inspector.boundingBox();
  assert.ok(sheet.y >= 0 && sheet.y < 844 && sheet.y + 40 < 844, `the details are on screen: ${JSON.stringify(sheet)}`);
  const tap = await chip.boundingBox();
  const addNode = await page.getByRole('button', { name: 'Add node in nodes-a', exact: true }).boundingBox();
  assert.ok(Math.abs(addNode.y - tap.y) < 844, `Add node within a screen of the tap: ${addNode.y} vs ${tap.y}`);
  await screenshot(page, 'learning-phone-sheet');
  await inspector.getByRole('button', { name: 'Close details' }).click();
  assert.equal(await page.locator('.inspector.is-sheet').count(), 0);
  assert.deepEqual(problems(), []);
  await context.close();
});

test('on a phone, pods first and then a node: each form says what its command did, where the learner pressed it', async () => {
  const { page, context, problems } = await openApp(env.browser, env.server.origin, { viewport: { width: 390, height: 844 } });
  await waitForNodes(page, 2);
  const podsForm = page.locator('#add-pods');
  await podsForm.getByLabel('Number of pods').fill('60');
  await podsForm.getByRole('button', { name: 'Add pods', exact: true }).click();
  const said = podsForm.getByRole('status');
  await said.getByText('After “add 60 pods”: 46 Running, 14 Pending (0/2 nodes are available: 2 Too many pods. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.)', { exact: true }).waitFor();
  const line = await said.boundingBox();
  assert.ok(line.y > 0 && line.y + line.height < 844, `the line is on screen beside the button: ${JSON.stringify(line)}`);
  const nodeForm = page.locator('#add-node');
  await nodeForm.getByLabel('Node subnet').selectOption('nodes-a');
  await nodeForm.getByRole('button', { name: 'Add node', exact: true }).click();
  await nodeForm.getByRole('status').getByText(/^After “add an m5\.large node in nodes-a”: node-3 ip-10-10-1-\d+ is Ready; 14 of your pods on it: 14 Running$/).waitFor();
  assert.equal(await said.textContent(), '', 'the pods form says nothing about another form\'s step');
  await screenshot(page, 'learning-phone-outcome');
  assert.deepEqual(problems(), []);
  await context.close();
});

test('the planner\'s refusal offers the ways forward, and each one plans', async () => {
  const { page, context, problems } = await openApp(env.browser, env.server.origin);
  const planner = page.getByRole('region', { name: 'Plan the addresses' });
  await planner.getByRole('button', { name: 'Open the planner' }).click();
  const inputs = planner.getByRole('form', { name: 'Planner inputs' });
  await inputs.getByLabel('Pods per node', { exact: true }).fill('30');
  await inputs.getByRole('button', { name: 'Plan', exact: true }).click();
  const refusal = planner.getByRole('alert');
  await refusal.getByText(/m5\.large takes at most 29 pods per node/).waitFor();
  await refusal.getByRole('button', { name: /^Use m5\.xlarge \(the ENI formula allows 58 pods per node\)$/ }).waitFor();
  await refusal.getByRole('button', { name: /^Turn on prefix delegation/ }).click();
  await planner.getByRole('table', { name: /Planned subnets/ }).waitFor();
  assert.ok(await inputs.getByLabel(/Prefix delegation/).isChecked());
  await inputs.getByRole('button', { name: 'Plan', exact: true }).click();
  assert.deepEqual(problems(), []);
  await context.close();
});

// Every built-in exercise, embedded in a 720-px-high iframe on a course page
// (1,024 px wide): the goals, and beside them every control the exercise
// lets the learner use, all on the first screen, without scrolling.
const exercises = (await readFile(new URL('../../crates/model/src/exercise/mod.rs', import.meta.url), 'utf8'))
  .match(/exercises\/([a-z0-9-]+)\.json/g).map((m) => m.slice('exercises/'.length, -'.json'.length));

test('in a 720 px embed every control of the open exercise is on the first screen', async () => {
  assert.ok(exercises.length >= 15, `found ${exercises.length} exercises`);
  const context = await env.browser.newContext({ viewport: { width: 1024, height: 720 } });
  for (const id of exercises) {
    const { page, problems } = await openApp(env.browser, env.server.origin, { context, query: `?embed=1&exercise=${id}` });
    const bench = page.getByRole('group', { name: 'The exercise and what it lets you change' });
    await bench.getByRole('region', { name: 'Exercise' }).waitFor();
    let seen = 0;
    for (const role of ['button', 'textbox', 'combobox', 'checkbox', 'spinbutton']) {
      for (const control of await bench.getByRole(role).all()) {
        if ((await control.getAttribute('aria-disabled')) === 'true' || !(await control.isVisible())) continue;
        const box = await control.boundingBox();
        const name = (await control.getAttribute('aria-label')) ?? (await control.evaluate((el) => el.labels?.[0]?.textContent ?? el.textContent));
        assert.ok(box.y >= 0 && box.y + box.height <= 720, `${id}: ${role} "${name.trim().slice(0, 60)}" ends at ${Math.round(box.y + box.height)} px`);
        seen += 1;
      }
    }
    // The controls of what the exercise uses are there (Add node, Apply policy, …).
    assert.ok(seen >= 5, `${id}: only ${seen} controls`);
    if (id === 'private-endpoint-join') await screenshot(page, 'embed-720-private-endpoint-join');
    if (id === 'policy-ignored-on-flannel') await screenshot(page, 'embed-720-policy-ignored-on-flannel');
    assert.deepEqual(problems(), [], id);
    await page.close();
  }
  await context.close();
});

test('after EC2 refuses for want of addresses ipamd backs off 2 minutes: the stuck pod says so, and its Wait brings it up', async () => {
  const { page, context, problems } = await openApp(env.browser, env.server.origin);
  await page.getByRole('combobox', { name: 'Open an example' }).selectOption('subnet-exhaustion');
  await page.getByRole('status').filter({ hasText: 'Loaded the example subnet-exhaustion' }).waitFor();
  const events = page.getByRole('region', { name: 'Events' });
  await events.getByText(/ipamd: Unable to attach IPs\/Prefixes for the ENI, subnet doesn't seem to have enough IPs\/Prefixes/).first().waitFor();
  const stuck = page.locator('.pod-chip.is-creating');
  await stuck.first().click();
  const inspector = page.getByRole('region', { name: 'Inspector' });
  await inspector.getByText(/waits 2 minutes after EC2's refusal before it asks again/).waitFor();
  // A subnet with room, tagged for the CNI: the addresses are there, but
  // ipamd still waits, and the inspector says so with the seconds.
  await page.getByLabel('Subnet CIDR').fill('10.20.2.0/24');
  await page.getByLabel('Availability Zone').fill('us-east-1a');
  await page.getByLabel('Subnet name (optional)').fill('pods-a');
  await page.getByLabel(/Tag kubernetes\.io\/role\/cni=1/).check();
  await page.getByLabel('Subnet route 0.0.0.0/0 to').selectOption('nat-gateway');
  await page.getByRole('button', { name: 'Add subnet', exact: true }).click();
  await page.locator('.subnet-card', { hasText: 'pods-a' }).first().waitFor();
  await stuck.first().click();
  await inspector.getByText(/EC2 refused its last request for want of addresses .* its next try is in \d+ s/).waitFor();
  await inspector.getByRole('button', { name: /^Wait \d+ s$/ }).click();
  await page.waitForFunction(() => document.querySelectorAll('.pod-chip.is-creating').length === 0);
  await events.getByText(/attached eni-\d+ at device index \d+ in subnet-5/).first().waitFor();
  assert.deepEqual(problems(), []);
  await context.close();
});
