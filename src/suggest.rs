//! "Did you mean …?": the valid name nearest to a mistyped one, for every error about an
//! unknown key, value, id or command-line argument, so they all suggest alike.

/// The known name nearest to `name`, if it is close enough to be a likely typo: at most
/// two edits (a swap of two letters is one), and at most a third of the longer name
/// (so `id` is not offered for `n`), and only when no other name is as close (a lot
/// `2026-03Z` could be `2026-03A` or `2026-03B`: neither is offered). Case is ignored.
pub fn closest<'a, S: AsRef<str> + ?Sized + 'a>(
    name: &str,
    known: impl IntoIterator<Item = &'a S>,
) -> Option<&'a str> {
    // Only id-sized words are worth a suggestion: it keeps this cheap on hostile input.
    if name.len() > 64 {
        return None;
    }
    let lower = name.to_lowercase();
    let mut best: Option<(usize, &str)> = None;
    let mut tied = false;
    for k in known {
        let k = k.as_ref();
        if k.len().abs_diff(name.len()) > 2 || k.len() > 64 {
            continue;
        }
        let d = strsim::damerau_levenshtein(&lower, &k.to_lowercase());
        let longer = k.chars().count().max(name.chars().count());
        if d > 2 || d * 3 > longer {
            continue;
        }
        match best {
            Some((b, other)) if d == b => tied |= !other.eq_ignore_ascii_case(k),
            Some((b, _)) if d > b => {}
            _ => {
                best = Some((d, k));
                tied = false;
            }
        }
    }
    best.filter(|_| !tied).map(|(_, k)| k)
}

/// `` `a`, `b`, `c` ``: a list of names as messages quote them.
pub fn quoted<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> String {
    names
        .into_iter()
        .map(|n| format!("`{}`", n.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The names serde lists after "expected" in an unknown-field or unknown-variant
/// message: "expected one of `a`, `b`", "expected `a` or `b`", "expected `a`",
/// "there are no fields".
fn expected_names(tail: &str) -> Vec<String> {
    tail.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// A serde "unknown field" or "unknown variant" message, retold with the nearest valid
/// name. Returns the code (`unknown-key` or `wrong-value`), the message and, when the
/// message suggests one name, a help line with all of them; `None` for any other message.
///
/// `path: unknown field `modle`, expected one of `id`, `model`` becomes
/// "path: unknown field `modle`; did you mean `model`?" with the valid fields as help.
pub fn retell(message: &str) -> Option<(&'static str, String, Option<String>)> {
    let (code, marker, choices) = if message.contains("unknown field `") {
        ("unknown-key", "unknown field `", "valid fields")
    } else if message.contains("unknown variant `") {
        ("wrong-value", "unknown variant `", "choose one of")
    } else {
        return None;
    };
    let start = message.find(marker)?;
    let prefix = &message[..start];
    let rest = &message[start + marker.len()..];
    let end = rest.find('`')?;
    let name = &rest[..end];
    let known = expected_names(&rest[end + 1..]);
    let close = closest(name, &known);
    let list = if known.is_empty() {
        "none".to_string()
    } else {
        quoted(&known)
    };
    let message = match (code, close) {
        ("unknown-key", Some(c)) => format!("{prefix}unknown field `{name}`; did you mean `{c}`?"),
        ("unknown-key", None) => format!("{prefix}unknown field `{name}`; valid fields: {list}"),
        (_, Some(c)) => {
            format!("{prefix}`{name}` is not a valid value (one of {list}); did you mean `{c}`?")
        }
        (_, None) => format!("{prefix}`{name}` is not a valid value: choose one of {list}"),
    };
    let help = close.map(|_| format!("{choices}: {list}"));
    Some((code, message, help))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_only_close_names() {
        let keys = ["id", "name", "model", "manufacturer", "markets"];
        assert_eq!(closest("modle", keys.iter().copied()), Some("model"));
        assert_eq!(closest("Modell", keys.iter().copied()), Some("model"));
        assert_eq!(
            closest("manufactuer", keys.iter().copied()),
            Some("manufacturer")
        );
        assert_eq!(closest("colour", keys.iter().copied()), None);
        assert_eq!(closest("n", keys.iter().copied()), None);
        assert_eq!(
            closest("passed", ["pass", "fail"].iter().copied()),
            Some("pass")
        );
        assert_eq!(
            closest("labb", ["manufacturer", "lab"].iter().copied()),
            Some("lab")
        );
        // Two as close: neither.
        let lots = ["2026-03A", "2026-03B", "2026-04A"];
        assert_eq!(closest("2026-03Z", lots.iter().copied()), None);
        assert_eq!(closest("2026-3A", lots.iter().copied()), Some("2026-03A"));
    }

    #[test]
    fn retells_serde_messages() {
        let (code, m, help) =
            retell("unknown field `modle`, expected one of `id`, `name`, `model`").unwrap();
        assert_eq!(code, "unknown-key");
        assert_eq!(m, "unknown field `modle`; did you mean `model`?");
        assert_eq!(help.unwrap(), "valid fields: `id`, `name`, `model`");
        let (_, m, help) =
            retell("age: unknown field `colour`, expected `min_months` or `max_months`").unwrap();
        assert_eq!(help, None);
        assert_eq!(
            m,
            "age: unknown field `colour`; valid fields: `min_months`, `max_months`"
        );
        let (code, m, _) =
            retell("evidence[0].result: unknown variant `passed`, expected `pass` or `fail`")
                .unwrap();
        assert_eq!(code, "wrong-value");
        assert_eq!(
            m,
            "evidence[0].result: `passed` is not a valid value (one of `pass`, `fail`); did you mean `pass`?"
        );
        assert!(retell("missing field `id`").is_none());
    }
}
