# Writes the seed corpora into fuzz/corpus/<target>/ (run from the repository root).
import glob, os, json, hashlib, re

R = "fuzz/corpus"
def put(target, name, data):
    d = os.path.join(R, target); os.makedirs(d, exist_ok=True)
    if isinstance(data, str): data = data.encode()
    open(os.path.join(d, name), "wb").write(data)
def files(*pats):
    out = []
    for p in pats: out += sorted(glob.glob(p, recursive=True))
    return out
def slug(p): return re.sub(r'[^A-Za-z0-9]+', '-', p).strip('-')

# ---- record
prods = files("content/products/**/*.yaml", "tests/invalid/*/content/products/**/*.yaml", "src/scaffold/content/products/*.yaml")
for p in prods: put("record", "seed-" + slug(p), open(p, "rb").read())
stacker = open("content/products/toys/rainbow-stacker.yaml").read()
put("record", "hostile-crlf", stacker.replace("\n", "\r\n"))
put("record", "hostile-cr", stacker.replace("\n", "\r"))
put("record", "hostile-nel", stacker.replace("\n", "\u0085"))
put("record", "hostile-ls", stacker.replace("description: >-", "description: \"a\u2028b\u2029c\"\nnotes: >-", 1))
put("record", "hostile-control", stacker.replace("Rainbow Stacking Rings", "\"Rainbow\\e[31m\\a\\u0000 \\x1b]0;title\\x07Rings\""))
put("record", "hostile-bom", "\ufeff" + stacker)
put("record", "hostile-deep-flow", "id: deep\nattributes: " + "[" * 3000 + "]" * 3000 + "\n")
put("record", "hostile-deep-block", "id: deep\nattributes:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 400)))
put("record", "hostile-alias", "id: a\nname: &n " + "x" * 100 + "\nmodel: *n\nmarkets: &m [US, EU]\nattributes: { painted: true }\ncategories: *m\nmanufacturer: little-oak-ltd\n" + "".join(f"x{i}: &a{i} [*n, *n]\n" for i in range(30)))
put("record", "hostile-merge-key", "base: &b { name: A, model: B }\nid: merged\n<<: *b\nmanufacturer: little-oak-ltd\n")
put("record", "hostile-tags", "id: !!str 12\nname: !!binary aGVsbG8=\nmodel: !custom x\nmanufacturer: little-oak-ltd\ngtin: !!int 9521234000112\n")
put("record", "hostile-numbers", stacker.replace('gtin: "9521234000112"', "gtin: 9521234000112").replace("min_months: 12", "min_months: 4294967296").replace("max_months: 36", "max_months: -1"))
put("record", "hostile-gtin-int", stacker.replace('gtin: "9521234000112"', "gtin: 99999999999999999999999"))
put("record", "hostile-dup-keys", stacker + "id: again\nimporters: { US: a, US: b }\n")
put("record", "hostile-multi-doc", stacker + "---\n" + stacker)
put("record", "hostile-tabs", stacker.replace("  ", "\t"))
put("record", "hostile-long-line", "id: long\nname: " + "n" * 200000 + "\n")
put("record", "hostile-many-lots", stacker.split("lots:")[0] + "lots:\n" + "".join(f"  - {{ lot: L{i}, made: 2026-01, place: X }}\n" for i in range(2000)))
put("record", "hostile-unicode-keys", "id: uni\nname: \"\u00e9\u0301\ud7ff\"\nattributes: { \"p\u00e4inted\": true, \"\U0001F600\": 1 }\nmanufacturer: little-oak-ltd\nmodel: m\n")
put("record", "hostile-empty", "")
put("record", "hostile-null", "~\n")
put("record", "hostile-not-utf8", b"id: bad\nname: \xff\xfe\nmodel: x\n")

# ---- party
for p in files("content/parties/**/*.yaml", "tests/invalid/*/content/parties/**/*.yaml", "src/scaffold/content/parties/*.yaml"):
    put("party", "seed-" + slug(p), open(p, "rb").read())
oak = open("content/parties/makers/little-oak-ltd.yaml").read()
put("party", "hostile-crlf", oak.replace("\n", "\r\n"))
put("party", "hostile-control", oak.replace("name: ", "name: \"\\e[2J\\u009b\" #", 1))
put("party", "hostile-email", oak + "email: \"a@b.c?bcc=x@y.z\"\n")
put("party", "hostile-kind", oak.replace("kind: manufacturer", "kind: lab"))
put("party", "hostile-deep", "id: deep\nkind: lab\nname: x\naddress: " + "[" * 2000 + "]" * 2000 + "\n")
put("party", "hostile-alias", "id: a\nkind: lab\nname: &n N\naddress: [*n, *n, *n]\naccreditations: &acc { cpsc: \"1\" }\n" + "".join(f"x{i}: &b{i} [*n, *n]\n" for i in range(20)))
put("party", "hostile-cert-dates", "id: jane-doe\nkind: person\nname: J\ncertifications:\n  - { standard: ISO 9001, number: \"1\", issuer: X, valid_until: 2026-02-30 }\n  - { standard: ISO 9001, number: \"2\", issuer: X, valid_until: \"99999-01\" }\n")

# ---- site_toml
for p in files("site.toml", "src/scaffold/site.toml", "tests/invalid/**/site.toml"):
    put("site_toml", "seed-" + slug(p), open(p, "rb").read())
base = open("site.toml").read()
put("site_toml", "hostile-deep-array", 'title = "T"\nbase_url = "https://x.example/"\n[extra]\nv = ' + "[" * 3000 + "]" * 3000 + "\n")
put("site_toml", "hostile-deep-table", 'title = "T"\nbase_url = "https://x.example/"\n[extra]\nv = ' + "{ a = " * 500 + "1" + " }" * 500 + "\n")
put("site_toml", "hostile-numbers", 'title = "T"\nbase_url = "https://x.example/"\nas_of = "2026-02-30"\n[labels]\ndpi = 99999999999\n[labels.printers.p]\nx_offset_mm = nan\ny_offset_mm = inf\nx_scale = -0.0\ny_scale = 1e308\n')
put("site_toml", "hostile-paths", 'title = "T"\nbase_url = "https://u:p@x.example/?q#f"\ntheme = "../../etc"\nlanguage = "<script>"\n[build]\noutput = "/tmp"\n[labels]\nsheet = "../x"\ntemplate = "a/../../b"\n[plugins]\nenabled = ["../../x", "us-cpsc", "us-cpsc", ""]\n')
put("site_toml", "hostile-control", 'title = "\\u001b[31mT"\nbase_url = "https://x.example/\\u0000"\n')
put("site_toml", "hostile-crlf", base.replace("\n", "\r\n"))
put("site_toml", "hostile-empty", "")
put("site_toml", "hostile-dup", 'title = "T"\ntitle = "U"\n[build]\n[build]\n')

# ---- guidance
for p in files("content/guidance/**/*.md", "plugins/*/guidance/**/*.md", "src/scaffold/content/guidance/*.md", "tests/invalid/**/*.md"):
    put("guidance", "seed-" + slug(p), open(p, "rb").read())
fm = "---\ntitle: T\n---\n"
put("guidance", "hostile-raw-html", fm + "<script>alert(1)</script>\n<img src=x onerror=alert(1)>\n<iframe src=//evil></iframe><style>*{}</style>\n[x](javascript:alert(1)) [y](JAVASCRIPT:alert(1)) [z](data:text/html,<script>)\n<a href=\"javascript:x\">a</a>\n")
put("guidance", "hostile-links", fm + "## Section\n[a](../../../../etc/passwd) [b](/abs.md) [c](other.md#missing) [d](#section) [e](#nope) [f](../fuzz/page.md#section)\n![i](../assets/products/rainbow-stacker.svg) ![j](/assets/../x.svg) ![k](assets/products/missing.svg) ![l](http://x/y.png)\n[ref]: <../us/reading.md#says>\nSee [ref].\n")
put("guidance", "hostile-nested-quotes", fm + ">" * 3000 + " deep\n")
put("guidance", "hostile-nested-lists", fm + "".join("  " * i + "- item\n" for i in range(300)))
put("guidance", "hostile-brackets", fm + "[" * 5000 + "x" + "](y)" * 100 + "\n")
put("guidance", "hostile-emphasis", fm + "*a **" * 2000 + "\n")
put("guidance", "hostile-headings", fm + "".join(f"## Same\n## Same {{#same}}\n# One\n" for _ in range(200)) + "## main\n## toc-heading\n## content\n")
put("guidance", "hostile-table", fm + "|" + "a|" * 500 + "\n|" + "-|" * 500 + "\n" + ("|" + "x|" * 500 + "\n") * 20)
put("guidance", "hostile-footnotes", fm + "".join(f"[^{i}] " for i in range(500)) + "\n\n" + "".join(f"[^{i}]: note [^{i+1}]\n" for i in range(500)))
put("guidance", "hostile-front-alias", "---\ntitle: &t T\nsummary: *t\n" + "".join(f"x{i}: &a{i} [*t, *t]\n" for i in range(20)) + "---\nbody\n")
put("guidance", "hostile-front-bad", "---\ntitle: \nupdated: 2026-13\nweight: 99999999999999999999\njurisdiction: [x]\n---\n# H1\n")
put("guidance", "hostile-no-front", "# Just markdown\n")
put("guidance", "hostile-crlf", (fm + "## A\r\n\r\ntext [a](#a)\r\n").replace("\n", "\r\n"))
put("guidance", "hostile-unclosed", "---\ntitle: T\n")
put("guidance", "hostile-control", fm + "## \u001b[31mred\u0007\n\u0000 nul \u0085 nel \u2028 ls\n")
put("guidance", "hostile-heading-attrs", fm + "## A {#x .c key=val}\n## B {#x}\n## C { #  }\n### {#}\n")

# ---- plugin
for p in files("plugins/*/plugin.yaml", "tests/invalid/**/plugin.yaml"):
    put("plugin", "seed-" + slug(p), open(p, "rb").read())
mini = "id: mini\nname: Mini\nprotocol: 1\nversion: \"1\"\nmarkets: [US, CA]\nvocabulary:\n  categories: { toy: Toys }\n  attributes:\n    painted: { type: bool, default: false }\n    small_parts: { type: bool }\n  declarations: { tracking-label: Tracking label }\n"
rules = "define:\n  child: has(product.age) && product.age.min_months < 144\n  painted: product.attributes.painted\n  k: \"['US', 'CA']\"\ncertificates:\n  - id: cpc\n    title: CPC\n    when: child\n    certifier: importer\n    lab: cpsc\n    retest_months: 12\n    standards: [\"16 CFR 1303\"]\nrequirements:\n  - id: lead\n    cite: \"16 CFR 1303\"\n    title: Lead paint\n    when: child && painted\n    evidence: test\n  - id: label\n    cite: \"15 U.S.C. 1278\"\n    title: Label\n    when: \"'toy' in product.categories\"\n    evidence: label\n    label: \"WARNING: small parts\"\n  - id: tracking-label\n    cite: \"15 U.S.C. 2063(a)(5)\"\n    title: Tracking\n    evidence: declaration\nmarks:\n  - id: ce\n    when: \"product.markets.exists(m, m == 'EU')\"\n"
put("plugin", "hostile-mini", mini + rules)
put("plugin", "hostile-long-and", mini + "define:\n  big: \"" + " && ".join(["true"] * 200) + "\"\n")
put("plugin", "hostile-long-or", mini + "define:\n  big: \"" + " || ".join(f"product.id == 'p{i}'" for i in range(150)) + "\"\n")
put("plugin", "hostile-deep-parens", mini + "define:\n  deep: \"" + "(" * 60 + "true" + ")" * 60 + "\"\n")
put("plugin", "hostile-deep-not", mini + "define:\n  deep: \"" + "!" * 100 + "true\"\n")
put("plugin", "hostile-comprehension", mini + "define:\n  x: \"product.categories.all(c, product.markets.exists(m, m + c != ''))\"\n  y: \"[1,2,3].map(i, [1,2,3].map(j, i * j)).size() > 0\"\n  z: \"size(product.id) > 0 && product.id.startsWith('r') && product.name.matches('^[A-Z]')\"\n")
put("plugin", "hostile-arith", mini + "define:\n  o: \"9223372036854775807 + 1 > 0\"\n  d: \"1 / 0 == 0\"\n  m: \"-9223372036854775808 % -1 == 0\"\n  s: \"'a' * 3\"\n  u: \"18446744073709551615u + 1u > 0u\"\n  f: \"1.0 / 0.0 > 0.0\"\n")
put("plugin", "hostile-types", mini + "define:\n  a: product.attributes.nope\n  b: product.age.max_months > 0\n  c: \"product.importers['US'].country == 'US'\"\n  d: \"has(product.gtin) ? product.gtin : 1\"\n  e: \"product.markets[99] == 'x'\"\n  f: \"{'a': 1}['b'] == 1\"\n  g: \"dyn(product).id == 'x'\"\n  h: \"type(product) == map\"\n  i: \"timestamp('2026-01-01T00:00:00Z') > timestamp('2025-01-01T00:00:00Z')\"\n  j: \"duration('1000000000000h') > duration('1s')\"\n")
put("plugin", "hostile-command", "id: cmd\nname: Cmd\nprotocol: 1\nversion: \"1\"\nmarkets: [US]\ncommand: plugin.yaml\ntimeout_seconds: 18446744073709551615\n")
put("plugin", "hostile-command-escape", "id: cmd\nname: Cmd\nprotocol: 1\nversion: \"1\"\nmarkets: [US]\ncommand: ../../../../bin/sh\n")
put("plugin", "hostile-protocol", "id: p\nprotocol: 2\nwhatever: [1, 2]\n")
put("plugin", "hostile-protocol-str", "id: p\nprotocol: \"1\"\nname: x\n")
put("plugin", "hostile-bad-ids", mini + "certificates:\n  - { id: \"A B\\nC\", title: T, when: \"true\", certifier: importer }\n  - { id: \"A B\\nC\", title: T, when: \"true\", certifier: importer }\nrequirements:\n  - { id: r, cite: c, title: t, evidence: test }\n  - { id: r, cite: c, title: t, evidence: label }\n  - { id: d, cite: c, title: t, evidence: declaration, declaration: nope }\n  - { id: rec, cite: c, title: t, evidence: record }\n")
put("plugin", "hostile-vocab-clash", mini.replace("type: bool, default: false", "type: int, default: \"x\"") + "  attributes:\n    painted: { type: string }\n")
put("plugin", "hostile-alias", mini + "define:\n  a: &c \"true && true\"\n  b: *c\n" + "".join(f"x{i}: &z{i} [*c, *c]\n" for i in range(20)))
put("plugin", "hostile-quotes", mini + "define:\n  q: '\"a\\\"b\" == \"a\\u0000b\" || b\"\\xff\" == b\"\\377\" || r\"\\d\" == \"\\\\d\"'\n  r: \"'''multi\nline''' == ''\"\n")
put("plugin", "hostile-record-evidence", mini + "requirements:\n  - id: rec\n    cite: c\n    title: t\n    evidence: record\n    satisfied_when: \"has(product.gtin) && product.lots.size() > 0\"\n")

# ---- ident
idents = ["00000096385074","0000096385074","000096385074","00614141000012","00614141000036","0614141000036","06291041500213","09521234000112","09521234543213","10614141000033","614141000036","62910415002","629104150021","6291041500213","6291041500214","96385074","9521234000112","٠١٢٣٤٥٦٧٨٩٠١٢","１２３４５６７８","",
          "2026-03A","K2604-ROM",".","..","a/b","ABCDEFGHIJKLMNOPQRSTU","lot with space","%2F","ü",
          "US","EU","GB","UK","us","XK","AQ","ZZ",
          "rainbow-stacker","-x","a"*64,"a"*65,"sheets",
          "2026-03","2026-03-11","2026-02-29","2024-02-29","0000-01","9999-12-31","2026-13","2026-00-10","+202-01","2026-3","2026-03-1x","2026--03",
          "https://certs.example/01/09521234543213/10/ABC123","/01/00614141000012/10/2026-03A","01/09521234000112"]
for i, s in enumerate(idents): put("ident", f"seed-{i:03d}", s)
put("ident", "seed-lines", "\n".join(idents))
put("ident", "seed-pairs", "09521234000112 2026-03A\n6291041500213 K2604-ROM\n96385074 .\n00614141000012 ..\n614141000036 a%2Fb\n")
put("ident", "hostile-control", "\u0000\u001b[31m\u0085\u2028\r\n\t 0952123400011\u0662")
put("ident", "hostile-long", "9" * 100000)

# ---- ledger
lock = open("certificates.lock").read()
put("ledger", "seed-certificates-lock", lock)
for p in files("tests/invalid/**/certificates.lock"): put("ledger", "seed-" + slug(p), open(p, "rb").read())
lines = [l for l in lock.splitlines() if l and not l.startswith("#")]
for i, l in enumerate(lines[:6]): put("ledger", f"seed-line-{i}", l + "\n")
def sha(s): return "sha256:" + hashlib.sha256(s.encode()).hexdigest()
l1 = lines[0]
num, ver, date, h, js = l1.split(" ", 4)
snap = json.loads(js)
snap2 = dict(snap); snap2["title"] = snap["title"] + " (2)"
j2 = json.dumps(snap2, ensure_ascii=False, separators=(",", ":"))
v2 = f"{num} v2 2026-12-01 sha256:{'0'*64} prev:{sha(l1)} {j2}"
put("ledger", "seed-chain-v2", l1 + "\n" + v2 + "\n")
put("ledger", "seed-chain-v3", l1 + "\n" + v2 + "\n" + f"{num} v3 2026-12-02 sha256:{'0'*64} prev:sha256:{'1'*64} {js}\n")
put("ledger", "seed-chain-missing-prev", l1 + "\n" + f"{num} v2 2026-12-01 {h} {j2}\n")
put("ledger", "seed-chain-v1-prev", f"{num} v1 {date} {h} prev:{sha(l1)} {js}\n")
put("ledger", "seed-out-of-order", f"{num} v2 {date} {h} {js}\n")
put("ledger", "hostile-crlf", lock.replace("\n", "\r\n"))
put("ledger", "hostile-fields", "A\nA v\nA v0 2026-01-01\nA v1 2026-02-30 x {}\nA v99999999999 2026-01-01 sha256:x {}\nA v1 2026-01-01 sha256:x prev:\nA v1 2026-01-01 sha256:x prev:sha256:zz {}\n")
put("ledger", "hostile-json-deep", f"{num} v1 {date} {h} " + "[" * 5000 + "\n")
put("ledger", "hostile-json-types", f"{num} v1 {date} {h} " + js.replace('"number":', '"number":1,"x":', 1) + "\n")

# ---- plugin_response
golden = json.load(open("tests/golden/response.json"))
put("plugin_response", "seed-golden", open("tests/golden/response.json", "rb").read())
ok = json.loads(json.dumps(golden))
for a in ok["assessments"]: a["product"] = "rainbow-stacker"; a["certificate"]["number"] = "LO-RAINBOW-STACKER-XX-DOC"
for d in ok["diagnostics"]: d["product"] = "rainbow-stacker"
put("plugin_response", "seed-samples", json.dumps(ok, indent=1))
many = json.loads(json.dumps(ok))
for pid in ["acorn-necklace", "commuter-bike-helmet", "organic-cotton-romper"]:
    a = json.loads(json.dumps(ok["assessments"][0])); a["product"] = pid; a["certificate"]["status"] = "blocked"
    a["requirements"][0]["status"] = "missing"; a["requirements"][0]["detail"] = "no report"
    many["assessments"].append(a)
many["diagnostics"] += [{"message": "plugin-wide"}, {"severity": "warning", "message": "\u001b[31mred\u0007", "code": "c\nd"}, {"severity": "error", "product": "acorn-necklace", "message": "x"}]
put("plugin_response", "seed-all-samples", json.dumps(many))
put("plugin_response", "hostile-protocol", '{"protocol": 2}')
put("plugin_response", "hostile-protocol-neg", '{"protocol": -1, "assessments": []}')
put("plugin_response", "hostile-no-protocol", '{"assessments": []}')
put("plugin_response", "hostile-unknown-product", '{"protocol":1,"assessments":[{"product":"nope","market":"US"}]}')
put("plugin_response", "hostile-severity", '{"protocol":1,"diagnostics":[{"severity":"fatal","message":"x"}]}')
put("plugin_response", "hostile-deep", '{"protocol":1,"x":' + "[" * 200 + "]" * 200 + "}")
put("plugin_response", "hostile-dup-fields", '{"protocol":1,"protocol":1,"assessments":[],"assessments":[]}')
put("plugin_response", "hostile-market", '{"protocol":1,"assessments":[{"product":"rainbow-stacker","market":"not a market","certificate":{"id":"x y","title":"t","number":"N U M","status":"ready"},"requirements":[{"id":"r","cite":"c","title":"t","kind":"test","status":"satisfied","evidence":"HTS-2026-0311","lots":{"2026-03A":"HTS-2026-0311"}}]}]}')
put("plugin_response", "hostile-empty", "")
put("plugin_response", "hostile-utf16", "\ufeff{\"protocol\":1}".encode("utf-16"))
