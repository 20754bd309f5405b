//! Text primitives for the cell parsers: cleaning cell text (tags, HTML entities, whitespace),
//! rejoining continuation lines, and small prefix scanners.

use std::sync::LazyLock;

use regex::Regex;

pub(super) fn re(pattern: &str) -> Regex {
    // Patterns are constants of the converter, exercised by the tests.
    Regex::new(pattern).expect("constant regex is valid")
}

static TAG: LazyLock<Regex> = LazyLock::new(|| re(r"<(/?)([A-Za-z][A-Za-z0-9]*)\b[^<>]*>"));
static ENTITY: LazyLock<Regex> =
    LazyLock::new(|| re(r"&(?:#([0-9]{1,7})|#[xX]([0-9A-Fa-f]{1,6})|([A-Za-z]+));"));

/// Inline formatting tags vanish; block tags (`<p>`, `<ul>`, `<li>`, `<h2>` ...) become a space.
fn strip_tags(s: &str) -> String {
    TAG.replace_all(s, |c: &regex::Captures| {
        let name = c.get(2).map_or("", |m| m.as_str()).to_ascii_lowercase();
        match name.as_str() {
            "i" | "b" | "em" | "strong" | "u" | "span" | "font" => "",
            _ => " ",
        }
    })
    .into_owned()
}

/// Decodes HTML character references (`&amp;`, `&#8211;` ...); unknown ones are kept as written.
fn decode_entities(s: &str) -> String {
    ENTITY
        .replace_all(s, |c: &regex::Captures| {
            let whole = c.get(0).map_or("", |m| m.as_str()).to_string();
            let decoded = if let Some(d) = c.get(1) {
                d.as_str().parse::<u32>().ok().and_then(char::from_u32)
            } else if let Some(h) = c.get(2) {
                u32::from_str_radix(h.as_str(), 16)
                    .ok()
                    .and_then(char::from_u32)
            } else {
                match c.get(3).map_or("", |m| m.as_str()) {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    "nbsp" => Some(' '),
                    _ => None,
                }
            };
            decoded.map_or(whole, String::from)
        })
        .into_owned()
}

pub(super) fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Cell text: tags stripped, entities decoded, whitespace collapsed and trimmed.
pub(super) fn clean(s: &str) -> String {
    collapse(&decode_entities(&strip_tags(s)))
}

/// Appends a continuation fragment to a cell. A word broken by a hyphen at the end of a line
/// (`multi-` + `agency data audit`, 3.9 and 3.16) is rejoined without a space; otherwise a space.
pub(super) fn append_cell(dst: &mut String, add: &str) {
    let add = add.trim();
    if add.is_empty() {
        return;
    }
    let trimmed = dst.trim_end();
    if trimmed.is_empty() {
        dst.clear();
        dst.push_str(add);
        return;
    }
    let mut tail = trimmed.chars().rev();
    let hyphenated = tail.next() == Some('-') && tail.next().is_some_and(|c| c.is_alphabetic());
    let len = trimmed.len();
    dst.truncate(len);
    if !hyphenated {
        dst.push(' ');
    }
    dst.push_str(add);
}

/// Case-insensitive ASCII prefix; returns the rest.
pub(super) fn eat_ci<'a>(s: &'a str, word: &str) -> Option<&'a str> {
    let head = s.get(..word.len())?;
    if head.eq_ignore_ascii_case(word) {
        s.get(word.len()..)
    } else {
        None
    }
}

/// Like [`eat_ci`], but the word must end there (no letter or digit follows).
pub(super) fn eat_word<'a>(s: &'a str, word: &str) -> Option<&'a str> {
    let rest = eat_ci(s, word)?;
    if rest.starts_with(|c: char| c.is_alphanumeric()) {
        None
    } else {
        Some(rest)
    }
}

pub(super) fn eat_digits(s: &str) -> Option<(&str, &str)> {
    let n = s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if n == 0 {
        return None;
    }
    Some((s.get(..n)?, s.get(n..)?))
}

/// The text consumed between `start` and its suffix `rest`.
pub(super) fn consumed<'a>(start: &'a str, rest: &str) -> &'a str {
    start
        .get(..start.len().saturating_sub(rest.len()))
        .unwrap_or(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_strips_tags_decodes_entities_and_collapses() {
        assert_eq!(
            clean("Develop the use of <i>Understanding Herefordshire</i>  to"),
            "Develop the use of Understanding Herefordshire to"
        );
        assert_eq!(clean("<p>a</p><p>b</p>"), "a b");
        assert_eq!(
            clean("C&C &amp; Co &#8211; x &bogus;"),
            "C&C & Co – x &bogus;"
        );
        assert_eq!(clean("  \t "), "");
    }

    #[test]
    fn continuation_rejoins_hyphenated_words_only() {
        let mut s = "Commissioning data, multi-".to_string();
        append_cell(&mut s, "agency data audit");
        assert_eq!(s, "Commissioning data, multi-agency data audit");
        let mut s = "Oct 12 –".to_string();
        append_cell(&mut s, "Dec 12");
        assert_eq!(s, "Oct 12 – Dec 12");
        let mut s = String::new();
        append_cell(&mut s, " x ");
        append_cell(&mut s, "");
        assert_eq!(s, "x");
    }
}
