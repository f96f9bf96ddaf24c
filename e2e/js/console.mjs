// Drives Brevet's web console (/console/) in headless Chromium (Debian's),
// as a person would, for e2e/console_test.go. One scenario per run:
//   node console.mjs SCENARIO '{"base":..., "account":..., "username":...,
//     "password":..., "code":..., "shots":DIR, "extra":{...}}'
// Scenarios: signin, walkthrough, readonly, escapes, csrf, tour. Each signs in
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

  // shot saves a screenshot of the page as NAME.png when asked to: from
  // the top, or with the element at (a locator) at the top.
  async shot(name, at) {
    if (!args.shots) return;
    await this.page.evaluate(() => document.activeElement?.blur());
    if (at) await at.first().evaluate((e) => e.scrollIntoView({ block: 'start' }));
    else await this.page.evaluate(() => window.scrollTo(0, 0));
    await this.page.screenshot({ path: join(args.shots, name + '.png') });
  }

  // accessible fails when unlabelled finds anything.
  async accessible(what) {
    const bad = await this.unlabelled();
    if (bad.length) throw new Error(`${what}: controls or tables without labels or headers: ${bad.join(', ')}`);
  }

  // unlabelled lists the page's form controls that have no label (for
  // screen readers) and tables whose column headers have no scope.
  async unlabelled() {
    return this.page.evaluate(() => {
      const bad = [];
      for (const e of document.querySelectorAll('input, select, textarea')) {
        if (e.type === 'hidden' || e.type === 'submit' || e.type === 'button' || e.hidden) continue;
        const labelled = (e.id && document.querySelector(`label[for="${CSS.escape(e.id)}"]`)) || e.closest('label') ||
          e.getAttribute('aria-label') || e.getAttribute('aria-labelledby');
        if (!labelled) bad.push(`<${e.tagName.toLowerCase()} name=${e.name || '?'} id=${e.id || '?'}>`);
      }
      for (const th of document.querySelectorAll('thead th')) {
        if (!th.getAttribute('scope')) bad.push(`<th>${th.textContent.trim()}</th> without scope`);
      }
      for (const b of document.querySelectorAll('button')) {
        if (!b.textContent.trim() && !b.getAttribute('aria-label')) bad.push('a <button> without text');
      }
      return bad;
    });
  }

  // redact replaces secrets in the page's text (before a screenshot for
  // the documentation).
  async redact(map) {
    await this.page.evaluate((map) => {
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        for (const [from, to] of Object.entries(map)) if (from && n.nodeValue.includes(from)) n.nodeValue = n.nodeValue.split(from).join(to);
      }
    }, map);
  }

  // shotRedacted saves a screenshot with secrets replaced.
  async shotRedacted(name, map) {
    if (!args.shots) return;
    await this.redact(map);
    await this.shot(name);
  }

  // validated waits for the policy editor in form to check the document
  // (/console/api/policy/validate) and fails if it found errors.
  async validated(form) {
    const box = this.page.locator(`${form} .policy-result`).first();
    await box.locator('.policy-ok, .policy-warn, .policy-errors').first().waitFor({ timeout: 10000 });
    if (await box.locator('.policy-errors').count()) throw new Error('the policy editor shows errors:\n' + await box.innerText());
  }

  // generate adds a statement with the policy editor's visual generator:
  // the effect, a service and one of its actions, and the resource ARN
  // built from the ARN format of the resource type arnOf names (its
  // placeholders filled from ph).
  async generate({ effect, service, action, arnOf, ph }) {
    const p = this.page;
    const gen = p.locator('details.policy-generator').first();
    await gen.locator('summary').click();
    await gen.locator('[data-gen=effect]').selectOption(effect);
    await gen.locator(`[data-gen=service] option[value="${service}"]`).waitFor({ state: 'attached', timeout: 10000 });
    await gen.locator('[data-gen=service]').selectOption(service);
    const box = gen.locator(`input[type=checkbox][value="${action}"]`);
    await box.waitFor({ timeout: 10000 });
    await box.check();
    const rows = gen.locator('.gen-arn');
    const n = await rows.count();
    let used = false;
    for (let i = 0; i < n; i++) {
      const row = rows.nth(i);
      const arn = await row.getAttribute('data-arn');
      const use = arn.includes(arnOf) && !used;
      await row.locator('[data-use]').setChecked(use);
      if (!use) continue;
      used = true;
      for (const input of await row.locator('[data-ph]').all()) {
        const key = (await input.getAttribute('data-ph')).slice(2, -1);
        if (!(key in ph)) throw new Error(`the ARN format ${arn} has a placeholder ${key} the test does not fill`);
        await input.fill(ph[key]);
      }
    }
    if (!used) throw new Error(`the generator offers no resource type whose ARN has ${arnOf} for ${action}`);
    await this.accessible('the policy generator');
    await this.shot('policy-generator', gen.locator('[data-gen=filter]'));
    await gen.locator('[data-gen=add]').click();
    await p.waitForFunction(() => /added/.test(document.querySelector('[data-gen=status]')?.textContent ?? ''), null, { timeout: 5000 });
  }

  // simulate runs the policy simulator for user: may it call
  // iam:ListUsers and s3:GetObject?
  async simulate(user) {
    const p = this.page;
    const fillIf = async (sel, v) => {
      const l = p.locator(sel);
      if (await l.count()) await l.first().fill(v);
    };
    await fillIf('[name=PolicySourceArn]', `arn:aws:iam::${args.account}:user/${user}`);
    await p.fill('[name=ActionNames]', 'iam:ListUsers\ns3:GetObject');
    await fillIf('[name=ResourceArns]', '*');
    await this.submit('[name=ActionNames]');
    await this.expectOK('running the simulator');
  }

  // signIn opens the console, which sends the browser to the sign-in pages
  // and back: password, then the MFA code when the user has a device.
  async signIn() {
    await this.go('/console/');
    if (new URL(this.page.url()).pathname !== '/sso/signin') throw new Error(`/console/ led to ${this.page.url()}, not the sign-in page`);
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
  // signin: signing in is enough; the dashboard's text.
  async signin(c) {
    return { text: await c.text() };
  },

  // walkthrough: the issue's walkthrough, as the admin user.
  async walkthrough(c) {
    const p = c.page;
    const { user, userArn, role, roleArn } = extra;

    // A user with programmatic access: the key is shown once.
    await c.go('/console/users');
    await c.press(p.locator('main a[href="/console/users/new"]'));
    await c.expectOK('the create-user form');
    await p.fill('[name=UserName]', user);
    await p.check('[name=CreateAccessKey]');
    await c.accessible('the create-user form');
    await c.shot('users-new');
    await c.submit('[name=UserName]');
    await c.expectOK('creating the user');
    const accessKeyId = (await p.locator('#access-key-id').innerText()).trim();
    const secretAccessKey = (await p.locator('#secret-access-key').innerText()).trim();
    const file = await p.locator('#credentials-file').innerText();
    if (!file.includes(accessKeyId) || !file.includes(secretAccessKey)) throw new Error('the credentials file shown is not the key:\n' + file);
    await c.shotRedacted('users-created', { [secretAccessKey]: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' });
    await c.go(`/console/users/${user}?tab=credentials`);
    await c.expectOK("the new user's credentials");
    const later = await c.text();
    if (!later.includes(accessKeyId) || later.includes(secretAccessKey)) throw new Error('the credentials tab does not list the key, or shows its secret again');

    // A role for another AWS account (this one), with the wizard.
    await c.go('/console/roles');
    await c.press(p.locator('main a[href="/console/roles/new"]'));
    await c.expectOK('the role wizard');
    await p.check('[name=TrustType][value=account]');
    await p.fill('[name=AccountId]', args.account);
    await p.fill('[name=RoleName]', role);
    await p.fill('[name=Description]', 'Assumed by console-dev from the CLI');
    await c.accessible('the role wizard');
    await c.shot('roles-new');
    await c.submit('[name=RoleName]');
    await c.expectOK('reviewing the role');
    await c.shot('roles-review');
    await c.press(p.locator('button[name=step][value=create]'));
    await c.expectOK('creating the role');

    // Its trust relationship names the user.
    await c.go(`/console/roles/${role}`);
    await c.press(p.locator(`main a[href$="/roles/${role}?tab=trust"]`));
    await c.expectOK('the trust relationships tab');
    const trustBox = p.locator(`form[action$="/${role}/trust"] textarea[name=PolicyDocument]`);
    const trust = JSON.parse(await trustBox.inputValue());
    for (const st of [].concat(trust.Statement)) st.Principal = { AWS: userArn };
    await trustBox.fill(JSON.stringify(trust, null, 2));
    await c.validated(`form[action$="/${role}/trust"]`);
    await c.accessible('the trust editor');
    await c.shot('roles-trust', p.locator(`form[action$="/${role}/trust"]`));
    await c.postTo(`/${role}/trust`);
    await c.expectOK('updating the trust policy');

    // An inline policy for the user, made with the visual generator.
    await c.go(`/console/users/${user}?tab=permissions`);
    await c.press(p.locator(`main a[href$="/users/${user}/inline-policy/new"]`));
    await c.expectOK('the inline policy editor');
    await p.fill('[name=PolicyName]', 'assume-console-role');
    await p.fill('textarea[name=PolicyDocument]', ''); // the generator writes the document
    await c.generate({ effect: 'Allow', service: 'sts', action: 'sts:AssumeRole', arnOf: ':role/', ph: { Partition: 'aws', Account: args.account, RoleNameWithPath: role } });
    const doc = await p.locator('textarea[name=PolicyDocument]').inputValue();
    if (!doc.includes(roleArn) || !doc.includes('sts:AssumeRole')) throw new Error('the generator wrote:\n' + doc);
    await c.validated('form:has([name=PolicyName])');
    await c.shot('policy-generated', p.locator('textarea[name=PolicyDocument]'));
    await c.submit('[name=PolicyName]');
    await c.expectOK('saving the inline policy');
    return { accessKeyId, secretAccessKey };
  },

  // readonly: a user allowed only to read sees the create button and,
  // pressing it, the AccessDenied page.
  async readonly(c) {
    const p = c.page;
    await c.expectOK('the dashboard as a reader');
    if ((await p.locator('header', { hasText: 'MFA' }).count()) === 0) throw new Error('signed in with MFA, the header shows no MFA badge');
    for (const [list, create] of [['/console/roles', '/console/roles/new'], ['/console/policies', '/console/policies/new'], ['/console/groups', '/console/groups/new']]) {
      await c.go(list);
      await c.expectOK(`${list} as a reader`);
      if ((await p.locator(`main a[href="${create}"]`).count()) === 0) throw new Error(`${list} hides its link to ${create} from a reader`);
    }
    await c.go('/console/users');
    await c.expectOK('the users list as a reader');
    const create = p.locator('a[href="/console/users/new"]');
    if ((await create.count()) === 0) throw new Error('the users list has no link to /console/users/new for a reader:\n' + await c.text());
    await c.press(create);
    await c.expectOK('the create-user form as a reader');
    await p.fill('[name=UserName]', extra.user);
    const status = await c.submit('[name=UserName]');
    await c.shot('access-denied');
    return { status: String(status), text: await c.text() };
  },

  // escapes: HTML in a user's name (which IAM refuses: the form shows it
  // again), a refused tag value (IAM's message, like AWS's, does not quote
  // it: nothing of it may become markup), a role's description, a
  // policy's description and Sid render as text.
  async escapes(c) {
    const bad = [];
    const shows = async (where, want) => {
      const text = await c.text() + '\n' + (await c.page.locator('textarea, input[type=text]').evaluateAll((ts) => ts.map((t) => t.value).join('\n')));
      if (want !== null && !text.includes(want)) bad.push(`${where} does not show ${JSON.stringify(want)} as text:\n${text.slice(0, 1500)}`);
      const made = await c.page.evaluate(() => [...document.querySelectorAll('img[src="x"], script:not([src]), b')]
        .filter((e) => e.tagName !== 'B' || e.textContent === 'bold').map((e) => e.outerHTML));
      if (made.length > 0) bad.push(`${where}: markup from the data became elements: ${made.join(' ')}`);
    };
    await c.go('/console/users/new');
    await c.page.fill('[name=UserName]', extra.userName);
    const named = await c.submit('[name=UserName]');
    if (named !== 400) bad.push(`creating the user ${extra.userName}: status ${named}, want IAM's 400 ValidationError`);
    await shows('the refused user name', extra.userName);
    await c.go(`/console/users/${encodeURIComponent(extra.user)}?tab=tags`);
    await c.expectOK('the tags tab');
    const form = c.page.locator('form[action$="/tag"]');
    await form.locator('[name=Key]').fill('note');
    await form.locator('[name=Value]').fill(extra.tagValue);
    const status = await c.postTo('/tag');
    if (status !== 400) bad.push(`tagging with ${extra.tagValue}: status ${status}, want IAM's 400 ValidationError`);
    await shows('the refused tag', null);
    const pages = [
      [`/console/roles/${encodeURIComponent(extra.role)}`, extra.roleDesc],
      ['/console/roles', extra.roleDesc],
      [`/console/policies/view?arn=${encodeURIComponent(extra.policyArn)}`, extra.policyDesc],
      [`/console/policies/view?arn=${encodeURIComponent(extra.policyArn)}`, extra.policyText],
    ];
    for (const [path, want] of pages) {
      if (await c.go(path) !== 200) {
        bad.push(`${path}: ${c.status}`);
        continue;
      }
      await shows(path, want);
    }
    if (bad.length) throw new Error(bad.join('\n\n'));
    return { checked: String(pages.length + 2) };
  },

  // tour: every area's pages, with screenshots.
  async tour(c) {
    const p = c.page;
    const { user, accessKeyId } = extra;
    const bad = [];
    const visit = async (name, path, then, at) => {
      try {
        if (path === null) path = await then.path(); // a link another page shows
        await c.go(path);
        await c.expectOK(name);
        if (typeof then === 'function') await then();
        const unlabelled = await c.unlabelled();
        if (unlabelled.length) throw new Error('controls or tables without labels or headers: ' + unlabelled.join(', '));
        if (!name.startsWith('-')) await c.shot(name, at);
      } catch (e) {
        bad.push(`${name} (${path}): ${e.message}`);
      }
    };
    await visit('dashboard', '/console/');
    await visit('users', '/console/users');
    await visit('users-detail', `/console/users/${user}`);
    await visit('users-credentials', `/console/users/${user}?tab=credentials`, null, p.locator('main h2', { hasText: 'Access keys' }));
    await visit('users-mfa', `/console/users/${user}?tab=credentials`, async () => {
      const form = p.locator('form[action$="/create-mfa"]');
      if (await form.locator('[name=VirtualMFADeviceName]').count()) await form.locator('[name=VirtualMFADeviceName]').fill(user + '-phone');
      await c.postTo('/create-mfa');
      await c.expectOK('creating a virtual MFA device');
      if ((await p.locator('img[src^="data:image/png"]').count()) === 0) throw new Error('no QR code image on the page');
      await c.redact({ [await p.locator('#seed').innerText().catch(() => 'no seed')]: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' });
    });
    await visit('groups', '/console/groups');
    await visit('roles', '/console/roles');
    await visit('policies', '/console/policies');
    await visit('policy-editor', '/console/policies/new', async () => {
      await p.fill('[name=PolicyName]', 'reports-read');
      const ta = p.locator('textarea[name=PolicyDocument]');
      await ta.fill('{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Effect": "Allow",\n      "Action": "s3:GetObject",\n      "Resource": "arn:aws:s3:::example-bucket/*",\n      "Condition": {"StringEquals": {"aws:PrincipalTag/team": "platform"}},\n      "Principal": "*"\n    }\n  ]\n}\n');
      await p.locator('.policy-result .policy-errors li').first().waitFor({ timeout: 10000 });
    }, p.locator('[name=Description]'));
    await visit('idps', '/console/idps');
    await visit('sessions', '/console/sessions');
    await visit('audit', '/console/audit');
    await visit('audit-credential', `/console/audit/credential?key=${accessKeyId}`, async () => {
      const text = await c.text();
      for (const want of [accessKeyId, 'AssumeRole', 'GetCallerIdentity']) {
        if (!text.includes(want)) throw new Error(`following ${accessKeyId}, the page does not show ${want}:\n${text}`);
      }
    });
    await visit('simulator', '/console/simulator', async () => {
      await c.simulate(user);
      const results = p.locator('#sim-results-h');
      if ((await results.count()) === 0) throw new Error('the simulator shows no results:\n' + await c.text());
      const text = await c.text();
      for (const want of ['iam:ListUsers', 'allowed', 's3:GetObject', 'implicitDeny']) {
        if (!text.includes(want)) throw new Error(`the simulator's results do not say ${want}:\n${text}`);
      }
    }, p.locator('#sim-results-h'));
    // The other pages of the URL map, without screenshots.
    const arn = encodeURIComponent;
    for (const tab of ['permissions', 'groups', 'tags']) await visit('-user-' + tab, `/console/users/${user}?tab=${tab}`);
    for (const tab of ['permissions', 'tags']) await visit('-role-' + tab, `/console/roles/${extra.role}?tab=${tab}`);
    await visit('-groups-new', '/console/groups/new');
    await visit('-policies-aws', '/console/policies?scope=AWS');
    await visit('-policy-aws', `/console/policies/view?arn=${arn('arn:aws:iam::aws:policy/ReadOnlyAccess')}`);
    await visit('-idps-new-oidc', '/console/idps/new?type=oidc');
    await visit('-idps-new-saml', '/console/idps/new?type=saml');
    await visit('-idps-view', `/console/idps/view?arn=${arn(`arn:aws:iam::${args.account}:oidc-provider/token.actions.githubusercontent.com`)}`);
    await visit('-audit-event', null, { path: async () => {
      await c.go('/console/audit');
      const href = await p.locator('main a[href*="/console/audit/event?id="]').first().getAttribute('href');
      if (!href) throw new Error('the audit trail links to no event');
      return href;
    } });
    if (bad.length) throw new Error(bad.join('\n\n'));
    return { pages: 'all' };
  },

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
    // Signing out ends the session: the cookie is gone, and a page sends
    // the browser to sign in again.
    await c.postTo('/console/signout');
    const after = (await c.page.context().cookies()).some((k) => k.name === '__Host-brevet_console');
    await c.go('/console/users');
    const signedOut = !after && new URL(c.page.url()).pathname === '/sso/signin';
    return {
      signedOut: String(signedOut), fetchStatus: String(fetchStatus), wrongTokenStatus: String(wrongTokenStatus), cookie: flags, sessionCookie: s.value };
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
