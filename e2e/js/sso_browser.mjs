// Completes Brevet's device sign-in in headless Chromium (Debian's), as a
// person would: opens the verification URL, signs in with an IAM user's
// password and TOTP code, or through the identity provider IDP (its link
// on the sign-in page, a cross-site round trip, the callback's meta
// refresh), and presses Allow. Any Content Security Policy violation the
// pages cause is a failure. Run by e2e/sso_cli_test.go:
//   node sso_browser.mjs URL ACCOUNT USERNAME PASSWORD CODE [IDP]
import { runInChromium } from './chromium.mjs';

const [url, account, username, password, code, idp] = process.argv.slice(2);
await runInChromium(async (page, has) => {
  await page.goto(url);
  const submit = async (form) => {
    await Promise.all([page.waitForNavigation(), page.locator(`${form} [type=submit]`).first().click()]);
  };
  let done = false;
  for (let step = 0; step < 8 && !done; step++) {
    await page.waitForLoadState('load');
    if (await has('meta[http-equiv=refresh i]')) {
      const before = page.url();
      await page.waitForURL((u) => u.href !== before);
    } else if (idp && await has(`a[href*="/sso/idp/${idp}/start"]`)) {
      await Promise.all([page.waitForNavigation(), page.locator(`a[href*="/sso/idp/${idp}/start"]`).first().click()]);
    } else if (await has('input[name=password]')) {
      if (await has('input[name=account]')) await page.fill('input[name=account]', account);
      await page.fill('input[name=username]', username);
      await page.fill('input[name=password]', password);
      await submit('form:has(input[name=password])');
    } else if (await has('input[name=code]')) {
      await page.fill('input[name=code]', code);
      await submit('form:has(input[name=code])');
    } else if (await has('[name=action][value=allow]')) {
      await Promise.all([page.waitForNavigation(), page.locator('[name=action][value=allow]').first().click()]);
      await page.waitForLoadState('load');
      console.log('approved: ' + (await page.locator('body').innerText()).slice(0, 300).replace(/\s+/g, ' '));
      done = true;
    } else {
      throw new Error(`nothing to do on ${page.url()}:\n${(await page.content()).slice(0, 2000)}`);
    }
  }
  if (!done) throw new Error('the sign-in took more than 8 pages');
});
