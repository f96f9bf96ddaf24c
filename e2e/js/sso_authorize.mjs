// Answers Brevet's OAuth authorization page in headless Chromium (Debian's)
// as a person does when the AWS CLI 2.22+ opens it for `aws sso login`:
// for each URL in turn, opens it, signs in with an IAM user's password and
// TOTP code when the browser is not signed in yet, presses ACTION (allow
// or deny), and waits for the browser to land on the CLI's loopback
// address (http://127.0.0.1:PORT/...). Chrome checks the consent form's
// CSP form-action against that redirect; any Content Security Policy
// violation is a failure. Run by e2e/sso_authcode_test.go:
//   node sso_authorize.mjs ACCOUNT USERNAME PASSWORD CODE URL ACTION [URL ACTION ...]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [account, username, password, code, ...requests] = process.argv.slice(2);
const profile = mkdtempSync(join(tmpdir(), 'brevet-e2e-chromium-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  ignoreHTTPSErrors: true, // the test CA is not in Chromium's store
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const problems = [];
let status = 1;
try {
  const page = ctx.pages()[0] ?? await ctx.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  const has = async (sel) => (await page.locator(sel).count()) > 0;
  const press = async (sel) => {
    await Promise.all([page.waitForNavigation(), page.locator(sel).first().click()]);
  };
  const loopback = (u) => u.protocol === 'http:' && u.hostname === '127.0.0.1';
  for (let i = 0; i + 1 < requests.length; i += 2) {
    const [url, action] = [requests[i], requests[i + 1]];
    await page.goto(url);
    let done = false;
    for (let step = 0; step < 6 && !done; step++) {
      await page.waitForLoadState('load');
      if (await has('input[name=password]')) {
        await page.fill('input[name=account]', account);
        await page.fill('input[name=username]', username);
        await page.fill('input[name=password]', password);
        await press('form:has(input[name=password]) [type=submit]');
      } else if (await has('input[name=code]')) {
        await page.fill('input[name=code]', code);
        await press('form:has(input[name=code]) [type=submit]');
      } else if (await has(`[name=action][value=${action}]`)) {
        await page.locator(`[name=action][value=${action}]`).first().click();
        await page.waitForURL(loopback, { timeout: 15000 });
        console.log(`${action}: landed on the loopback address`);
        done = true;
      } else {
        throw new Error(`nothing to do on ${page.url()}:\n${(await page.content()).slice(0, 2000)}`);
      }
    }
    if (!done) throw new Error(`request ${i / 2 + 1}: the sign-in took more than 6 pages`);
  }
  const csp = problems.filter((p) => /Content Security Policy|Refused to/.test(p));
  if (csp.length > 0) throw new Error('Content Security Policy violations:\n' + csp.join('\n'));
  status = 0;
} catch (e) {
  console.error(e.stack || String(e));
  if (problems.length > 0) console.error('console errors:\n' + problems.join('\n'));
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(status);
