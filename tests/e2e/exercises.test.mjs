// Every built-in exercise is solvable by clicks: each test opens
// ?exercise=ID and performs the exercise's reference solution through the
// page's controls, as a learner would, then waits for the success view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { useServerAndBrowser, openApp, screenshot } from './harness.mjs';

const DIR = new URL('../../crates/model/exercises/', import.meta.url).pathname;

const env = useServerAndBrowser();

/** The CNI settings of `cni` entered in the CNI form, then applied. */
async function setCni(page, cni) {
  const form = page.getByRole('group', { name: 'CNI' });
  // The picker's values are the scenario's `cni` tags.
  const strategy = cni.cni;
  const current = await form.getByLabel('Strategy').inputValue();
  if (current !== strategy) {
    await form.getByLabel('Strategy').selectOption(strategy);
    // The page says so, or says the exercise is complete when that was the last step.
    await page.getByRole('status').filter({ hasText: /Loaded the scenario under|Exercise complete/ }).first().waitFor();
  }
  const settings = Object.keys(cni).filter((k) => k !== 'cni');
  if (settings.length === 0) return;
  const check = async (label, on) => (on ? form.getByLabel(label).check() : form.getByLabel(label).uncheck());
  for (const key of settings) {
    const value = cni[key];
    switch (key) {
      case 'prefix_delegation': await check('Prefix delegation (ENABLE_PREFIX_DELEGATION)', value); break;
      case 'custom_networking': await check('Custom networking (AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG)', value); break;
      case 'eni_configs':
        for (const [az, subnet] of Object.entries(value)) await form.getByLabel(`ENIConfig for ${az}`).selectOption(subnet);
        break;
      case 'warm_eni_target': await form.getByLabel('WARM_ENI_TARGET', { exact: true }).fill(String(value)); break;
      case 'warm_ip_target': await form.getByLabel('WARM_IP_TARGET (0 = unset)').fill(String(value)); break;
      case 'minimum_ip_target': await form.getByLabel('MINIMUM_IP_TARGET (0 = unset)').fill(String(value)); break;
      case 'encapsulation': await form.getByLabel('Encapsulation').selectOption(value); break;
      case 'subnet_manager': await form.getByLabel('Subnet manager').selectOption(value); break;
      case 'enable_network_policy': await check('Network policy (enableNetworkPolicy: the network policy agent)', value); break;
      case 'network_policy_enforcing_mode': await form.getByLabel('NETWORK_POLICY_ENFORCING_MODE').selectOption(value); break;
      case 'pool':
        await form.getByLabel(cni.cni === 'calico' ? 'IPPool cidr' : 'Cluster pool (clusterPoolIPv4PodCIDRList)').fill(value);
        break;
      default: throw new Error(`no control for the CNI setting ${key}`);
    }
  }
  await form.getByRole('button', { name: 'Apply CNI settings' }).click();
}

/** Performs one solution command through the page. */
async function perform(page, a) {
  const events = page.getByRole('region', { name: 'Events' });
  switch (a.action) {
    case 'add-vpc-cidr': {
      const summary = page.locator('summary', { hasText: 'VPC block' });
      await summary.click();
      await page.getByLabel('Secondary VPC block').fill(a.cidr);
      await page.getByRole('button', { name: 'Add VPC block', exact: true }).click();
      await events.getByText(`associated ${a.cidr} with the VPC`).waitFor();
      break;
    }
    case 'add-subnet':
      await page.getByLabel('Subnet CIDR').fill(a.cidr);
      await page.getByLabel('Availability Zone').fill(a.az);
      await page.getByLabel('Subnet name (optional)').fill(a.name ?? '');
      if (a.cni_tag) await page.getByLabel(/Tag kubernetes\.io\/role\/cni=1/).check();
      await page.getByLabel('Subnet route 0.0.0.0/0 to').selectOption(a.route ?? 'local');
      await page.getByRole('button', { name: 'Add subnet', exact: true }).click();
      await page.locator('.subnet-card', { hasText: a.name ?? a.cidr }).first().waitFor();
      break;
    case 'add-node': {
      const before = await page.locator('.node-card').count();
      await page.getByLabel('Instance type').fill(a.instance_type);
      await page.getByLabel('Node subnet').selectOption(a.subnet);
      await page.getByLabel('Max pods (set by hand, optional)').fill(a.max_pods ? String(a.max_pods) : '');
      await page.getByRole('button', { name: 'Add node', exact: true }).click();
      await page.waitForFunction((n) => document.querySelectorAll('.node-card').length > n, before);
      break;
    }
    case 'add-pods':
      await page.getByLabel('Number of pods').fill(String(a.count));
      await page.getByRole('button', { name: 'Add pods', exact: true }).click();
      await events.getByText(/Successfully assigned|FailedScheduling/).last().waitFor();
      break;
    case 'delete-node': {
      const before = await page.locator('.node-card').count();
      await page.getByRole('region', { name: `Node ${a.node}` }).locator('.node-card__head').click();
      await page.getByRole('complementary').getByRole('button', { name: 'Delete', exact: true }).click();
      await page.waitForFunction((n) => document.querySelectorAll('.node-card').length < n, before);
      break;
    }
    case 'advance-time':
      for (let s = 0; s < a.seconds; s += 30) await page.getByRole('button', { name: 'Wait 30 s', exact: true }).click();
      break;
    case 'set-vpc-dns':
      if (a.dns_hostnames) await page.getByLabel('VPC DNS hostnames (enableDnsHostnames)').check();
      else await page.getByLabel('VPC DNS hostnames (enableDnsHostnames)').uncheck();
      break;
    case 'upgrade-control-plane':
      await page.getByRole('button', { name: 'Upgrade control plane', exact: true }).click();
      await events.getByText(`upgraded from`).last().waitFor();
      break;
    case 'set-cni':
      await setCni(page, a.cni);
      break;
    case 'update-cluster-subnets':
      await page.getByLabel('Cluster subnets (comma-separated)').fill(a.subnets.join(', '));
      await page.getByRole('button', { name: 'Change cluster subnets', exact: true }).click();
      await events.getByText('the cluster subnets are now').last().waitFor();
      break;
    case 'set-public-access-cidrs':
      await page.getByLabel('Public access CIDRs').fill(a.cidrs.join(', '));
      await page.getByRole('button', { name: 'Set public access CIDRs', exact: true }).click();
      await events.getByText('public access CIDRs:').last().waitFor();
      break;
    case 'add-vpc-endpoint':
      await openNetwork(page);
      await page.getByLabel(`VPC endpoint ${a.service}`, { exact: true }).check();
      await events.getByText(`.${a.service} (`).last().waitFor();
      break;
    case 'set-route':
      await openNetwork(page);
      await page.getByLabel(/^Route subnet/).selectOption(a.subnet);
      await page.getByLabel(/^Route 0\.0\.0\.0\/0 to/).selectOption(a.to);
      await page.getByRole('button', { name: 'Set route', exact: true }).click();
      await events.getByText(`${a.subnet}: 0.0.0.0/0 →`).last().waitFor();
      break;
    case 'apply-network-policy': {
      // JSON is YAML: the object goes into the policy box as it is.
      const policy = page.getByRole('region', { name: 'Network policy' });
      await policy.getByLabel('Policy YAML').fill(JSON.stringify(a.policy, null, 2));
      await policy.getByRole('button', { name: 'Apply policy', exact: true }).click();
      await events.getByText(new RegExp(`networkpolicy\\.networking\\.k8s\\.io/${a.policy.metadata.name} (created|configured)`)).last().waitFor();
      break;
    }
    case 'delete-network-policy':
      await page.getByRole('button', { name: `Delete NetworkPolicy ${a.namespace ?? 'default'}/${a.name}`, exact: true }).click();
      await events.getByText(`networkpolicy.networking.k8s.io "${a.name}" deleted`).last().waitFor();
      break;
    default:
      throw new Error(`no control for ${a.action}`);
  }
}

async function openNetwork(page) {
  const details = page.locator('details', { has: page.locator('summary', { hasText: 'Network: ways out of the VPC' }) });
  if (!(await details.evaluate((d) => d.open))) await details.locator('summary').click();
}

const files = (await readdir(DIR)).filter((f) => f.endsWith('.json')).sort();
for (const file of files) {
  const exercise = JSON.parse(await readFile(DIR + file, 'utf8'));
  test(`exercise ${exercise.id} is solved by clicks on the page`, async () => {
    const { page, context, problems } = await openApp(env.browser, env.server.origin, { query: `?exercise=${exercise.id}` });
    const panel = page.getByRole('region', { name: 'Exercise' });
    await panel.getByText(exercise.title).first().waitFor();
    for (const action of exercise.solution) await perform(page, action);
    await panel.getByRole('status').filter({ hasText: 'Exercise complete' }).waitFor({ timeout: 15000 });
    await screenshot(page, `exercise-${exercise.id}`);
    assert.deepEqual(problems(), []);
    await context.close();
  });
}
