// The identity pool's app flow (identitypool_app.mjs) in a page in
// headless Chromium: opens E2E_PAGE (served by e2e/identitypool_test.go,
// which loads the bundle), runs the flow there with E2E_CONFIG and prints
// RESULT {what it saw}.
import { runInChromium } from "./chromium.mjs";

const cfg = JSON.parse(process.env.E2E_CONFIG);
await runInChromium(async (page) => {
  page.on("pageerror", (e) => console.error("page error: " + e.message));
  await page.goto(process.env.E2E_PAGE);
  await page.waitForSelector("body[data-ready=yes]", { state: "attached", timeout: 30000 });
  const result = await page.evaluate((c) => window.appFlow(c), cfg);
  console.log("RESULT " + JSON.stringify(result));
});
