// As-you-type product lookup over the static shards certpress writes under
// /api/v1/search/ (format: /api/v1/schemas/search.schema.json). No server: each query
// word fetches the one shard (or the few shards) whose prefix fits it, cached.
// Without JavaScript the form stays hidden and the home page's full product list serves.
(() => {
  "use strict";
  const form = document.querySelector("form.lookup[data-index]");
  if (!form || !window.fetch) return;
  const input = form.querySelector("input[type=search]");
  const status = form.querySelector(".lookup-status");
  const list = form.querySelector(".lookup-results");
  const MAX_SHARDS = 8;
  const MAX_RESULTS = 25;
  const LABELS = { name: "Name", brand: "Brand", model: "Model", gtin: "GTIN", sku: "SKU", lot: "Lot", certificate: "Certificate" };
  const cache = new Map();
  let manifest = null;
  let asked = 0;

  const getJson = (url) => {
    if (!cache.has(url)) {
      cache.set(url, fetch(url).then((r) => {
        if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
        return r.json();
      }));
    }
    return cache.get(url);
  };

  // The same rule as certpress's search::normalise: letters and digits, lower-cased;
  // an all-digit word loses its leading zeros, so GTIN-8/12/13/14 forms all meet.
  const normalise = (word) => {
    let t = word.toLowerCase().replace(/[^\p{Alphabetic}\p{N}]/gu, "");
    if (/^[0-9]+$/.test(t)) t = t.replace(/^0+/, "") || "0";
    return t;
  };

  // A shard's file: `s` + its prefix's UTF-8 in hex (search.schema.json).
  const shardUrl = (prefix, exact) => {
    const hex = [...new TextEncoder().encode(prefix)].map((b) => b.toString(16).padStart(2, "0")).join("");
    return `${manifest.path}s${hex}${exact ? "-exact" : ""}.json`;
  };

  // The unsplit shard whose prefix starts the word, else every shard the word starts.
  const shardsFor = (word) => {
    let best = null;
    for (const p of manifest.shards) {
      if (word.startsWith(p) && (best === null || p.length > best.length)) best = p;
    }
    if (best !== null) return [shardUrl(best, false)];
    return manifest.shards.filter((p) => p.startsWith(word)).map((p) => shardUrl(p, false))
      .concat(manifest.exact.filter((p) => p.startsWith(word)).map((p) => shardUrl(p, true)));
  };

  // Products with a term starting with `word`: id -> { product, hits }.
  const lookupWord = async (word) => {
    const shards = shardsFor(word);
    if (shards.length > MAX_SHARDS) return null;
    const found = new Map();
    let truncated = false;
    for (const shard of await Promise.all(shards.map(getJson))) {
      for (const term of shard.terms) {
        if (!term.term.startsWith(word)) continue;
        truncated = truncated || term.more;
        for (const hit of term.hits) {
          const p = shard.products[hit.p];
          if (!found.has(p.id)) found.set(p.id, { product: p, hits: [] });
          found.get(p.id).hits.push(hit);
        }
      }
    }
    return { word, found, truncated };
  };

  // When a word is too common to list every product (a brand on a large site), the
  // other words' products are checked against it by their name, brand, model and GTIN.
  const hasTerm = (product, word) =>
    [product.name, product.brand || ""].join(" ").split(/\s+|[^\p{Alphabetic}\p{N}]+/u)
      .concat(product.model, product.gtin || "")
      .some((t) => normalise(t).startsWith(word));

  const search = async (query) => {
    const words = [...new Set(query.split(/\s+/).map(normalise).filter(Boolean))];
    if (!words.length) return { results: [], words };
    manifest = manifest || await getJson(form.dataset.index);
    const perWord = await Promise.all(words.map(lookupWord));
    if (perWord.some((w) => w === null)) return { tooShort: true, words };
    // Start from the smallest complete list; check the other words against it.
    const complete = perWord.filter((w) => !w.truncated);
    const pool = (complete.length ? complete : perWord).slice().sort((a, b) => a.found.size - b.found.size);
    const [first] = pool;
    const results = [];
    for (const [id, entry] of first.found) {
      const hits = [...entry.hits];
      let ok = true;
      for (const other of perWord) {
        if (other === first) continue;
        const match = other.found.get(id);
        if (match) hits.push(...match.hits);
        else if (!(other.truncated && hasTerm(entry.product, other.word))) { ok = false; break; }
      }
      if (ok) results.push({ product: entry.product, hits });
    }
    results.sort((a, b) => a.product.name.localeCompare(b.product.name) || a.product.id.localeCompare(b.product.id));
    // With every word's list cut short, more products may match than were found.
    return { results, words, partial: complete.length === 0 };
  };

  const el = (tag, props, ...children) => {
    const node = Object.assign(document.createElement(tag), props);
    node.append(...children);
    return node;
  };

  const render = (outcome, query) => {
    list.replaceChildren();
    if (outcome.tooShort) {
      status.textContent = "Keep typing: too many products start that way.";
      return;
    }
    const { results } = outcome;
    if (!results.length) {
      status.textContent = `No product matches “${query.trim()}”.`;
      return;
    }
    const shown = results.slice(0, MAX_RESULTS);
    const more = results.length > shown.length || outcome.partial;
    status.textContent = `${results.length}${more ? "+" : ""} ${results.length === 1 ? "product" : "products"} found` +
      (more ? `; showing ${shown.length}. Add a word to narrow the search.` : ".");
    for (const { product, hits } of shown) {
      const facts = [product.brand, `Model ${product.model}`, product.gtin && `GTIN ${product.gtin}`].filter(Boolean).join(" · ");
      const item = el("li", { className: "lookup-result" },
        el("a", { href: product.url, className: "lookup-name" }, product.name),
        el("span", { className: "lookup-facts" }, facts));
      const seen = new Set();
      const links = hits.filter((h) => h.url && !seen.has(h.url) && seen.add(h.url));
      if (links.length) {
        const matches = el("ul", { className: "lookup-matches" });
        for (const h of links) {
          matches.append(el("li", {}, `${LABELS[h.field]} `, el("a", { href: h.url, className: "code" }, h.value)));
        }
        item.append(matches);
      } else {
        const fields = [...new Set(hits.map((h) => LABELS[h.field]))].join(", ");
        item.append(el("span", { className: "lookup-why" }, `Matched: ${fields}`));
      }
      list.append(item);
    }
  };

  const run = async () => {
    const query = input.value;
    const mine = ++asked;
    if (!query.trim()) {
      list.replaceChildren();
      status.textContent = "";
      return;
    }
    try {
      const outcome = await search(query);
      if (mine === asked) render(outcome, query);
    } catch (err) {
      if (mine === asked) status.textContent = "The lookup could not load its index. Use the product list below.";
      console.warn(err);
    }
  };

  let timer = 0;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(run, 60);
  });
  // Enter (as a barcode scanner sends after the digits) opens the first result.
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearTimeout(timer);
    await run();
    const first = list.querySelector("a");
    if (first) window.location.assign(first.href);
  });
  form.hidden = false;
  const initial = new URLSearchParams(window.location.search).get("q");
  if (initial) {
    input.value = initial;
    run();
  }
})();
