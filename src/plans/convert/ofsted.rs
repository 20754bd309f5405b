//! The Ofsted cell: descriptor codes as written (`LG .4.15`, `3.21`, `EHP 3.14`) normalised to
//! area, section and item (`LG4.15`, `QP3.21`, `EHP3.14`).

use super::text::eat_digits;
use crate::actions::OfstedArea;
use crate::plans::format::OfstedDescriptor;

/// The area whose section number is `section` (1 OE, 2 EHP, 3 QP, 4 LG).
fn area_of_section(section: &str) -> Option<OfstedArea> {
    match section {
        "1" => Some(OfstedArea::OE),
        "2" => Some(OfstedArea::EHP),
        "3" => Some(OfstedArea::QP),
        "4" => Some(OfstedArea::LG),
        _ => None,
    }
}

fn section_of_area(area: OfstedArea) -> &'static str {
    match area {
        OfstedArea::OE => "1",
        OfstedArea::EHP => "2",
        OfstedArea::QP => "3",
        OfstedArea::LG => "4",
    }
}

/// A descriptor number as written (`3.21`, `.4.15`, `3.8.`, `7`) → (section, item).
/// Stray dots at either end are typos (`LG .4.15`, `LG. 4.18`, `3.8.`) and are dropped.
fn descriptor_number(s: &str) -> Option<(Option<&str>, &str)> {
    let t = s.trim().trim_matches('.').trim().trim_start_matches('.');
    let (a, rest) = eat_digits(t)?;
    if rest.is_empty() {
        return Some((None, a));
    }
    let (b, rest) = eat_digits(rest.strip_prefix('.')?)?;
    rest.is_empty().then_some((Some(a), b))
}

fn area_prefix(word: &str) -> Option<(OfstedArea, &str)> {
    // Longest first so `EHP` is not read as something shorter.
    [
        OfstedArea::EHP,
        OfstedArea::OE,
        OfstedArea::QP,
        OfstedArea::LG,
    ]
    .into_iter()
    .find_map(|a| word.strip_prefix(a.as_str()).map(|r| (a, r)))
}

/// Splits an Ofsted cell into normalised descriptors (duplicates of a code keep the first).
pub(crate) fn parse_ofsted(cell: &str) -> Result<Vec<OfstedDescriptor>, String> {
    let words: Vec<&str> = cell.split_whitespace().collect();
    let mut out: Vec<OfstedDescriptor> = Vec::new();
    let mut i = 0;
    while let Some(&w) = words.get(i) {
        let desc = if let Some((area, rest)) = area_prefix(w) {
            let after = rest.trim_start_matches('.');
            let (raw, number) = if after.is_empty() {
                // `LG` alone, or `LG .4.15`, `LG. 4.18`, `EHP 3.14` (number in the next word).
                match words.get(i + 1).filter(|n| descriptor_number(n).is_some()) {
                    Some(n) => {
                        i += 1;
                        (format!("{w} {n}"), Some(*n))
                    }
                    None => (w.to_string(), None),
                }
            } else {
                (w.to_string(), Some(rest))
            };
            match number {
                None => OfstedDescriptor {
                    code: area.as_str().to_string(),
                    area,
                    raw,
                },
                Some(n) => {
                    let (section, item) = descriptor_number(n)
                        .ok_or_else(|| format!("unrecognised Ofsted descriptor {raw:?}"))?;
                    // An area with an item but no section (`LG.7`) takes the area's own section:
                    // LG.7 is LG4.7, which 2.6's sibling actions 2.2/2.4 cite with LG4.1.
                    let section = section.unwrap_or(section_of_area(area));
                    OfstedDescriptor {
                        code: format!("{}{section}.{item}", area.as_str()),
                        area,
                        raw,
                    }
                }
            }
        } else {
            // A bare number names the area of its section (3.21 = QP3.21).
            match descriptor_number(w) {
                Some((Some(section), item)) => {
                    let area = area_of_section(section)
                        .ok_or_else(|| format!("Ofsted descriptor {w:?} names no known section"))?;
                    OfstedDescriptor {
                        code: format!("{}{section}.{item}", area.as_str()),
                        area,
                        raw: w.to_string(),
                    }
                }
                _ => return Err(format!("unrecognised Ofsted descriptor {w:?}")),
            }
        };
        if !out.iter().any(|d| d.code == desc.code) {
            out.push(desc);
        }
        i += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ofsted(cell: &str) -> Vec<(String, OfstedArea, String)> {
        parse_ofsted(cell)
            .expect("ofsted parses")
            .into_iter()
            .map(|d| (d.code, d.area, d.raw))
            .collect()
    }

    fn d(code: &str, area: OfstedArea, raw: &str) -> (String, OfstedArea, String) {
        (code.into(), area, raw.into())
    }

    #[test]
    fn ofsted_codes() {
        use OfstedArea::*;
        assert_eq!(
            ofsted("QP3.3 EHP2.2"),
            vec![d("QP3.3", QP, "QP3.3"), d("EHP2.2", EHP, "EHP2.2")]
        );
        assert_eq!(
            ofsted("EHP 3.14 QP 3.19 LG 4.16"),
            vec![
                d("EHP3.14", EHP, "EHP 3.14"),
                d("QP3.19", QP, "QP 3.19"),
                d("LG4.16", LG, "LG 4.16")
            ]
        );
        assert_eq!(ofsted("LG .4.15"), vec![d("LG4.15", LG, "LG .4.15")]);
        assert_eq!(ofsted("LG. 4.18"), vec![d("LG4.18", LG, "LG. 4.18")]);
        assert_eq!(ofsted("LG.7"), vec![d("LG4.7", LG, "LG.7")]);
        assert_eq!(ofsted("3.8."), vec![d("QP3.8", QP, "3.8.")]);
        assert_eq!(
            ofsted("1.2 2.5 3.21 4.5"),
            vec![
                d("OE1.2", OE, "1.2"),
                d("EHP2.5", EHP, "2.5"),
                d("QP3.21", QP, "3.21"),
                d("LG4.5", LG, "4.5")
            ]
        );
        assert_eq!(ofsted("LG"), vec![d("LG", LG, "LG")]);
        assert_eq!(ofsted("EHP3.14"), vec![d("EHP3.14", EHP, "EHP3.14")]);
        assert_eq!(ofsted("LG4.6 4.6"), vec![d("LG4.6", LG, "LG4.6")]);
        assert_eq!(ofsted(""), vec![]);
        assert!(parse_ofsted("5.1").is_err());
        assert!(parse_ofsted("XY3.1").is_err());
        assert!(parse_ofsted("LGA").is_err());
    }
}
