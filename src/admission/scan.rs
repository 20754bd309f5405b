//! A look at a document's text before the parser sees it: how many lexical tokens it has and
//! how deeply its brackets nest.
//!
//! The parser recurses once per nesting level of a list or object value (selection sets it
//! limits itself, at 64), and a parsed value is cloned and dropped recursively, so a
//! 400-byte `[[[[…]]]]` could exhaust a thread's stack and abort the process. Tokens are what
//! parsing costs. Both are bounded here in one linear pass with two counters and no
//! recursion, so what reaches the parser is small and shallow. Names and numbers are short
//! too: validation compares an unknown name with every name it could have meant, and echoes
//! it in its message.
use crate::error::Refusal;

/// The limits of the pass.
#[derive(Debug, Clone, Copy)]
pub struct ScanLimits {
    pub max_tokens: u64,
    pub max_nesting: u64,
    /// Longest name or number, in bytes.
    pub max_word: usize,
}

/// Counts tokens and bracket nesting, stopping at the first limit passed. Strings (quoted
/// and block strings) and comments are one token or none, whatever brackets they hold.
pub fn scan(text: &str, limits: ScanLimits) -> Result<(), Refusal> {
    let bytes = text.as_bytes();
    let (mut i, mut tokens, mut depth) = (0usize, 0u64, 0u64);
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            // Ignored: white space, line ends, commas (GraphQL's "insignificant" comma).
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                i += 1;
                continue;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            b'"' => i = skip_string(bytes, i),
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > limits.max_nesting {
                    return Err(Refusal::NestingLimit {
                        depth,
                        limit: limits.max_nesting,
                    });
                }
                i += 1;
            }
            b'}' | b']' | b')' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'.' if bytes[i..].starts_with(b"...") => i += 3,
            _ if is_word(b) => {
                let start = i;
                while i < bytes.len() && is_word(bytes[i]) {
                    i += 1;
                    if i - start > limits.max_word {
                        return Err(Refusal::InputBound {
                            input: "a name or number in the document".into(),
                            unit: "characters",
                            got: (i - start) as u64,
                            limit: limits.max_word as u64,
                        });
                    }
                }
            }
            // Any other punctuator (`!`, `$`, `:`, `=`, `@`, `|`, `&`) or a stray byte (the
            // parser refuses it) is one token. Multi-byte UTF-8 counts per byte: more, never
            // fewer, tokens than the parser sees.
            _ => i += 1,
        }
        tokens += 1;
        if tokens > limits.max_tokens {
            return Err(Refusal::TokenLimit {
                tokens,
                limit: limits.max_tokens,
            });
        }
    }
    Ok(())
}

/// Names, numbers, and the pieces of a number (`-1.5e+3`).
fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+' | b'.')
}

/// The index just after the string starting at `start` (a `"` or `"""`); an unterminated
/// string runs to the end of the line (quoted) or of the text (block), as the parser will
/// refuse it anyway.
fn skip_string(bytes: &[u8], start: usize) -> usize {
    if bytes[start..].starts_with(b"\"\"\"") {
        let mut i = start + 3;
        while i < bytes.len() {
            if bytes[i..].starts_with(b"\\\"\"\"") {
                i += 4;
            } else if bytes[i..].starts_with(b"\"\"\"") {
                return i + 3;
            } else {
                i += 1;
            }
        }
        return bytes.len();
    }
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            b'\n' | b'\r' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: ScanLimits = ScanLimits {
        max_tokens: 50,
        max_nesting: 5,
        max_word: 20,
    };

    fn tokens(text: &str) -> u64 {
        let mut n = 0;
        while scan(
            text,
            ScanLimits {
                max_tokens: n,
                max_nesting: 1000,
                max_word: 100,
            },
        )
        .is_err()
        {
            n += 1;
        }
        n
    }

    #[test]
    fn tokens_are_counted_as_the_grammar_has_them() {
        assert_eq!(tokens(r#"{ plan(slug: "a b { [ c") { title } }"#), 11);
        assert_eq!(
            tokens("query Q($n: Int = -1.5e3) { a(n: $n) @skip(if: false) }"),
            26
        );
        assert_eq!(tokens("{ ...F } fragment F on Query { a }"), 11);
        assert_eq!(tokens("# { [ (\n{ a, b,,, c }"), 5);
        assert_eq!(tokens(r#"{ a(s: """ block " "" \""" { """) }"#), 8);
    }

    #[test]
    fn nesting_counts_brackets_outside_strings_and_comments() {
        assert!(scan("{ a { b { c { d } } } }", LIMITS).is_ok());
        assert_eq!(
            scan("{ a(x: [[[[[1]]]]]) }", LIMITS).map_err(|r| r.code()),
            Err("NESTING_LIMIT")
        );
        assert!(scan(r#"{ a(s: "[[[[[[[[[[") }"#, LIMITS).is_ok());
        assert!(scan("# [[[[[[[[[\n{ a }", LIMITS).is_ok());
        // Closers without openers never make the depth negative.
        assert!(scan("}}}}}} { a }", LIMITS).is_ok());
    }

    #[test]
    fn names_and_numbers_are_short() {
        assert!(scan("{ abcdefghijklmnopqrst }", LIMITS).is_ok());
        let long = format!("{{ {} }}", "a".repeat(1_000_000));
        assert_eq!(
            scan(&long, LIMITS).map_err(|r| r.code()),
            Err("BAD_USER_INPUT")
        );
        let number = format!("{{ a(n: {}) }}", "9".repeat(21));
        assert_eq!(
            scan(&number, LIMITS).map_err(|r| r.code()),
            Err("BAD_USER_INPUT")
        );
        // Strings are the input bounds' to judge.
        assert!(scan(&format!("{{ a(s: \"{}\") }}", "x".repeat(1000)), LIMITS).is_ok());
    }

    #[test]
    fn the_pass_stops_at_the_first_limit_in_linear_time() {
        let deep = "[".repeat(1_000_000);
        assert_eq!(
            scan(&deep, LIMITS).map_err(|r| r.code()),
            Err("NESTING_LIMIT")
        );
        let wide = "a ".repeat(1_000_000);
        assert_eq!(
            scan(&wide, LIMITS).map_err(|r| r.code()),
            Err("TOKEN_LIMIT")
        );
        // Unterminated strings end the pass rather than loop.
        assert!(scan("{ a(s: \"never closed", LIMITS).is_ok());
        assert!(scan("{ a(s: \"\"\"never closed", LIMITS).is_ok());
        assert!(scan("\"\\", LIMITS).is_ok());
    }
}
