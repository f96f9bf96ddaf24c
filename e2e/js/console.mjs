// Drives Brevet's web console (/console/) in headless Chromium (Debian's),
// as a person would, for e2e/console_test.go. One scenario per run:
//   node console.mjs SCENARIO '{"base":..., "account":..., "username":...,
//     "password":..., "code":..., "shots":DIR, "extra":{...}}'
// Scenarios: walkthrough, readonly, escapes, csrf, tour. Each signs in
// through the sign-in pages (/console/ -> /sso/signin -> back), does its
// part, and prints one line "RESULT {json}" with what the Go test checks.
// A JavaScript dialog (alert) or a Content Security Policy violation on
// any page fails the run; with "shots" set, the pages' screenshots are
// saved there as NAME.png (1280x800).
import { join } from 'node:path';
import { runInChromium } from './chromium.mjs';

const [scenario, rawArgs] = process.argv.slice(2);
const args = JSON.parse(rawArgs);
const extra = args.extra ?? {};

// Console is the browser on the console: where it is and what it can do.
class Console {
  constructor(page, has) {
    this.page = page;
    this.has = has;
    this.status = 0; // the status of the last page loaded
  }

  // go opens a console path and returns its status.
  async go(path) {
    const resp = await this.page.goto(args.base + path);
    this.status = resp ? resp.status() : 0;
    await this.page.waitForLoadState('load');
    return this.status;
  }

  // press clicks what loc finds and waits for the page it leads to;
  // returns its status.
  async press(loc) {
    const [resp] = await Promise.all([this.page.waitForNavigation(), loc.first().click()]);
    this.status = resp ? resp.status() : 0;
    await this.page.waitForLoadState('load');
    return this.status;
  }

  // submit presses the submit button of the form that has the control sel.
  async submit(sel) {
    const form = this.page.locator(`form:has(${sel})`).first();
    return this.press(form.locator('[type=submit], button:not([type])'));
  }

  // postTo submits the form whose action ends in suffix (a POST op like
  // /create-key), pressing its first submit button.
  async postTo(suffix) {
    const form = this.page.locator(`form[action$="${suffix}"]`).first();
    if ((await form.count()) === 0) throw new Error(`no form posts to ...${suffix} on ${this.page.url()}:\n${await this.text()}`);
    return this.press(form.locator('[type=submit], button:not([type])'));
  }

  // text is the page's visible text.
  async text() {
    return (await this.page.locator('body').innerText()).replace(/[ \t]+/g, ' ');
  }

  // expectOK fails unless the last page loaded with 2xx.
  async expectOK(what) {
    if (this.status < 200 || this.status > 299) {
      throw new Error(`${what}: ${this.status} at ${this.page.url()}:\n${(await this.text()).slice(0, 1500)}`);
    }
  }

  // shot saves a screenshot of the page as NAME.png when asked to.
  async shot(name) {
    if (!args.shots) return;
    await this.page.screenshot({ path: join(args.shots, name + '.png'), fullPage: false });
  }

  // signIn opens the console, which sends the browser to the sign-in pages
  // and back: password, then the MFA code when the user has a device.
  async signIn() {
    await this.go('/console/');
    for (let step = 0; step < 6; step++) {
      const u = new URL(this.page.url());
      if (u.pathname.startsWith('/console/') && !(await this.has('input[name=password]'))) {
        await this.expectOK('the console after sign-in');
        return;
      }
      if (await this.has('input[name=password]')) {
        if (await this.has('input[name=account]')) await this.page.fill('input[name=account]', args.account);
        await this.page.fill('input[name=username]', args.username);
        await this.page.fill('input[name=password]', args.password);
        await this.submit('input[name=password]');
      } else if (await this.has('input[name=code]')) {
        await this.page.fill('input[name=code]', args.code);
        await this.submit('input[name=code]');
      } else {
        throw new Error(`signing in: nothing to do on ${this.page.url()} (${this.status}):\n${await this.text()}`);
      }
    }
    throw new Error('signing in took more than 6 pages');
  }
}

const scenarios = {
  // csrf: forms posted without the token (or with a wrong one) are
  // refused; the session cookie's flags.
  async csrf(c) {
    await c.go('/console/users/new');
    const post = async (headers) => c.page.evaluate(async ([user, headers]) => {
      const r = await fetch('/console/users/new', {
        method: 'POST', credentials: 'same-origin', redirect: 'manual', headers,
        body: new URLSearchParams({ UserName: user }),
      });
      return r.status;
    }, [extra.user, headers]);
    const fetchStatus = await post({});
    const wrongTokenStatus = await post({ 'X-CSRF-Token': 'not-the-token' });
    const cookies = await c.page.context().cookies();
    const s = cookies.find((k) => k.name === '__Host-brevet_console');
    if (!s) throw new Error('no __Host-brevet_console cookie: ' + cookies.map((k) => k.name).join(', '));
    const flags = [s.httpOnly && 'HttpOnly', s.secure && 'Secure', s.sameSite].filter(Boolean).join(' ');
    return { fetchStatus: String(fetchStatus), wrongTokenStatus: String(wrongTokenStatus), cookie: flags, sessionCookie: s.value };
  },
};

await runInChromium(async (page, has) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  const dialogs = [];
  page.on('dialog', async (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    await d.dismiss();
  });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  const c = new Console(page, has);
  await c.signIn();
  const result = await scenarios[scenario](c);
  if (dialogs.length > 0) throw new Error('a page opened a dialog (script ran):\n' + dialogs.join('\n'));
  if (pageErrors.length > 0) throw new Error('a page script failed:\n' + pageErrors.join('\n'));
  console.log('RESULT ' + JSON.stringify(result ?? {}));
});
