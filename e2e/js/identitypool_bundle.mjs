// Bundles identitypool_page.mjs with the AWS SDK for JavaScript v3 for a
// browser, from node_modules (offline), with esbuild:
// node identitypool_bundle.mjs OUTFILE. @aws-sdk/credential-providers
// names its browser entry in package.json's "browser" map by a path
// without ".js", which esbuild does not match (webpack does): the alias
// picks that entry, as a browser build of the package must.
import { build } from "esbuild";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const providers = dirname(createRequire(import.meta.url).resolve("@aws-sdk/credential-providers/package.json"));

await build({
  entryPoints: [join(here, "identitypool_page.mjs")],
  alias: { "@aws-sdk/credential-providers": join(providers, "dist-es/index.browser.js") },
  outfile: process.argv[2], bundle: true, platform: "browser", format: "esm", target: "es2022",
  logLevel: "warning",
});
