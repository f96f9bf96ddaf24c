// The page's script (bundled for the browser by identitypool_bundle.mjs):
// the app flow of identitypool_app.mjs, for identitypool_browser.mjs to
// call in the page.
import { appFlow } from "./identitypool_app.mjs";

window.appFlow = appFlow;
document.body.dataset.ready = "yes";
