// Answers Brevet's OAuth authorization page in headless Chromium (Debian's)
// as a person does when the AWS CLI 2.22+ opens it for `aws sso login`:
// for each URL in turn, opens it, signs in with an IAM user's password and
// TOTP code when the browser is not signed in yet, presses ACTION (allow
// or deny), and waits for the browser to land on the CLI's loopback
// address (http://127.0.0.1:PORT/...). Chrome checks the consent form's
// CSP form-action against that redirect; any Content Security Policy
// violation is a failure. Run by e2e/sso_authcode_test.go:
//   node sso_authorize.mjs ACCOUNT USERNAME PASSWORD CODE URL ACTION [URL ACTION ...]
import { runInChromium } from './chromium.mjs';

const [account, username, password, code, ...requests] = process.argv.slice(2);
await runInChromium(async (page, has) => {
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
});
