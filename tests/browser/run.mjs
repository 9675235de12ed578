#!/usr/bin/env node
// Real-browser checks of a built certpress site.
//
//   node tests/browser/run.mjs <built-site-folder> [name-filter ...]
//
// Serves the folder on 127.0.0.1 (ephemeral port), launches the system Chromium once
// (env CHROMIUM, default /usr/bin/chromium) through playwright-core, and runs every check
// in CHECKS below, or only those whose name contains one of the filters. Prints
// `ok <name>` or `FAIL <name>: reason` per check (details indented under a failure), then
// `browser: N passed, N failed`, and exits 1 if any check failed (2 on a usage or setup
// error). tests/browser.rs runs it from `cargo test`.
//
// To add a check, append `{ name, run }` to CHECKS: `run(ctx)` is async and throws (or
// calls ctx.fail) to fail. See "The checks" below; the helpers are on `ctx`.

import { createServer } from "node:http";
import { createReadStream, existsSync, promises as fsp, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);
const AXE_PATH = require.resolve("axe-core/axe.min.js");

// ---------------------------------------------------------------------------------------
// The checks. Each is { name, run: async (ctx) => void }; throw to fail.
// ---------------------------------------------------------------------------------------

const HOME = "/";
const PRODUCT = "/products/rainbow-stacker/";
const GUIDANCE = "/guidance/us/childrens-product-certificate/";
const CPC = "/certificates/LO-RAINBOW-STACKER-US-CPC/";
const DOC = "/certificates/LO-RAINBOW-STACKER-EU-DOC/";
// The labelled elements each certificate page must show (16 CFR 1110.11; Annex III).
const CPC_ELEMENTS = ["product", "rules", "certifier", "records-custodian", "manufacture", "testing", "labs"];
const DOC_ELEMENTS = ["number", "manufacturer", "responsibility", "object", "legislation", "standards", "notified-body", "signature"];
const PHONE = { width: 390, height: 844 };
const LOT = "/products/rainbow-stacker/lots/2026-03A/";
// Rainbow Stacking Rings: GTIN 09521234000112, typed as its GTIN-13 (no leading zero).
const GTIN13 = "9521234000112";
const CERT_NUMBER = "LO-RAINBOW-STACKER-US-CPC";

export const CHECKS = [
  { name: "home page loads cleanly", run: (ctx) => loadsCleanly(ctx, HOME) },
  { name: "product page loads cleanly", run: (ctx) => loadsCleanly(ctx, PRODUCT) },
  { name: "guidance page loads cleanly", run: (ctx) => loadsCleanly(ctx, GUIDANCE) },

  { name: "axe: home page", run: (ctx) => noSeriousAxeViolations(ctx, HOME) },
  { name: "axe: product page", run: (ctx) => noSeriousAxeViolations(ctx, PRODUCT) },
  { name: "axe: guidance page", run: (ctx) => noSeriousAxeViolations(ctx, GUIDANCE) },
  { name: "certificate page loads cleanly", run: (ctx) => loadsCleanly(ctx, CPC) },
  { name: "axe: certificate page", run: (ctx) => noSeriousAxeViolations(ctx, CPC) },
  { name: "axe: EU declaration page", run: (ctx) => noSeriousAxeViolations(ctx, DOC) },
  { name: "certificate page shows all its elements", run: (ctx) => showsElements(ctx, CPC, CPC_ELEMENTS) },
  { name: "EU declaration shows all its items", run: (ctx) => showsElements(ctx, DOC, DOC_ELEMENTS) },
  { name: "390px: certificate page has no horizontal scroll", run: (ctx) => noHorizontalScroll(ctx, CPC, PHONE) },

  { name: "390px: home page has no horizontal scroll", run: (ctx) => noHorizontalScroll(ctx, HOME, PHONE) },
  { name: "390px: product page has no horizontal scroll", run: (ctx) => noHorizontalScroll(ctx, PRODUCT, PHONE) },
  { name: "print A4: certificate page", run: (ctx) => printsCleanly(ctx, CPC, "A4") },
  { name: "print Letter: certificate page", run: (ctx) => printsCleanly(ctx, CPC, "Letter") },
  { name: "print A4: EU declaration page", run: (ctx) => printsCleanly(ctx, DOC, "A4") },
  { name: "print Letter: EU declaration page", run: (ctx) => printsCleanly(ctx, DOC, "Letter") },
  { name: "lot page loads cleanly", run: (ctx) => loadsCleanly(ctx, LOT) },
  { name: "axe: lot page", run: (ctx) => noSeriousAxeViolations(ctx, LOT) },
  { name: "390px: lot page has no horizontal scroll", run: (ctx) => noHorizontalScroll(ctx, LOT, PHONE) },
  {
    // Every page that names a product: the home list, each product page and its lots'
    // pages, each certificate page.
    name: "390px: product names do not break mid-word",
    run: async (ctx) => {
      const names = productNames(ctx.siteDir);
      const { page } = await ctx.open(null, { viewport: PHONE });
      const problems = [];
      for (const rel of await namePages(ctx.siteDir)) {
        await ctx.goto(page, rel);
        problems.push(...(await namesBroken(page, names)));
      }
      if (problems.length) ctx.fail(`${problems.length} word(s) of product names broken`, problems.slice(0, 30));
    },
  },
  {
    name: "390px: every compliance table shows its status column without scrolling",
    run: async (ctx) => {
      const pages = (await namePages(ctx.siteDir)).filter((p) => p.startsWith("/products/"));
      const { page } = await ctx.open(null, { viewport: PHONE });
      const problems = [];
      for (const rel of pages) {
        await ctx.goto(page, rel);
        problems.push(...(await statusOutOfView(page)));
      }
      if (problems.length) ctx.fail(`${problems.length} status cell(s) out of view`, problems.slice(0, 30));
    },
  },
  {
    name: "lookup finds a product by GTIN-13 as you type",
    run: (ctx) => looksUp(ctx, GTIN13, `a.lookup-name[href="/products/rainbow-stacker/"]`),
  },
  {
    // Bath Time Boats: GTIN 00614141001026, typed in its 13-digit form with a leading zero.
    name: "lookup finds a product by GTIN in a shorter form with leading zeros",
    run: (ctx) => looksUp(ctx, "0614141001026", `a.lookup-name[href="/products/bath-boats/"]`),
  },
  {
    name: "lookup finds a certificate by its number",
    run: (ctx) => looksUp(ctx, CERT_NUMBER.toLowerCase(), `.lookup-matches a[href="/certificates/${CERT_NUMBER}/"]`, CERT_NUMBER),
  },
  {
    name: "lookup finds a lot by its code",
    run: (ctx) => looksUp(ctx, "2026-03A", `.lookup-matches a[href="${LOT}"]`),
  },
  {
    name: "lookup: Enter (as a barcode scanner sends) opens the product",
    run: async (ctx) => {
      const { page, problems } = await ctx.open(HOME);
      await page.locator("#lookup-q").fill("0" + GTIN13);
      await Promise.all([page.waitForURL("**/products/rainbow-stacker/"), page.locator("#lookup-q").press("Enter")]);
      if (problems.length) ctx.fail(`${problems.length} problem(s)`, problems);
    },
  },
  {
    name: "axe: home page showing lookup results",
    run: async (ctx) => {
      const { page } = await ctx.open(HOME);
      await page.locator("#lookup-q").fill("oak");
      await page.locator(".lookup-result").first().waitFor();
      await axeOn(ctx, page);
    },
  },
  {
    name: "without JavaScript the home page lists every product",
    run: async (ctx) => {
      const { page } = await ctx.open(HOME, { javaScriptEnabled: false });
      if (await page.locator("form.lookup").isVisible()) ctx.fail("the lookup form shows without JavaScript");
      const rows = await page.locator("table.products tbody tr").count();
      const products = readdirSync(path.join(ctx.siteDir, "products")).length;
      if (rows !== products) ctx.fail(`${rows} rows for ${products} products`);
    },
  },
  {
    name: "a GS1 Digital Link URI opens the lot page",
    run: async (ctx) => {
      // The path is a stub (`[build] digital_link = "stub"`, the default) that names the lot
      // page as canonical and sends the browser there at once; a copy is the page itself.
      const { page, problems } = await ctx.open(null);
      const response = await page.goto(ctx.url("/01/09521234000112/10/2026-03A"), { waitUntil: "commit" });
      if (!response?.ok()) ctx.fail(`status ${response?.status()}`);
      await page.waitForURL((u) => u.pathname.endsWith(LOT), { waitUntil: "load" });
      const canonical = await page.locator("link[rel=canonical]").getAttribute("href");
      if (!canonical.endsWith(LOT)) ctx.fail(`canonical ${canonical}`);
      if (!(await page.locator("h1").innerText()).includes("2026-03A")) ctx.fail("not the lot page");
      if (problems.length) ctx.fail(`${problems.length} problem(s)`, problems);
    },
  },

  {
    name: "missing path returns 404 with the site's 404 page",
    async run(ctx) {
      const file = path.join(ctx.siteDir, "404.html");
      if (!existsSync(file)) ctx.fail("the site has no 404.html");
      const expected = titleOf(readFileSync(file, "utf8"));
      const { page, response } = await ctx.open("/no-such-page/really/");
      if (!response) ctx.fail("no response");
      if (response.status() !== 404) ctx.fail(`status ${response.status()}, expected 404`);
      const type = response.headers()["content-type"] ?? "";
      if (!type.startsWith("text/html")) ctx.fail(`content-type ${type}, expected text/html`);
      const title = await page.title();
      if (!expected || title !== expected) ctx.fail(`title ${JSON.stringify(title)}, expected 404.html's ${JSON.stringify(expected)}`);
    },
  },

  {
    // Visits every HTML page of the site (and counts every request the checks above
    // made): all must go to 127.0.0.1. Keep it last so it sees the others' requests.
    name: "no request leaves 127.0.0.1",
    async run(ctx) {
      const queue = await htmlPages(ctx.siteDir);
      const context = await ctx.newContext();
      // A GS1 Digital Link stub sends the browser on at once: it is followed to the page
      // it names (whose requests count too) instead of being read as a page of its own.
      const stubs = new Set();
      for (const rel of queue) {
        const file = path.join(ctx.siteDir, rel.endsWith("/") ? rel + "index.html" : rel);
        if ((await fsp.readFile(file, "utf8")).includes('http-equiv="refresh"')) stubs.add(rel);
      }
      // Two pages side by side: about a quarter faster than one.
      const worker = async () => {
        const { page } = await ctx.newPage(context);
        for (let rel; (rel = queue.shift()) !== undefined; ) {
          if (!stubs.has(rel)) {
            await ctx.goto(page, rel);
            continue;
          }
          const from = ctx.url(rel);
          await page.goto(from, { waitUntil: "commit" });
          await page.waitForURL((u) => u.href !== from, { waitUntil: "load" });
        }
      };
      await Promise.all([worker(), worker()]);
      const outside = [...new Set(ctx.requests.filter((u) => !isLocal(u)))];
      if (outside.length) ctx.fail(`${outside.length} request(s) to other hosts`, outside);
    },
  },
];

// ---------------------------------------------------------------------------------------
// Check bodies shared by several checks.
// ---------------------------------------------------------------------------------------

/** Loads `urlPath` (lazy images too): 2xx, no console error, no uncaught exception, no failed request, no HTTP error. */
/** Every `[data-element=name]` is present, visible, headed and has content beyond its heading. */
export async function showsElements(ctx, urlPath, names) {
  const { page } = await ctx.open(urlPath);
  const problems = [];
  for (const name of names) {
    const el = page.locator(`[data-element="${name}"]`);
    if ((await el.count()) !== 1) { problems.push(`${name}: ${await el.count()} elements`); continue; }
    if (!(await el.isVisible())) problems.push(`${name}: not visible`);
    const heading = (await el.locator("h2").first().innerText().catch(() => "")).trim();
    const text = (await el.innerText()).trim();
    if (!heading) problems.push(`${name}: no heading`);
    if (text.length <= heading.length + 2) problems.push(`${name}: nothing under "${heading}"`);
  }
  if (problems.length) ctx.fail(problems.join("; "));
}

/** Types `query` into the home page's lookup and waits for `selector` among the results
 * (and, when given, `text` in it); no console error on the way. */
export async function looksUp(ctx, query, selector, text) {
  const { page, problems } = await ctx.open(HOME);
  const input = page.locator("#lookup-q");
  if (!(await input.isVisible())) ctx.fail("the lookup box is not visible");
  // As a person types: one key at a time.
  await input.pressSequentially(query, { delay: 15 });
  const hit = page.locator(`#lookup-results ${selector}`);
  await hit.first().waitFor({ timeout: 10_000 }).catch(() => {});
  if ((await hit.count()) === 0) {
    const shown = (await page.locator(".lookup-status").innerText()).trim();
    ctx.fail(`no ${selector} after typing "${query}" (status: ${shown})`);
  }
  if (text && !(await hit.first().innerText()).includes(text)) ctx.fail(`result does not show ${text}`);
  if (problems.length) ctx.fail(`${problems.length} problem(s)`, problems);
}

export async function loadsCleanly(ctx, urlPath) {
  const { response, problems } = await ctx.open(urlPath);
  if (!response?.ok()) ctx.fail(`status ${response?.status()}`);
  if (problems.length) ctx.fail(`${problems.length} problem(s)`, problems);
}

/** axe-core finds no `serious` or `critical` violation on `urlPath`. */
export async function noSeriousAxeViolations(ctx, urlPath, options = {}) {
  const { page } = await ctx.open(urlPath, options);
  await axeOn(ctx, page);
}

/** axe-core finds no `serious` or `critical` violation on the page as it is now. */
export async function axeOn(ctx, page) {
  await page.addScriptTag({ path: AXE_PATH });
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run();
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => ({ target: n.target.join(" "), impact: n.impact, summary: n.failureSummary })),
    }));
  });
  const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  if (bad.length) {
    const lines = [];
    for (const v of bad) {
      lines.push(`${v.id} (${v.impact}): ${v.help} — ${v.targets.length} element(s)`);
      for (const t of v.targets.slice(0, 8)) {
        lines.push(`    ${t.target}`);
        const why = (t.summary ?? "").split("\n").slice(1, 2).join(" ").trim();
        if (why) lines.push(`      ${why}`);
      }
      if (v.targets.length > 8) lines.push(`    ... and ${v.targets.length - 8} more`);
    }
    ctx.fail(`${bad.length} serious/critical violation(s): ${bad.map((v) => v.id).join(", ")}`, lines);
  }
}

/** The product names of the site, from its API index. */
function productNames(siteDir) {
  const index = JSON.parse(readFileSync(path.join(siteDir, "api/v1/index.json"), "utf8"));
  return index.products.map((p) => p.name);
}

/** The home page, every product page and lot page, every certificate page in force. */
async function namePages(siteDir) {
  const pages = ["/"];
  for (const id of readdirSync(path.join(siteDir, "products")).sort()) {
    pages.push(`/products/${id}/`);
    const lots = path.join(siteDir, "products", id, "lots");
    if (existsSync(lots)) for (const lot of readdirSync(lots).sort()) pages.push(`/products/${id}/lots/${lot}/`);
  }
  for (const n of readdirSync(path.join(siteDir, "certificates")).sort()) pages.push(`/certificates/${n}/`);
  return pages;
}

/** In the loaded `page`, wherever it shows one of `names`, each word of it (split at spaces,
 * hyphens and dashes, where a line may break) should sit on one line (its client rects share one
 * line): lists the words that do not. */
export async function namesBroken(page, names) {
  const broken = await page.evaluate((names) => {
    const found = [];
    const walker = document.createTreeWalker(document.querySelector("main") ?? document.body, NodeFilter.SHOW_TEXT);
    for (let node; (node = walker.nextNode()); ) {
      const text = node.textContent;
      for (const name of names) {
        for (let at = text.indexOf(name); at >= 0; at = text.indexOf(name, at + name.length)) {
          for (const m of name.matchAll(/[^\s\-\u2010-\u2014]+/g)) {
            const range = document.createRange();
            range.setStart(node, at + m.index);
            range.setEnd(node, at + m.index + m[0].length);
            const rects = [...range.getClientRects()].filter((r) => r.width > 0);
            if (!rects.length) continue; // not shown (e.g. a visually hidden span)
            const top = rects[0].top;
            if (rects.some((r) => Math.abs(r.top - top) > 2)) {
              const el = node.parentElement;
              found.push(`${location.pathname}: "${m[0]}" of "${name}" in ${el.localName}${el.className ? "." + el.className : ""} is split over ${rects.length} lines`);
            }
          }
        }
      }
    }
    return found;
  }, names);
  return broken;
}

/** In the loaded `page`, without scrolling anything sideways, every compliance table's status
 * column (its `.status` header and cells) should lie inside the window and inside the
 * table's scrolling wrapper: lists the cells that do not, and tables without one. */
export async function statusOutOfView(page) {
  const out = await page.evaluate(() => {
    const problems = [];
    const tables = [...document.querySelectorAll(".compliance table")];
    for (const t of tables) {
      const caption = location.pathname + " " + t.caption?.textContent.trim().replace(/\s+/g, " ") ?? "a table";
      if (!t.querySelector("thead th.status")) problems.push(`${caption}: no status column`);
      const rows = [...t.tBodies].flatMap((b) => [...b.rows]);
      const wrap = t.closest(".table-wrap") ?? t.parentElement;
      const box = wrap.getBoundingClientRect();
      for (const row of rows) {
        const cell = row.querySelector(".status");
        if (!cell) {
          problems.push(`${caption}: a row has no status cell`);
          continue;
        }
        const r = cell.getBoundingClientRect();
        const right = Math.min(window.innerWidth, box.right) + 0.5;
        if (r.left < Math.max(0, box.left) - 0.5 || r.right > right) {
          const rule = row.querySelector("th")?.textContent.trim() ?? "";
          problems.push(`${caption}: the status of ${rule} spans ${Math.round(r.left)}–${Math.round(r.right)}px, outside 0–${Math.round(right)}px`);
        }
      }
    }
    return problems;
  });
  return out;
}

/** At `viewport`, the document is no wider than the window. Lists the elements that stick out. */
export async function noHorizontalScroll(ctx, urlPath, viewport) {
  const { page } = await ctx.open(urlPath, { viewport });
  const r = await overflow(page);
  if (r.scrollWidth > r.w) ctx.fail(`scrollWidth ${r.scrollWidth}px > innerWidth ${r.w}px`, r.culprits);
}

// Paper sizes in PDF points, and the printable width in CSS px inside the theme's
// `@page { margin: 15mm 12mm }` (96 px per inch).
const PAPER = {
  A4: { points: [595.28, 841.89], widthPx: Math.floor(((210 - 24) / 25.4) * 96) },
  Letter: { points: [612, 792], widthPx: Math.floor(((215.9 - 24) / 25.4) * 96) },
};

/** Printed on `format` paper: no navigation, skip link, footer or `.no-print` element;
 * the print-only footer line; nothing wider than the printable width; and Chromium's PDF
 * of it has that paper's page size. */
export async function printsCleanly(ctx, urlPath, format) {
  const paper = PAPER[format];
  const { page } = await ctx.open(urlPath, { viewport: { width: paper.widthPx, height: 1000 } });
  await page.emulateMedia({ media: "print" });
  const shown = [];
  for (const sel of [".site-header", ".site-footer", ".skip-link", ".no-print", "nav"]) {
    for (const el of await page.locator(sel).all()) if (await el.isVisible()) shown.push(sel);
  }
  if (shown.length) ctx.fail(`shown in print: ${[...new Set(shown)].join(", ")}`);
  if (!(await page.locator(".print-meta").isVisible())) ctx.fail("the printed-from line is not shown");
  const r = await overflow(page);
  if (r.scrollWidth > r.w) ctx.fail(`wider than ${format}: ${r.scrollWidth}px > ${r.w}px`, r.culprits);
  const pdf = (await page.pdf({ format, printBackground: false })).toString("latin1");
  const boxes = [...pdf.matchAll(/\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/g)];
  if (!boxes.length) ctx.fail("no page in the PDF");
  for (const [, w, h] of boxes) {
    if (Math.abs(w - paper.points[0]) > 1 || Math.abs(h - paper.points[1]) > 1) ctx.fail(`page ${w}×${h} pt is not ${format}`);
  }
  if (boxes.length > 6) ctx.fail(`${boxes.length} pages on ${format}`);
}

/** How far the page reaches past the viewport's right edge, with the innermost culprits. */
async function overflow(page) {
  return page.evaluate(() => {
    const w = window.innerWidth;
    const scrollWidth = document.documentElement.scrollWidth;
    const culprits = [];
    if (scrollWidth > w) {
      // Elements reaching past the right edge, not clipped by a scrolling or clipping
      // ancestor (such as a table wrapper with overflow: auto); the innermost are listed.
      const clipped = (e) => {
        for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
          if (getComputedStyle(a).overflowX !== "visible") return true;
        }
        return false;
      };
      // How far right an element's box or its overflowing content (long text) reaches.
      const reach = (e) => {
        const r = e.getBoundingClientRect();
        const spills = getComputedStyle(e).overflowX === "visible" && e.scrollWidth > e.clientWidth;
        return spills ? Math.max(r.right, r.left + e.scrollWidth) : r.right;
      };
      const all = [...document.body.querySelectorAll("*")];
      const wide = all.filter((e) => reach(e) > w + 0.5 && !clipped(e));
      for (const e of wide) {
        if ([...e.children].some((c) => wide.includes(c))) continue;
        const id = e.id ? `#${e.id}` : "";
        const cls = typeof e.className === "string" && e.className.trim() ? "." + e.className.trim().split(/\s+/).join(".") : "";
        const parent = e.parentElement;
        const pcls = parent && typeof parent.className === "string" && parent.className.trim() ? "." + parent.className.trim().split(/\s+/)[0] : "";
        const text = (e.textContent ?? "").trim().replace(/\s+/g, " ").slice(0, 50);
        culprits.push(`${parent ? parent.localName + pcls + " > " : ""}${e.localName}${id}${cls} reaches ${Math.round(reach(e))}px${text ? ` "${text}"` : ""}`);
        if (culprits.length >= 10) break;
      }
    }
    return { w, scrollWidth, culprits };
  });
}

// ---------------------------------------------------------------------------------------
// Helpers for checks.
// ---------------------------------------------------------------------------------------

class CheckFailure extends Error {
  constructor(message, details = []) {
    super(message);
    this.details = details;
  }
}

function isLocal(u) {
  let url;
  try {
    url = new URL(u);
  } catch {
    return false;
  }
  if (url.protocol === "data:" || url.protocol === "blob:" || url.href === "about:blank") return true;
  return (url.protocol === "http:" || url.protocol === "https:") && url.hostname === "127.0.0.1";
}

function titleOf(html) {
  const m = /<title>([^<]*)<\/title>/i.exec(html);
  return m ? m[1].replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").trim() : null;
}

/** Every HTML page of the site as a URL path (`x/index.html` as `/x/`). */
export async function htmlPages(root) {
  const out = [];
  for (const rel of await fsp.readdir(root, { recursive: true })) {
    const p = rel.split(path.sep).join("/");
    if (!p.endsWith(".html") || p.split("/").some((s) => s.startsWith("."))) continue;
    out.push("/" + (p === "index.html" ? "" : p.endsWith("/index.html") ? p.slice(0, -"index.html".length) : p));
  }
  return out.sort();
}

const settlers = new WeakMap(); // page -> () => Promise resolved when no request is pending

/** Makes lazy images load now and waits until they and every other request are done. */
async function loadLazyImages(page) {
  await page.evaluate(async () => {
    for (const img of document.images) img.loading = "eager";
    await Promise.all(
      [...document.images].map((img) =>
        img.complete
          ? null
          : new Promise((resolve) => {
              img.addEventListener("load", resolve, { once: true });
              img.addEventListener("error", resolve, { once: true });
            }),
      ),
    );
  });
  await settlers.get(page)?.();
}

/** The object each check gets. */
function makeContext(browser, base, siteDir, requests) {
  const contexts = [];
  const ctx = {
    base,
    siteDir,
    /** Every request URL any check has made so far (pages, workers, popups). */
    requests,
    url: (p) => new URL(p, base).href,
    /** Fails the check with a one-line reason and optional detail lines. */
    fail(message, details = []) {
      throw new CheckFailure(message, details);
    },
    /**
     * A fresh browser context (options: viewport, colorScheme, ... as for
     * browser.newContext) that records every request in ctx.requests and blocks requests
     * to other hosts. Closed after the check.
     */
    async newContext(options = {}) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
      contexts.push(context);
      context.setDefaultTimeout(15_000);
      context.on("request", (req) => requests.push(req.url()));
      await context.route((url) => !isLocal(url.href), (route) => route.abort("blockedbyclient"));
      return context;
    },
    /**
     * A new page in `context`, watched: returns { page, problems }, where problems
     * collects console errors, uncaught exceptions, failed requests and HTTP >= 400.
     */
    async newPage(context) {
      const page = await context.newPage();
      const problems = [];
      // Requests started and not yet finished or failed, for waiting until all are done.
      const pending = new Set();
      const idle = [];
      const done = (req) => {
        pending.delete(req);
        if (pending.size === 0) for (const f of idle.splice(0)) f();
      };
      page.on("request", (req) => pending.add(req));
      page.on("requestfinished", done);
      page.on("requestfailed", (req) => {
        problems.push(`request failed: ${req.url()} (${req.failure()?.errorText ?? "?"})`);
        done(req);
      });
      page.on("response", (res) => {
        if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`);
      });
      page.on("console", (msg) => {
        if (msg.type() !== "error") return;
        const loc = msg.location();
        problems.push(`console error: ${msg.text()}${loc?.url ? ` (${loc.url}:${loc.lineNumber})` : ""}`);
      });
      page.on("pageerror", (err) => problems.push(`uncaught exception: ${err.message}`));
      settlers.set(page, async () => {
        if (pending.size === 0) return;
        let timer;
        const settled = new Promise((resolve) => idle.push(resolve));
        const late = new Promise((_, reject) => {
          const urls = () => [...pending].map((r) => r.url()).join(", ");
          timer = setTimeout(() => reject(new Error(`requests still pending after 15 s: ${urls()}`)), 15_000);
        });
        await Promise.race([settled, late]).finally(() => clearTimeout(timer));
      });
      return { page, problems };
    },
    /**
     * Loads `urlPath` in a watched page of a fresh context (see newContext, newPage),
     * makes lazy images load and waits until no request is pending. Without a path, just
     * the page. Returns { page, response, problems }.
     */
    async open(urlPath, options = {}) {
      const { page, problems } = await ctx.newPage(await ctx.newContext(options));
      const response = urlPath == null ? null : await ctx.goto(page, urlPath);
      return { page, response, problems };
    },
    /** Loads `urlPath` in `page`, lazy images too, and waits for its requests to finish. */
    async goto(page, urlPath) {
      const response = await page.goto(ctx.url(urlPath), { waitUntil: "load" });
      await loadLazyImages(page);
      return response;
    },
    async closeAll() {
      await Promise.all(contexts.splice(0).map((c) => c.close().catch(() => {})));
    },
  };
  return ctx;
}

// ---------------------------------------------------------------------------------------
// The static server: `/x/` is `x/index.html`, a folder without `/` redirects, a missing
// path gets 404.html with status 404, nothing outside the folder is served.
// ---------------------------------------------------------------------------------------

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".avif": "image/avif",
  ".ico": "image/x-icon",
  ".pdf": "application/pdf",
  ".txt": "text/plain; charset=utf-8",
  ".xml": "application/xml; charset=utf-8",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
};

export async function serve(siteDir) {
  const root = await fsp.realpath(siteDir);
  const inside = (p) => {
    const rel = path.relative(root, p);
    return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
  };
  // Resolves a URL path to a real file inside root, "dir" for a folder, or null.
  async function resolve(urlPath) {
    const candidate = path.resolve(root, "." + urlPath);
    if (!inside(candidate)) return null;
    let real;
    try {
      real = await fsp.realpath(candidate);
    } catch {
      return null;
    }
    if (!inside(real)) return null; // a symlink pointing out
    const st = await fsp.stat(real);
    return st.isDirectory() ? "dir" : st.isFile() ? real : null;
  }
  function send(req, res, status, file, headers = {}) {
    return fsp.stat(file).then((st) => {
      res.writeHead(status, {
        "content-type": TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream",
        "content-length": st.size,
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
        ...headers,
      });
      if (req.method === "HEAD") return res.end();
      createReadStream(file).pipe(res);
    });
  }
  const server = createServer(async (req, res) => {
    try {
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, { allow: "GET, HEAD" }).end();
        return;
      }
      const { pathname } = new URL(req.url, "http://127.0.0.1");
      let urlPath;
      try {
        urlPath = decodeURIComponent(pathname);
      } catch {
        res.writeHead(400).end("bad request\n");
        return;
      }
      if (urlPath.includes("\0") || urlPath.includes("\\")) {
        res.writeHead(400).end("bad request\n");
        return;
      }
      let file = await resolve(urlPath.endsWith("/") ? urlPath + "index.html" : urlPath);
      if (file === "dir") {
        res.writeHead(301, { location: pathname + "/" }).end();
        return;
      }
      if (file) return await send(req, res, 200, file);
      const notFound = path.join(root, "404.html");
      if (existsSync(notFound)) return await send(req, res, 404, notFound);
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found\n");
    } catch (e) {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
      res.end(`server error: ${e.message}\n`);
    }
  });
  await new Promise((ok, err) => server.once("error", err).listen(0, "127.0.0.1", ok));
  return { server, base: `http://127.0.0.1:${server.address().port}` };
}

// ---------------------------------------------------------------------------------------
// Running.
// ---------------------------------------------------------------------------------------

const CHECK_TIMEOUT_MS = 60_000;

/** Launches the system Chromium (env CHROMIUM, default /usr/bin/chromium), headless; serve.mjs uses it too. */
export async function launchChromium() {
  const { chromium } = await import("playwright-core");
  const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
  try {
    return await chromium.launch({
      executablePath,
      headless: true,
      timeout: 60_000,
      args: ["--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check"],
    });
  } catch (e) {
    throw new Error(`cannot launch Chromium at ${executablePath}: ${e.message}`);
  }
}

/** Runs `checks` against the built site in `siteDir`; returns the number of failures. */
export async function runChecks(siteDir, checks = CHECKS, log = console.log) {
  const { server, base } = await serve(siteDir);
  const stopServer = async () => {
    server.closeAllConnections?.();
    await new Promise((ok) => server.close(ok));
  };
  let browser;
  try {
    browser = await launchChromium();
  } catch (e) {
    await stopServer();
    throw e;
  }
  const requests = [];
  let failed = 0;
  try {
    for (const check of checks) {
      const ctx = makeContext(browser, base, siteDir, requests);
      let timer;
      try {
        await Promise.race([
          check.run(ctx),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`timed out after ${CHECK_TIMEOUT_MS / 1000} s`)), CHECK_TIMEOUT_MS);
          }),
        ]);
        log(`ok ${check.name}`);
      } catch (e) {
        failed += 1;
        const message = e instanceof CheckFailure ? e.message : String(e?.stack ?? e).split("\n").slice(0, 4).join("\n  ");
        log(`FAIL ${check.name}: ${message}`);
        for (const line of e?.details ?? []) log(`  ${line}`);
      } finally {
        clearTimeout(timer);
        await ctx.closeAll();
      }
    }
  } finally {
    await browser.close().catch(() => {});
    await stopServer();
  }
  log(`browser: ${checks.length - failed} passed, ${failed} failed`);
  return failed;
}

async function main(argv) {
  const [siteDir, ...filters] = argv;
  if (!siteDir || siteDir === "-h" || siteDir === "--help") {
    console.error("usage: node run.mjs <built-site-folder> [name-filter ...]");
    return 2;
  }
  if (!existsSync(path.join(siteDir, "index.html"))) {
    console.error(`error: ${path.join(siteDir, "index.html")} is missing: is ${siteDir} a built site?`);
    return 2;
  }
  const checks = filters.length ? CHECKS.filter((c) => filters.some((f) => c.name.includes(f))) : CHECKS;
  if (!checks.length) {
    console.error(`error: no check matches ${filters.join(", ")}`);
    return 2;
  }
  return (await runChecks(siteDir, checks)) ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(`error: ${e?.stack ?? e}`);
      process.exit(2);
    },
  );
}

