// Starts the GOV.UK and MoJ Frontend components. Loaded as a module, so it runs after the page is parsed.
import { initAll as govukInitAll } from "../vendor/govuk/govuk-frontend.min.js";
import { initAll as mojInitAll } from "../vendor/moj/moj-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
govukInitAll();
mojInitAll();
