// Headless Chromium (Debian's), driven by playwright-core, for the SSO
// sign-in scripts (sso_browser.mjs, sso_authorize.mjs). runInChromium
// opens a fresh profile, hands steps the page and has(selector), and
// exits 0 when steps finish and the pages caused no Content Security
// Policy violation; else it prints why (and the console's errors) and
// exits 1.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export async function runInChromium(steps) {
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
    await steps(page, has);
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
}
