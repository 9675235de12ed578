#!/usr/bin/env node
// `certpress serve` in a real browser: an open tab follows edits by itself.
//
//   node tests/browser/serve.mjs <serve-url> <site-folder>
//
// <serve-url> is the URL `certpress serve` printed, serving <site-folder> (a throwaway copy:
// this script edits one of its records and puts it back). With one tab on the Rainbow
// Stacking Rings product page it
//   1. renames the product in its YAML record and waits for the tab to reload and show the
//      new name;
//   2. breaks the record and waits for the error overlay, naming the file and a
//      line:column, to appear over the last good page;
//   3. restores the record and waits for the overlay to go.
// The script never reloads or navigates the tab after opening it: before each edit it sets
// a marker on `window`, and a step passes only once the marker is gone, i.e. the page
// really was loaded again (by serve's injected script), not patched or left as it was.
// Prints `ok <step>` per step; on failure `FAIL <step>: reason` with what the tab showed,
// exit 1 (2 on a usage or setup error). tests/browser.rs runs it from `cargo test`.

import { promises as fsp } from "node:fs";
import path from "node:path";
import { launchChromium } from "./run.mjs";

const RECORD = "content/products/toys/rainbow-stacker.yaml";
const PRODUCT = "products/rainbow-stacker/";
// A rebuild of the example site takes ~3 s in debug; 60 s leaves room for a slow machine.
const WAIT_MS = 60_000;

class StepFailure extends Error {}

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** What the tab shows now. Throws while the tab is between two documents. */
function look(page) {
  return page.evaluate(() => {
    const overlay = document.getElementById("certpress-overlay");
    return {
      url: location.href,
      marker: window.__certpressTestMarker,
      h1: document.querySelector("h1")?.innerText.trim() ?? null,
      overlay: overlay ? overlay.innerText : null,
    };
  });
}

/** Polls the tab until `done(state)` holds; fails after WAIT_MS with the last state seen. */
async function waitFor(page, what, done) {
  const deadline = Date.now() + WAIT_MS;
  let last = "nothing yet";
  for (;;) {
    try {
      const state = await look(page);
      if (done(state)) return state;
      last = JSON.stringify(state);
    } catch (e) {
      // The tab is reloading: its old document is gone, the new one not ready yet.
      last = `(between documents: ${e.message.split("\n")[0]})`;
    }
    if (Date.now() > deadline) throw new StepFailure(`${what} did not happen within ${WAIT_MS / 1000} s; the tab last showed ${last}`);
    await sleep(150);
  }
}

/** Marks the current document, so that its replacement by a reload can be seen. */
const mark = (page) => page.evaluate(() => (window.__certpressTestMarker = 1));

async function main(argv) {
  const [base, siteDir] = argv;
  if (!base || !siteDir) {
    console.error("usage: node serve.mjs <serve-url> <site-folder>");
    return 2;
  }
  const file = path.join(siteDir, RECORD);
  const original = await fsp.readFile(file, "utf8");
  const nameLine = /^name: *(.+)$/m.exec(original);
  if (!nameLine) {
    console.error(`error: no \`name:\` line in ${file}`);
    return 2;
  }
  const oldName = nameLine[1].trim();
  // Unique per run, so an h1 showing it cannot come from a cached or earlier page.
  const newName = `Rainbow Rings Renamed ${Date.now()}`;
  const renamed = original.replace(nameLine[0], `name: ${newName}`);
  const broken = renamed.replace(/^model: .*$/m, "model: [unclosed");
  if (broken === renamed) {
    console.error(`error: no \`model:\` line in ${file}`);
    return 2;
  }

  const browser = await launchChromium();
  let step = "open the product page";
  const started = Date.now();
  const ok = (what) => console.log(`ok ${what} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  try {
    const page = await (await browser.newContext()).newPage();
    page.setDefaultTimeout(15_000);

    const response = await page.goto(new URL(PRODUCT, base).href, { waitUntil: "load" });
    if (!response?.ok()) throw new StepFailure(`status ${response?.status()}`);
    const first = await look(page);
    if (!first.h1?.includes(oldName)) throw new StepFailure(`h1 ${JSON.stringify(first.h1)} does not name ${JSON.stringify(oldName)}`);
    if (first.overlay !== null) throw new StepFailure(`the overlay shows on a good build: ${first.overlay}`);
    ok(`${step}: h1 "${first.h1}"`);

    step = "rename the product: the tab reloads by itself";
    await mark(page);
    await fsp.writeFile(file, renamed);
    let now = await waitFor(page, "a reload showing the new name", (s) => s.marker === undefined && s.h1?.includes(newName));
    if (now.overlay !== null) throw new StepFailure(`the overlay shows: ${now.overlay}`);
    ok(`${step}: h1 "${now.h1}"`);

    step = "break the record: the overlay appears by itself";
    await mark(page);
    await fsp.writeFile(file, broken);
    now = await waitFor(page, "a reload showing the overlay", (s) => s.marker === undefined && s.overlay !== null);
    if (!now.overlay.includes("certpress: the site did not build")) throw new StepFailure(`overlay without its heading: ${now.overlay}`);
    if (!now.overlay.includes(RECORD)) throw new StepFailure(`overlay does not name ${RECORD}: ${now.overlay}`);
    const at = new RegExp(`${RECORD.replace(/[.]/g, "\\.")}:(\\d+):(\\d+)`).exec(now.overlay);
    if (!at) throw new StepFailure(`overlay gives no line:column in ${RECORD}: ${now.overlay}`);
    // Under the overlay: the last page that built, not an error page.
    if (!now.h1?.includes(newName)) throw new StepFailure(`under the overlay h1 is ${JSON.stringify(now.h1)}, not the last good page`);
    ok(`${step}: ${RECORD}:${at[1]}:${at[2]}`);

    step = "fix the record: the overlay goes by itself";
    await mark(page);
    await fsp.writeFile(file, renamed);
    now = await waitFor(page, "a reload without the overlay", (s) => s.marker === undefined && s.overlay === null && s.h1?.includes(newName));
    ok(`${step}: h1 "${now.h1}"`);

    if (new URL(now.url).pathname !== `/${PRODUCT}`) throw new StepFailure(`the tab ended on ${now.url}`);
    console.log(`serve: 4 steps passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  } catch (e) {
    const message = e instanceof StepFailure ? e.message : String(e?.stack ?? e).split("\n").slice(0, 4).join("\n  ");
    console.log(`FAIL ${step}: ${message}`);
    return 1;
  } finally {
    await browser.close().catch(() => {});
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(`error: ${e?.stack ?? e}`);
    process.exit(2);
  },
);
