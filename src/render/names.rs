//! What public pages call the ids that records and rule packs use: marks, accreditation
//! schemes and kinds of evidence. A rule pack's own words come first (a mark's `title` in
//! `plugin.yaml`); this table covers what the packs do not name.

use crate::plugins::Plugin;
use crate::plugins::rules::EvidenceKind;
use serde::Serialize;

/// A lab's accreditation as a sentence fragment: `cpsc: "1234"` is "CPSC-accepted lab
/// no. 1234" (the lab rule `lab: cpsc` of the US certificates asks for it).
pub fn accreditation(scheme: &str, id: &str) -> String {
    match scheme {
        "cpsc" => format!("CPSC-accepted lab no. {id}"),
        "iso17025" => format!("ISO/IEC 17025 accreditation {id}"),
        "ilac" => format!("ILAC MRA accreditation {id}"),
        "ukas" => format!("UKAS accreditation no. {id}"),
        "a2la" => format!("A2LA accreditation no. {id}"),
        "cnas" => format!("CNAS accreditation no. {id}"),
        "dakks" => format!("DAkkS accreditation {id}"),
        "nata" => format!("NATA accreditation no. {id}"),
        "scc" => format!("SCC accreditation no. {id}"),
        _ => format!("{scheme} accreditation {id}"),
    }
}

/// What backs a requirement that no test report does: the words for the evidence column.
pub fn evidence(kind: EvidenceKind) -> &'static str {
    match kind {
        EvidenceKind::Test => "test report",
        EvidenceKind::Declaration => "stated in the record",
        EvidenceKind::Record => "shown in the record",
        EvidenceKind::Label => "on the label",
        EvidenceKind::Info => "for the seller to check",
    }
}

/// Marks the shipped packs use, for a pack (a command plugin, say) that names none.
fn mark_fallback(id: &str) -> Option<&'static str> {
    Some(match id {
        "ce" => "CE marking",
        "ukca" => "UKCA marking",
        "ukni" => "UKNI marking",
        "age-0-3" => "Age warning symbol: not suitable for children under 3 (0-3)",
        "rcm" => "Regulatory Compliance Mark (RCM)",
        _ => return None,
    })
}

/// A mark a market requires: its artwork id and its name.
#[derive(Serialize)]
pub struct MarkView<'a> {
    pub id: &'a str,
    pub name: String,
}

/// The marks `plugin` requires, each by the title its pack gives it, else by this
/// module's table, else by its id.
pub fn marks<'a>(plugins: &[Plugin], plugin: &str, ids: &'a [String]) -> Vec<MarkView<'a>> {
    let pack = plugins
        .iter()
        .find(|p| p.id == plugin)
        .and_then(|p| p.rules());
    ids.iter()
        .map(|id| {
            let titled = pack
                .and_then(|r| r.marks.iter().find(|m| m.raw.id == *id))
                .and_then(|m| m.raw.title.clone());
            MarkView {
                id,
                name: titled
                    .or_else(|| mark_fallback(id).map(String::from))
                    .unwrap_or_else(|| id.clone()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_for_people() {
        assert_eq!(accreditation("cpsc", "1234"), "CPSC-accepted lab no. 1234");
        assert_eq!(
            accreditation("iso17025", "L1"),
            "ISO/IEC 17025 accreditation L1"
        );
        assert_eq!(accreditation("other", "X"), "other accreditation X");
        assert_eq!(evidence(EvidenceKind::Declaration), "stated in the record");
        let ids = vec!["ce".to_string(), "ukca".to_string(), "zz".to_string()];
        let names: Vec<String> = marks(&[], "eu-toys", &ids)
            .into_iter()
            .map(|m| m.name)
            .collect();
        assert_eq!(names, ["CE marking", "UKCA marking", "zz"]);
    }
}
