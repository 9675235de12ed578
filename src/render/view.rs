//! What templates see: the model reshaped for display, as documented in
//! `docs/theme-context.md`. Record text passes through unescaped here; tera escapes it.

use crate::content::{GuidancePage, Party, Product, Status};
use crate::date::iso;
use crate::plugins::rules::EvidenceKind;
use crate::plugins::{AttrValue, Vocabulary};
use crate::site::Site;
use crate::url::{self, SitePath};
use serde::Serialize;

#[derive(Serialize)]
pub struct SiteView<'a> {
    pub title: &'a str,
    pub base_url: &'a str,
    pub base_path: &'a str,
    pub language: &'a str,
    pub as_of: String,
    pub extra: &'a toml::Table,
    pub generator: String,
}

impl<'a> SiteView<'a> {
    pub fn new(site: &'a Site) -> Self {
        SiteView {
            title: &site.config.title,
            base_url: site.config.base_url.as_str(),
            base_path: site.config.base_path(),
            language: &site.config.language,
            as_of: iso(site.as_of),
            extra: &site.config.extra,
            generator: format!("certpress {}", env!("CARGO_PKG_VERSION")),
        }
    }
}

#[derive(Serialize)]
pub struct PageView {
    pub kind: &'static str,
    pub title: String,
    pub url: String,
    pub canonical: String,
}

impl PageView {
    /// The page at `path`, its own canonical.
    pub fn new(site: &Site, kind: &'static str, title: impl Into<String>, path: &SitePath) -> Self {
        PageView {
            kind,
            title: title.into(),
            url: path.under(site.config.base_path()),
            canonical: path.under(site.config.base_url.as_str()),
        }
    }
}

/// Where a page of the home list sits among the others (`None` on a one-page list).
#[derive(Serialize)]
pub struct PagerView {
    pub page: usize,
    pub pages: usize,
    /// The places (from 1) in the whole list of the first and last product shown.
    pub first: usize,
    pub last: usize,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
    /// The first and last pages and those near this one, in order; `None` stands for
    /// the pages skipped between two of them.
    pub links: Vec<Option<PageLink>>,
}

#[derive(Serialize)]
pub struct PageLink {
    pub number: usize,
    pub url: String,
    pub current: bool,
}

impl PagerView {
    /// Pages this close to the current one are linked.
    const NEAR: usize = 2;

    pub fn new(
        page: usize,
        pages: usize,
        per_page: usize,
        total: usize,
        base: &str,
    ) -> Option<Self> {
        if pages <= 1 {
            return None;
        }
        let link = |n: usize| url::home_page(n).under(base);
        let mut links = Vec::new();
        let mut last_shown = 0;
        for n in 1..=pages {
            let near = n.abs_diff(page) <= Self::NEAR;
            if n == 1 || n == pages || near {
                if n > last_shown + 1 {
                    links.push(None);
                }
                links.push(Some(PageLink {
                    number: n,
                    url: link(n),
                    current: n == page,
                }));
                last_shown = n;
            }
        }
        Some(PagerView {
            page,
            pages,
            first: (page - 1) * per_page + 1,
            last: (page * per_page).min(total),
            prev_url: (page > 1).then(|| link(page - 1)),
            next_url: (page < pages).then(|| link(page + 1)),
            links,
        })
    }
}

#[derive(Serialize)]
pub struct NavView {
    pub home_url: String,
    pub guidance_url: String,
}

/// A product as lists show it. Owned, so a build in batches keeps the home list's rows
/// after it dropped the products they came from.
#[derive(Serialize, Clone)]
pub struct ProductSummary {
    pub id: String,
    pub name: String,
    pub brand: Option<String>,
    pub model: String,
    pub gtin: Option<String>,
    pub sku: Option<String>,
    pub url: String,
    pub image_url: Option<String>,
    pub markets: Vec<String>,
    pub categories: Vec<String>,
    pub lots: Vec<String>,
    pub status: Status,
    pub withdrawn: bool,
}

impl ProductSummary {
    pub fn new(p: &Product, base_path: &str) -> Self {
        ProductSummary {
            id: p.id.clone(),
            name: p.name.clone(),
            brand: p.brand.clone(),
            model: p.model.clone(),
            gtin: p.gtin.map(|g| g.as_gtin14()),
            sku: p.sku.clone(),
            url: url::product(&p.id).under(base_path),
            image_url: p.image.as_ref().map(|i| url::asset(i).under(base_path)),
            markets: p.markets.iter().map(|m| m.code().to_string()).collect(),
            categories: p.categories.clone(),
            lots: p.lots.iter().map(|l| l.lot.clone()).collect(),
            status: p.status,
            withdrawn: p.status == Status::Withdrawn,
        }
    }
}

#[derive(Serialize)]
pub struct Term<'a> {
    pub id: &'a str,
    pub doc: &'a str,
}

#[derive(Serialize)]
pub struct AgeView {
    pub min_months: u32,
    pub max_months: Option<u32>,
    pub text: String,
}

#[derive(Serialize)]
pub struct AttrView<'a> {
    pub name: &'a str,
    pub value: &'a AttrValue,
    pub doc: &'a str,
}

#[derive(Serialize)]
pub struct MarketView<'a> {
    pub code: &'a str,
    pub name: &'a str,
}

#[derive(Serialize)]
pub struct Accreditation<'a> {
    pub scheme: &'a str,
    pub id: &'a str,
    /// As people read it: "CPSC-accepted lab no. 1234".
    pub text: String,
}

impl<'a> Accreditation<'a> {
    pub fn new(scheme: &'a str, id: &'a str) -> Self {
        Accreditation {
            scheme,
            id,
            text: super::names::accreditation(scheme, id),
        }
    }

    /// A party's accreditations (scheme, id), in words: the record's map and a
    /// certificate's recorded list alike.
    pub fn all(list: impl IntoIterator<Item = (&'a String, &'a String)>) -> Vec<Self> {
        list.into_iter()
            .map(|(scheme, id)| Self::new(scheme, id))
            .collect()
    }
}

#[derive(Serialize)]
pub struct PartyView<'a> {
    pub id: &'a str,
    pub kind: &'static str,
    pub name: &'a str,
    #[serde(flatten)]
    pub mailing: crate::address::Mailing<'a>,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub accreditations: Vec<Accreditation<'a>>,
    pub certifications: &'a [crate::content::party::Certification],
}

impl<'a> PartyView<'a> {
    pub fn new(p: &'a Party) -> Self {
        PartyView {
            id: &p.id,
            kind: p.kind.as_str(),
            name: &p.name,
            mailing: crate::address::Mailing::new(&p.address, p.country.as_deref()),
            email: p.email.as_deref(),
            phone: p.phone.as_deref(),
            accreditations: Accreditation::all(&p.accreditations),
            certifications: &p.certifications,
        }
    }
}

#[derive(Serialize)]
pub struct ImporterView<'a> {
    pub market: &'a str,
    pub party: PartyView<'a>,
}

#[derive(Serialize)]
pub struct LotView<'a> {
    pub lot: &'a str,
    pub url: String,
    pub made: String,
    pub made_iso: String,
    pub place: &'a str,
    pub factory: Option<PartyView<'a>>,
}

#[derive(Serialize)]
pub struct EvidenceView<'a> {
    pub report: &'a str,
    pub lab: PartyView<'a>,
    pub date: String,
    pub date_iso: String,
    pub place: Option<&'a str>,
    pub covers: &'a [String],
    pub result: crate::content::TestResult,
    pub lots: &'a [String],
    pub all_lots: bool,
    pub file_url: Option<String>,
    /// Dated on or before `as_of`: a report dated later has not happened and backs no
    /// rule, and the page says so beside it.
    pub counted: bool,
}

#[derive(Serialize)]
pub struct DeclarationView<'a> {
    pub key: &'a str,
    pub value: bool,
    pub doc: &'a str,
}

#[derive(Serialize)]
pub struct ProductView<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub brand: Option<&'a str>,
    pub model: &'a str,
    pub gtin: Option<String>,
    pub sku: Option<&'a str>,
    pub url: String,
    pub image_url: Option<String>,
    pub status: Status,
    pub withdrawn: bool,
    pub description: Option<&'a str>,
    pub categories: Vec<Term<'a>>,
    pub age: Option<AgeView>,
    pub attributes: Vec<AttrView<'a>>,
    pub markets: Vec<MarketView<'a>>,
    pub manufacturer: PartyView<'a>,
    pub importers: Vec<ImporterView<'a>>,
    pub records_custodian: Option<PartyView<'a>>,
    pub lots: Vec<LotView<'a>>,
    pub evidence: Vec<EvidenceView<'a>>,
    pub declarations: Vec<DeclarationView<'a>>,
    pub source: &'a str,
}

impl<'a> ProductView<'a> {
    pub fn new(
        p: &'a Product,
        vocabulary: &'a Vocabulary,
        base_path: &str,
        as_of: time::Date,
    ) -> Self {
        let doc = |map: &'a std::collections::BTreeMap<String, String>, k: &str| {
            map.get(k).map_or("", String::as_str)
        };
        ProductView {
            id: &p.id,
            name: &p.name,
            brand: p.brand.as_deref(),
            model: &p.model,
            gtin: p.gtin.map(|g| g.as_gtin14()),
            sku: p.sku.as_deref(),
            url: url::product(&p.id).under(base_path),
            image_url: p.image.as_ref().map(|i| url::asset(i).under(base_path)),
            status: p.status,
            withdrawn: p.status == Status::Withdrawn,
            description: p.description.as_deref(),
            categories: p
                .categories
                .iter()
                .map(|c| Term {
                    id: c,
                    doc: doc(&vocabulary.categories, c),
                })
                .collect(),
            age: p.age.map(|a| AgeView {
                min_months: a.min_months,
                max_months: a.max_months,
                text: a.describe(),
            }),
            attributes: p
                .attributes
                .iter()
                .map(|(name, value)| AttrView {
                    name,
                    value,
                    doc: vocabulary
                        .attributes
                        .get(name)
                        .map_or("", |a| a.doc.as_str()),
                })
                .collect(),
            markets: p
                .markets
                .iter()
                .map(|m| MarketView {
                    code: m.code(),
                    name: m.name(),
                })
                .collect(),
            manufacturer: PartyView::new(&p.manufacturer),
            importers: p
                .importers
                .iter()
                .map(|(m, party)| ImporterView {
                    market: m.code(),
                    party: PartyView::new(party),
                })
                .collect(),
            records_custodian: p.records_custodian.as_deref().map(PartyView::new),
            lots: p
                .lots
                .iter()
                .map(|l| LotView {
                    lot: &l.lot,
                    url: url::lot(&p.id, &l.lot).under(base_path),
                    made: l.made.display(),
                    made_iso: l.made.to_string(),
                    place: &l.place,
                    factory: l.factory.as_deref().map(PartyView::new),
                })
                .collect(),
            evidence: p
                .evidence
                .iter()
                .map(|e| EvidenceView {
                    report: &e.report,
                    lab: PartyView::new(&e.lab),
                    date: crate::date::RecordDate::Day(e.date).display(),
                    date_iso: iso(e.date),
                    place: e.place.as_deref(),
                    covers: &e.covers,
                    result: e.result,
                    lots: &e.lots,
                    all_lots: e.lots.is_empty(),
                    file_url: e.file.as_ref().map(|f| url::asset(f).under(base_path)),
                    counted: e.date <= as_of,
                })
                .collect(),
            declarations: p
                .declarations
                .iter()
                .map(|(key, value)| DeclarationView {
                    key,
                    value: *value,
                    doc: doc(&vocabulary.declarations, key),
                })
                .collect(),
            source: &p.file,
        }
    }
}

#[derive(Serialize)]
pub struct GuidanceLink<'a> {
    pub title: &'a str,
    pub url: String,
    pub summary: Option<&'a str>,
}

#[derive(Serialize)]
pub struct GuidanceGroup<'a> {
    pub jurisdiction: &'a str,
    pub pages: Vec<GuidanceLink<'a>>,
}

/// Guidance pages grouped by jurisdiction (general pages first), each group ordered by
/// weight, then title.
pub fn guidance_groups<'a>(pages: &'a [GuidancePage], base_path: &str) -> Vec<GuidanceGroup<'a>> {
    let mut sorted: Vec<&GuidancePage> = pages.iter().collect();
    sorted.sort_by(|a, b| {
        (
            a.jurisdiction.is_some(),
            &a.jurisdiction,
            a.weight,
            &a.title,
            &a.path,
        )
            .cmp(&(
                b.jurisdiction.is_some(),
                &b.jurisdiction,
                b.weight,
                &b.title,
                &b.path,
            ))
    });
    let mut groups: Vec<GuidanceGroup> = Vec::new();
    for p in sorted {
        let j = p.jurisdiction.as_deref().unwrap_or("General");
        let link = GuidanceLink {
            title: &p.title,
            url: url::guidance(&p.path).under(base_path),
            summary: p.summary.as_deref(),
        };
        match groups.last_mut() {
            Some(g) if g.jurisdiction == j => g.pages.push(link),
            _ => groups.push(GuidanceGroup {
                jurisdiction: j,
                pages: vec![link],
            }),
        }
    }
    groups
}

#[derive(Serialize)]
pub struct GuidanceView<'a> {
    pub title: &'a str,
    pub summary: Option<&'a str>,
    pub jurisdiction: Option<&'a str>,
    pub updated: Option<String>,
    pub content: &'a str,
    pub toc: &'a [crate::content::guidance::TocEntry],
}

impl<'a> GuidanceView<'a> {
    pub fn new(p: &'a GuidancePage) -> Self {
        GuidanceView {
            title: &p.title,
            summary: p.summary.as_deref(),
            jurisdiction: p.jurisdiction.as_deref(),
            updated: p.updated.map(|d| d.display()),
            content: &p.content,
            toc: &p.toc,
        }
    }
}

/// A product's assessment in one market, for its page.
#[derive(Serialize)]
pub struct AssessmentView<'a> {
    pub plugin: &'a str,
    pub plugin_name: &'a str,
    pub market: &'a str,
    pub market_name: &'static str,
    pub certificate: Option<&'a crate::assess::CertificateStatus>,
    pub requirements: Vec<RequirementView<'a>>,
    pub labels: &'a [crate::assess::LabelText],
    pub marks: Vec<super::names::MarkView<'a>>,
    /// True when every applicable requirement is satisfied.
    pub complete: bool,
    /// The market's pack issues certificates: with none assessed and requirements open,
    /// whether one is needed waits on them (never "none is required").
    pub regime: bool,
    /// The requirements by what backs them, for the one-line summary that stands in for
    /// the table where a certificate in force lists them (compliance.html).
    pub tested: usize,
    pub from_record: usize,
    pub seller_checks: usize,
}

/// A requirement's status, with what backs it in words when that is not a test report.
#[derive(Serialize)]
pub struct RequirementView<'a> {
    #[serde(flatten)]
    pub status: &'a crate::assess::RequirementStatus,
    /// "stated in the record" for a declaration, "shown in the record" for a fact of the
    /// record; `None` for a test (its report number is `evidence`) or when nothing backs it.
    pub evidence_text: Option<&'static str>,
}

impl<'a> RequirementView<'a> {
    pub fn new(r: &'a crate::assess::RequirementStatus) -> Self {
        RequirementView {
            status: r,
            evidence_text: (r.evidence.is_some() && r.kind != EvidenceKind::Test)
                .then(|| super::names::evidence(r.kind)),
        }
    }
}

pub fn assessments<'a>(
    list: &'a [crate::assess::Assessment],
    plugins: &'a [crate::plugins::Plugin],
) -> Vec<AssessmentView<'a>> {
    list.iter()
        .map(|a| AssessmentView {
            plugin: &a.plugin,
            plugin_name: plugins
                .iter()
                .find(|p| p.id == a.plugin)
                .map_or("", |p| p.name.as_str()),
            market: &a.market,
            market_name: crate::ident::Market::parse(&a.market).map_or("", |m| m.name()),
            certificate: a.certificate.as_ref(),
            requirements: a.requirements.iter().map(RequirementView::new).collect(),
            labels: &a.labels,
            marks: super::names::marks(plugins, &a.plugin, &a.marks),
            complete: a.gaps().next().is_none(),
            regime: super::lot::issues_certificates(plugins, &a.plugin),
            tested: kinds(a, |k| k == EvidenceKind::Test),
            from_record: kinds(a, |k| {
                matches!(
                    k,
                    EvidenceKind::Declaration | EvidenceKind::Record | EvidenceKind::Label
                )
            }),
            seller_checks: kinds(a, |k| k == EvidenceKind::Info),
        })
        .collect()
}

/// How many of `a`'s requirements are backed by a kind of evidence `of` accepts.
fn kinds(a: &crate::assess::Assessment, of: impl Fn(EvidenceKind) -> bool) -> usize {
    a.requirements.iter().filter(|r| of(r.kind)).count()
}

/// A label `build` printed, for the product page.
#[derive(Serialize)]
pub struct LabelLink {
    /// None for a product without lots.
    pub lot: Option<String>,
    /// The image to show: the SVG, else the PNG.
    pub image_url: Option<String>,
    /// (format, URL) of every file printed.
    pub files: Vec<(&'static str, String)>,
}

/// The product's labels in the configured formats (the files `build` writes).
pub fn labels(site: &Site, p: &Product) -> Vec<LabelLink> {
    use crate::config::LabelFormat;
    let base = site.config.base_path();
    let formats = &site.config.labels.formats;
    // This product's labels only: scanning every product here is quadratic.
    p.labelled_lots()
        .into_iter()
        .map(|lot| {
            let lot_code = lot.map(|l| l.lot.as_str());
            let href = |ext: &str| crate::url::label(&p.id, lot_code, ext).under(base);
            let files: Vec<(&'static str, String)> = formats
                .iter()
                .map(|f| {
                    let ext = match f {
                        LabelFormat::Svg => "svg",
                        LabelFormat::Png => "png",
                        LabelFormat::Pdf => "pdf",
                        LabelFormat::Zpl => "zpl",
                    };
                    (ext, href(ext))
                })
                .collect();
            let image_url = ["svg", "png"]
                .iter()
                .find_map(|e| files.iter().find(|(x, _)| x == e).map(|(_, u)| u.clone()));
            LabelLink {
                lot: lot_code.map(String::from),
                image_url,
                files,
            }
        })
        .collect()
}
