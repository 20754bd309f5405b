//! What an action cites: the reference cell (documents and people who raised it) and the
//! number cell's "Link to" list of other actions.

use std::sync::LazyLock;

use regex::Regex;

use super::text::{collapse, re};

static LINK_CODE: LazyLock<Regex> = LazyLock::new(|| re(r"^\d{1,6}\.\d{1,6}$"));

/// Reference cell → codes in order (`AA1 AA3`, `JD`, `Staff via KOM`).
pub(super) fn parse_references(cell: &str, known: &[String]) -> Result<Vec<String>, String> {
    let mut sorted: Vec<&String> = known.iter().collect();
    sorted.sort_by_key(|c| std::cmp::Reverse(c.len()));
    let mut out = Vec::new();
    let mut rest = cell.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
    while !rest.is_empty() {
        let found = sorted.iter().find_map(|code| {
            let r = rest.strip_prefix(code.as_str())?;
            (!r.starts_with(|c: char| c.is_alphanumeric())).then_some((code.as_str(), r))
        });
        let Some((code, r)) = found else {
            let shown: String = rest.chars().take(30).collect();
            return Err(format!("unknown reference {shown:?}"));
        };
        if !out.iter().any(|c: &String| c == code) {
            out.push(code.to_string());
        }
        rest = r.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
    }
    Ok(out)
}

/// "Link to 3.9 2.8 1.2 and 1.3" → codes.
pub(super) fn parse_links(text: &str) -> Result<Vec<String>, String> {
    let t = collapse(text);
    if t.is_empty() {
        return Ok(Vec::new());
    }
    let Some(list) = t.strip_prefix("Link to") else {
        return Err(format!("unexpected text {t:?} in the number cell"));
    };
    let mut out = Vec::new();
    for w in list.split(|c: char| c.is_whitespace() || c == ',') {
        if w.is_empty() || w == "and" {
            continue;
        }
        if !LINK_CODE.is_match(w) {
            return Err(format!("unrecognised link target {w:?}"));
        }
        if !out.iter().any(|c: &String| c == w) {
            out.push(w.to_string());
        }
    }
    if out.is_empty() {
        return Err("\"Link to\" names no action".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::tests::s;
    use super::*;

    #[test]
    fn references_and_links() {
        let known = s(&["AA1", "AA3", "JD", "Staff via KOM"]);
        assert_eq!(
            parse_references("AA1 AA3", &known).expect("ok"),
            s(&["AA1", "AA3"])
        );
        assert_eq!(
            parse_references("Staff via KOM", &known).expect("ok"),
            s(&["Staff via KOM"])
        );
        assert!(parse_references("AA9", &known).is_err());
        assert_eq!(
            parse_links("Link to 3.9 2.8 1.2 and 1.3").expect("ok"),
            s(&["3.9", "2.8", "1.2", "1.3"])
        );
        assert_eq!(parse_links("").expect("ok"), Vec::<String>::new());
        assert!(parse_links("Link to").is_err());
        assert!(parse_links("see 1.2").is_err());
    }
}
