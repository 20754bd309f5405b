//! Argument and variable values: ordinary ones drawn from the shipped plan (so that generated
//! documents reach the database), and adversarial ones (`ValueTwist`) put in their place.
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde_json::{json, Map, Value};

use super::rng::Rng;
use super::schema::{Kind, Schema, Ty};

pub const PLAN: &str = "herefordshire-2012";
pub const LEADS: &[&str] = &[
    "KOM", "DM", "JRez", "J.Rez", "PMe", "CB", "JRoberts", "BA", "JD", "AC", "DMcM", "LK",
];
pub const WORKSTREAMS: &[&str] = &[
    "Practice",
    "Commissioning",
    "HSCB",
    "LAC",
    "Workforce",
    "QA",
    "MASH",
    "Strengthening Governance",
];
pub const REFERENCES: &[&str] = &["AA1", "AA2", "AA7", "JD", "Staff via KOM"];
pub const DESCRIPTORS: &[&str] = &["QP3.7", "3.7", "OE", "EHP", "LG", "qp 3.21", "LG .4.15"];
pub const CODES: &[&str] = &["1.1", "1.2", "2.1 (a)", "3.4", "5.12", "9.99", ""];
pub const WORDS: &[&str] = &[
    "audit",
    "children",
    "social",
    "care",
    "plan",
    "staff",
    "review",
    "safeguarding",
    "the",
    "100%",
    "a_b",
    "partners",
];

/// A value as both a GraphQL literal and JSON (for variables).
#[derive(Debug, Clone)]
pub enum V {
    Null,
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    Enum(String),
    List(Vec<V>),
    Obj(Vec<(String, V)>),
    /// What only a document can say (`1e400`, `NaN`, `[[[…]]]` 5,000 deep), with the
    /// nearest JSON in case it is sent as a variable anyway.
    Raw {
        lit: String,
        json: Value,
    },
    /// What only the variables can say (nesting past what a literal is allowed).
    JsonOnly(Value),
    /// `$name`: the value was declared as a variable.
    Var(String),
}

impl V {
    pub fn lit(&self) -> String {
        let mut s = String::new();
        self.write_lit(&mut s);
        s
    }

    fn write_lit(&self, out: &mut String) {
        match self {
            V::Null => out.push_str("null"),
            V::Int(n) => out.push_str(&n.to_string()),
            V::Float(f) => out.push_str(&format!("{f:?}")),
            V::Str(s) => quote(s, out),
            V::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            V::Enum(e) => out.push_str(e),
            V::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write_lit(out);
                }
                out.push(']');
            }
            V::Obj(fields) => {
                out.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(k);
                    out.push_str(": ");
                    v.write_lit(out);
                }
                out.push('}');
            }
            V::Raw { lit, .. } => out.push_str(lit),
            V::JsonOnly(j) => out.push_str(&j.to_string()),
            V::Var(name) => {
                out.push('$');
                out.push_str(name);
            }
        }
    }

    pub fn json(&self) -> Value {
        match self {
            V::Null | V::Var(_) => Value::Null,
            V::Int(n) => json!(n),
            V::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            V::Str(s) | V::Enum(s) => Value::String(s.clone()),
            V::Bool(b) => Value::Bool(*b),
            V::List(items) => Value::Array(items.iter().map(V::json).collect()),
            V::Obj(fields) => {
                Value::Object(fields.iter().map(|(k, v)| (k.clone(), v.json())).collect())
            }
            V::Raw { json, .. } | V::JsonOnly(json) => json.clone(),
        }
    }

    /// Must stay in the document (a literal that JSON cannot say, or holds a variable).
    pub fn literal_only(&self) -> bool {
        match self {
            V::Raw { .. } | V::Var(_) => true,
            V::List(items) => items.iter().any(V::literal_only),
            V::Obj(fields) => fields.iter().any(|(_, v)| v.literal_only()),
            _ => false,
        }
    }
}

/// A GraphQL string literal.
pub fn quote(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

pub fn cursor_of(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(text)
}

pub fn id_of(kind: &str, n: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{n}"))
}

/// Adversarial values, each put at one argument or input-field position it fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueTwist {
    LongString,
    ManyWords,
    /// Thousands of words in `search` (each becomes a condition: known to overflow the stack).
    HugeManyWords,
    LongList,
    ExtremeInt,
    DeepJsonVariable,
    DeepListLiteral,
    /// 350+ deep: known to overflow the server's stack.
    HugeDeepListLiteral,
    DeepObjectLiteral,
    HugeDeepObjectLiteral,
    OddCursor,
    OddId,
    OddDate,
    OddDateTime,
    OddEnum,
    OddString,
    NullForNonNull,
    WrongType,
}

impl ValueTwist {
    pub const ALL: [ValueTwist; 18] = [
        ValueTwist::LongString,
        ValueTwist::ManyWords,
        ValueTwist::HugeManyWords,
        ValueTwist::LongList,
        ValueTwist::ExtremeInt,
        ValueTwist::DeepJsonVariable,
        ValueTwist::DeepListLiteral,
        ValueTwist::HugeDeepListLiteral,
        ValueTwist::DeepObjectLiteral,
        ValueTwist::HugeDeepObjectLiteral,
        ValueTwist::OddCursor,
        ValueTwist::OddId,
        ValueTwist::OddDate,
        ValueTwist::OddDateTime,
        ValueTwist::OddEnum,
        ValueTwist::OddString,
        ValueTwist::NullForNonNull,
        ValueTwist::WrongType,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ValueTwist::LongString => "value:long-string",
            ValueTwist::ManyWords => "value:many-words",
            ValueTwist::HugeManyWords => "value:huge-many-words-search",
            ValueTwist::LongList => "value:long-list",
            ValueTwist::ExtremeInt => "value:extreme-int",
            ValueTwist::DeepJsonVariable => "value:deep-json-variable",
            ValueTwist::DeepListLiteral => "value:deep-list-literal",
            ValueTwist::HugeDeepListLiteral => "value:huge-deep-list-literal",
            ValueTwist::DeepObjectLiteral => "value:deep-object-literal",
            ValueTwist::HugeDeepObjectLiteral => "value:huge-deep-object-literal",
            ValueTwist::OddCursor => "value:odd-cursor",
            ValueTwist::OddId => "value:odd-id",
            ValueTwist::OddDate => "value:odd-date",
            ValueTwist::OddDateTime => "value:odd-datetime",
            ValueTwist::OddEnum => "value:odd-enum",
            ValueTwist::OddString => "value:odd-string",
            ValueTwist::NullForNonNull => "value:null-for-non-null",
            ValueTwist::WrongType => "value:wrong-type",
        }
    }

    /// Whether this twist can go at a position named `name` of type `ty`.
    pub fn fits(self, schema: &Schema, name: &str, ty: &Ty) -> bool {
        let inner = ty.nullable();
        let named = ty.named();
        let scalar_string = matches!(inner, Ty::Named(n) if n == "String");
        match self {
            ValueTwist::LongString | ValueTwist::OddString => {
                matches!(inner, Ty::Named(n) if n == "String" || n == "ID")
            }
            ValueTwist::ManyWords => scalar_string,
            ValueTwist::HugeManyWords => scalar_string && name == "search",
            ValueTwist::LongList | ValueTwist::DeepJsonVariable => matches!(inner, Ty::List(_)),
            ValueTwist::ExtremeInt => matches!(inner, Ty::Named(n) if n == "Int"),
            ValueTwist::DeepListLiteral
            | ValueTwist::HugeDeepListLiteral
            | ValueTwist::WrongType => true,
            ValueTwist::DeepObjectLiteral | ValueTwist::HugeDeepObjectLiteral => {
                matches!(inner, Ty::Named(_)) && schema.kind(named) == Kind::Input
            }
            ValueTwist::OddCursor => scalar_string && name == "after",
            ValueTwist::OddId => matches!(inner, Ty::Named(n) if n == "ID"),
            ValueTwist::OddDate => matches!(inner, Ty::Named(n) if n == "Date"),
            ValueTwist::OddDateTime => matches!(inner, Ty::Named(n) if n == "DateTime"),
            ValueTwist::OddEnum => {
                matches!(inner, Ty::Named(_)) && schema.kind(named) == Kind::Enum
            }
            ValueTwist::NullForNonNull => ty.non_null(),
        }
    }

    /// The adversarial value for a position it fits. `max_bytes` bounds its size (a GET's URL
    /// is short).
    pub fn make(self, rng: &mut Rng, schema: &Schema, name: &str, ty: &Ty, max_bytes: usize) -> V {
        match self {
            ValueTwist::LongString => {
                let n =
                    (*rng.pick(&[1_000usize, 10_000, 100_000, 500_000, 1_000_000])).min(max_bytes);
                let unit = *rng.pick(&["a", "é", "😀", "ab ", "\\", "\"", "%", "\u{0}"]);
                V::Str(unit.repeat((n / unit.len()).max(1)))
            }
            ValueTwist::ManyWords => {
                let n = *rng.pick(&[10usize, 50, 100, 200]);
                V::Str(words(rng, n))
            }
            ValueTwist::HugeManyWords => {
                let n = (*rng.pick(&[1_000usize, 2_000, 10_000, 50_000])).min(max_bytes / 2);
                V::Str(words(rng, n))
            }
            ValueTwist::LongList => long_list(rng, schema, name, ty, max_bytes),
            ValueTwist::ExtremeInt => {
                let (lit, json) = rng
                    .pick(&[
                        ("2147483647", json!(2147483647)),
                        ("-2147483648", json!(-2147483648i64)),
                        ("2147483648", json!(2147483648i64)),
                        ("-2147483649", json!(-2147483649i64)),
                        ("9223372036854775807", json!(i64::MAX)),
                        ("9223372036854775808", json!(9223372036854775808u64)),
                        ("18446744073709551616", json!(1.8446744073709552e19)),
                        ("99999999999999999999999999999", json!(1e29)),
                        ("1e308", json!(1e308)),
                        ("-1e308", json!(-1e308)),
                        ("1.5", json!(1.5)),
                        ("-0", json!(-0.0)),
                        ("0", json!(0)),
                        ("-1", json!(-1)),
                        ("NaN", json!("NaN")),
                        ("Infinity", json!("Infinity")),
                        ("\"12\"", json!("12")),
                    ])
                    .clone();
                V::Raw {
                    lit: lit.to_string(),
                    json,
                }
            }
            ValueTwist::DeepJsonVariable => {
                let depth = *rng.pick(&[20usize, 60, 100, 120, 126, 127, 130, 200]);
                let mut v = json!("KOM");
                for i in 0..depth {
                    v = if i % 7 == 6 && rng.chance(0.5) {
                        json!({ "a": v })
                    } else {
                        json!([v])
                    };
                }
                V::JsonOnly(v)
            }
            ValueTwist::DeepListLiteral | ValueTwist::HugeDeepListLiteral => {
                // 350 deep where an input object goes already overflows the stack (found by
                // this suite): the ordinary pool stays well below.
                let depth = if self == ValueTwist::DeepListLiteral {
                    *rng.pick(&[10usize, 50, 100, 150, 200])
                } else {
                    *rng.pick(&[350usize, 500, 1_000, 3_000, 10_000, 100_000])
                };
                let leaf = rng.pick(&["1", "\"KOM\"", "RED", "null", "{}"]).to_string();
                V::Raw {
                    lit: format!("{}{leaf}{}", "[".repeat(depth), "]".repeat(depth)),
                    json: json!([[["KOM"]]]),
                }
            }
            ValueTwist::DeepObjectLiteral | ValueTwist::HugeDeepObjectLiteral => {
                let depth = if self == ValueTwist::DeepObjectLiteral {
                    *rng.pick(&[10usize, 50, 100, 150, 200])
                } else {
                    *rng.pick(&[500usize, 1_000, 3_000, 10_000, 100_000])
                };
                let key = rng.pick(&["a", "search", "leads"]).to_string();
                V::Raw {
                    lit: format!(
                        "{}1{}",
                        format!("{{{key}: ").repeat(depth),
                        "}".repeat(depth)
                    ),
                    json: json!({ "a": { "a": 1 } }),
                }
            }
            ValueTwist::OddCursor => V::Str(odd_cursor(rng, max_bytes)),
            ValueTwist::OddId => odd_id(rng, max_bytes),
            ValueTwist::OddDate => V::Str(
                rng.pick(&[
                    "2013-02-30",
                    "2013-13-01",
                    "2013-00-10",
                    "0000-01-01",
                    "0001-01-01",
                    "9999-12-31",
                    "+275760-09-13",
                    "-0001-01-01",
                    "262143-12-31",
                    "2013-1-1",
                    "20130101",
                    "",
                    "2013-01-01T00:00:00Z",
                    " 2013-01-01",
                    "2013-01-01\u{0}",
                    "٢٠١٣-٠١-٠١",
                    "2013-W01-1",
                    "today",
                ])
                .to_string(),
            ),
            ValueTwist::OddDateTime => V::Str(
                rng.pick(&[
                    "9999-12-31T23:59:59Z",
                    "0000-01-01T00:00:00Z",
                    "+262143-12-31T23:59:59Z",
                    "2013-01-01T00:00:00+25:00",
                    "2013-01-01",
                    "2013-01-01T24:00:00Z",
                    "2013-01-01T00:00:60Z",
                    "1970-01-01T00:00:00.0000000000001Z",
                    "",
                ])
                .to_string(),
            ),
            ValueTwist::OddEnum => {
                let values = schema
                    .ty(ty.named())
                    .map(|t| t.values.clone())
                    .unwrap_or_default();
                let some = values.first().cloned().unwrap_or_else(|| "RED".into());
                match rng.below(6) {
                    0 => V::Enum(some.to_lowercase()),
                    1 => V::Enum("PURPLE".into()),
                    2 => V::Str(some),
                    3 => V::Enum("E".repeat(max_bytes.min(100_000))),
                    4 => V::Raw {
                        lit: "true".into(),
                        json: json!(true),
                    },
                    _ => V::Enum("null_".into()),
                }
            }
            ValueTwist::OddString => V::Str(
                rng.pick(&[
                    "\u{0}",
                    "\u{feff}herefordshire-2012",
                    "\u{202e}2102-erihsdrofereh",
                    "herefordshire-2012\u{0}",
                    "HEREFORDSHIRE-2012",
                    " herefordshire-2012 ",
                    "%",
                    "_",
                    "\\",
                    "' OR 1=1 --",
                    "\"; DROP TABLE action; --",
                    "=HYPERLINK(\"http://evil.example/\",\"click\")",
                    "+cmd|' /C calc'!A0",
                    "@SUM(1+1)*cmd|' /C calc'!A0",
                    "-2+3",
                    "\r\n\r\n",
                    "😀😀😀",
                    "e\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}",
                    "\u{d7ff}\u{e000}\u{fffd}",
                    "<script>alert(1)</script>",
                    "../../../../etc/passwd",
                ])
                .to_string(),
            ),
            ValueTwist::NullForNonNull => V::Null,
            ValueTwist::WrongType => match rng.below(7) {
                0 => V::Int(rng.below(10) as i64),
                1 => V::Str("x".into()),
                2 => V::Bool(true),
                3 => V::Float(2.5),
                4 => V::List(vec![V::Int(1), V::Str("a".into())]),
                5 => V::Obj(vec![("a".into(), V::Int(1))]),
                _ => V::Enum("RED".into()),
            },
        }
    }
}

fn words(rng: &mut Rng, n: usize) -> String {
    let mut s = String::with_capacity(n * 6);
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(rng.pick_str(WORDS));
    }
    s
}

fn long_list(rng: &mut Rng, schema: &Schema, name: &str, ty: &Ty, max_bytes: usize) -> V {
    let Ty::List(item) = ty.nullable() else {
        return V::List(Vec::new());
    };
    let item_ty = item.named().to_string();
    let mut n = *rng.pick(&[0usize, 1_000, 10_000, 50_000, 200_000]);
    let unknown = rng.chance(0.5);
    let one = |i: usize, rng: &mut Rng| -> V {
        match (item_ty.as_str(), name) {
            ("String", "leads") if unknown => V::Str(format!("X{i}")),
            ("String", "leads") => V::Str(rng.pick(LEADS).to_string()),
            ("String", "workstreams") if unknown => V::Str(format!("W{i}")),
            ("String", "workstreams") => V::Str(rng.pick(WORKSTREAMS).to_string()),
            ("String", "references") if unknown => V::Str(format!("R{i}")),
            ("String", "references") => V::Str(rng.pick(REFERENCES).to_string()),
            ("String", "descriptors") if unknown => V::Str(format!("QP9.{i}")),
            ("String", "descriptors") => V::Str(rng.pick(DESCRIPTORS).to_string()),
            ("String", _) => V::Str(format!("s{i}")),
            ("Int", _) if unknown => V::Int(1000 + i as i64),
            ("Int", _) => V::Int(1 + (i % 5) as i64),
            (t, _) if schema.kind(t) == Kind::Enum => V::Enum(
                schema
                    .ty(t)
                    .and_then(|d| d.values.first().cloned())
                    .unwrap_or_default(),
            ),
            _ => V::Null,
        }
    };
    if schema.kind(&item_ty) == Kind::Input {
        // Lists of input objects (`updates`, `milestones`): past what the server allows
        // (500 updates) rather than past the body size.
        n = *rng.pick(&[501usize, 1_000, 5_000]);
        let obj = match item_ty.as_str() {
            "RecordRagUpdateInput" => V::Obj(vec![
                ("actionId".into(), V::Str(id_of("Action", 1))),
                ("status".into(), V::Enum("GREY".into())),
            ]),
            "MilestoneInput" => V::Obj(vec![("label".into(), V::Str("m".into()))]),
            _ => V::Obj(Vec::new()),
        };
        let per = obj.lit().len() + 2;
        return V::List(vec![obj; n.min(max_bytes / per.max(1))]);
    }
    let per = one(n, rng).lit().len() + 2;
    n = n.min(max_bytes / per.max(1));
    V::List((0..n).map(|i| one(i, rng)).collect())
}

fn odd_cursor(rng: &mut Rng, max_bytes: usize) -> String {
    match rng.below(16) {
        0 => cursor_of("offset:9223372036854775807"),
        1 => cursor_of("offset:9223372036854775806"),
        2 => cursor_of("offset:18446744073709551615"),
        3 => cursor_of("offset:18446744073709551614"),
        4 => cursor_of("offset:4294967296"),
        5 => cursor_of("offset:-1"),
        6 => cursor_of("offset:abc"),
        7 => cursor_of("offset:"),
        8 => cursor_of("offset: 1"),
        9 => cursor_of("offset:1e3"),
        10 => format!("{}==", cursor_of("offset:3")),
        11 => "!!!not base64!!!".into(),
        12 => String::new(),
        13 => URL_SAFE_NO_PAD.encode([0xff, 0xfe, 0x00, 0x80]),
        14 => "A".repeat(max_bytes.min(1_000_000)),
        _ => cursor_of(&format!("offset:{}", rng.next_u64())),
    }
}

fn odd_id(rng: &mut Rng, max_bytes: usize) -> V {
    V::Str(match rng.below(16) {
        0 => id_of("Action", 99_999_999_999),
        1 => id_of("Action", -1),
        2 => id_of("Action", 0),
        3 => id_of("Action", i64::from(i32::MAX)),
        4 => id_of("Action", i64::from(i32::MIN)),
        5 => URL_SAFE_NO_PAD.encode("Action:"),
        6 => URL_SAFE_NO_PAD.encode(":1"),
        7 => URL_SAFE_NO_PAD.encode("Nope:1"),
        8 => URL_SAFE_NO_PAD.encode("action:1"),
        9 => format!("{}==", id_of("Plan", 1)),
        10 => "!!".into(),
        11 => String::new(),
        12 => "A".repeat(max_bytes.min(1_000_000)),
        13 => URL_SAFE_NO_PAD.encode([0xc0, 0xaf, b':', b'1']),
        14 => return V::Int(1),
        _ => id_of(
            rng.pick_str(&["Plan", "Theme", "Person", "RagUpdate", "Workstream"]),
            1,
        ),
    })
}

/// Ordinary values by argument name and type: what a real client would send.
pub fn ordinary(rng: &mut Rng, schema: &Schema, name: &str, ty: &Ty) -> Option<V> {
    let Ty::Named(n) = ty.nullable() else {
        return None;
    };
    if schema.kind(n) == Kind::Enum {
        let values = &schema.ty(n)?.values;
        return Some(V::Enum(rng.pick(values).clone()));
    }
    let v = match (n.as_str(), name) {
        ("String", "slug" | "plan") => V::Str(
            if rng.chance(0.9) {
                PLAN
            } else {
                "no-such-plan"
            }
            .into(),
        ),
        ("String", "code") => V::Str(rng.pick(CODES).to_string()),
        ("String", "search") => {
            let n = rng.range(1, 3);
            V::Str(words(rng, n))
        }
        ("String", "leads" | "lead") => V::Str(rng.pick(LEADS).to_string()),
        ("String", "workstreams" | "workstream") => V::Str(rng.pick(WORKSTREAMS).to_string()),
        ("String", "references") => V::Str(rng.pick(REFERENCES).to_string()),
        ("String", "descriptors") => V::Str(rng.pick(DESCRIPTORS).to_string()),
        ("String", "after") => V::Str(cursor_of(&format!("offset:{}", rng.below(130)))),
        ("String", "url") => V::Str("https://example.org/hook".into()),
        ("String", "secret") => V::Str("adversarial-secret-0123456789".into()),
        ("String", "planJson") => V::Str(rng.pick(&["{}", "[]", "not json"]).to_string()),
        ("String", "idempotencyKey") => V::Str(format!("adv-{:x}", rng.next_u64())),
        ("String", "actor") => V::Str("test-admin".into()),
        ("String", "operation") => V::Str("recordRagUpdate".into()),
        ("String", _) => V::Str(
            rng.pick(&["Adversarial note", "x", "", "Two posts vacant"])
                .to_string(),
        ),
        ("Int", "first") => V::Int(*rng.pick(&[0i64, 1, 2, 3, 5, 10, 20, 100])),
        ("Int", "within") => V::Int(rng.range(0, 90) as i64),
        ("Int", "days") => V::Int(rng.range(1, 90) as i64),
        ("Int", "theme" | "themes") => V::Int(rng.range(1, 5) as i64),
        ("Int", "expectedVersion") => V::Int(rng.range(1, 3) as i64),
        ("Int", _) => V::Int(rng.range(0, 10) as i64),
        ("Float", _) => V::Float(1.5),
        ("Boolean", _) => V::Bool(rng.chance(0.5)),
        ("ID", "planId") => V::Str(id_of("Plan", 1)),
        ("ID", "actionId" | "fromId" | "toId" | "object") => {
            V::Str(id_of("Action", rng.range(1, 130) as i64))
        }
        ("ID", "webhookId") => V::Str(rng.range(1, 3).to_string()),
        ("ID", "id") => V::Str(if rng.chance(0.3) {
            rng.range(1, 3).to_string()
        } else {
            id_of(
                rng.pick_str(&[
                    "Action",
                    "Plan",
                    "Theme",
                    "Person",
                    "Reference",
                    "Workstream",
                    "RagUpdate",
                ]),
                rng.range(1, 20) as i64,
            )
        }),
        ("ID", _) => V::Str(id_of("Action", 1)),
        ("Date", _) => V::Str(format!(
            "{}-{:02}-{:02}",
            rng.range(2012, 2013),
            rng.range(1, 12),
            rng.range(1, 28)
        )),
        ("DateTime", _) => V::Str(format!("2013-{:02}-14T09:30:00Z", rng.range(1, 12))),
        ("JSON", _) => V::Obj(vec![("a".into(), V::Int(1))]),
        _ => V::Str("x".into()),
    };
    Some(v)
}

/// JSON objects as they go into `variables`.
pub fn vars_object(values: Map<String, Value>) -> Option<Value> {
    (!values.is_empty()).then_some(Value::Object(values))
}
