//! Reading the JSON a learner or trainer hands podnet (scenario, exercise
//! and plan files, share links, CLI arguments), with messages fit to show:
//! a position, what was wrong, no Rust type names and no input echoed at
//! any length (issue 15: a 100 kB string came back whole in the error).

use serde::de::DeserializeOwned;

/// Where and why a JSON text was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// What was wrong, without the position.
    pub message: String,
}

/// The longest piece of the input a message quotes.
const MAX_QUOTED: usize = 60;

/// Parses `text` as a `T`, ignoring one leading byte-order mark.
///
/// # Errors
/// A [`JsonError`] with the position and a cleaned message.
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, JsonError> {
    serde_json::from_str(without_bom(text)).map_err(|e| JsonError {
        line: u32::try_from(e.line()).unwrap_or(u32::MAX),
        column: u32::try_from(e.column()).unwrap_or(u32::MAX),
        message: clean(&e.to_string()),
    })
}

/// `text` without one leading UTF-8 byte-order mark. RFC 8259 §8.1 lets a
/// JSON parser ignore it, and a browser's `File.text()` already drops it
/// (WHATWG Encoding, "UTF-8 decode"), so a file saved by an editor that
/// writes one (Windows Notepad) reads the same in the CLI as on the page.
/// Only the first is dropped: a second is a character where JSON has none.
pub fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// `text` quoted for a message as `{:?}` would, cut to [`MAX_QUOTED`]
/// characters with the full length said: `"xxxx… (100000 characters)"`.
pub fn quoted(text: &str) -> String {
    let count = text.chars().count();
    if count <= MAX_QUOTED {
        return format!("{text:?}");
    }
    let head: String = text.chars().take(MAX_QUOTED).collect();
    let inner = format!("{head:?}");
    format!("{}… ({count} characters)\"", inner.trim_end_matches('"'))
}

/// The longest text any field of a command, CNI setting, check or plan
/// input may hold: 256 characters, an AWS tag value's limit (a subnet's
/// Name; EC2 User Guide, "Tag restrictions") and above Kubernetes' 253 for
/// a name. Nothing real is longer, and a longer one would be echoed in
/// every event and message. (Prose — titles, descriptions, explanations —
/// is not checked: it is shown, never echoed.)
pub const MAX_TEXT: usize = 256;

/// The first text field of `value` over [`MAX_TEXT`] characters, as its
/// path (`name`, `cni.pool`, `cidrs[3]`) and its length.
///
/// # Errors
/// `(path, length)` of the first field over the limit.
pub fn check_text_lengths(value: &impl serde::Serialize) -> Result<(), (String, usize)> {
    fn walk(v: &serde_json::Value, path: &mut String) -> Option<(String, usize)> {
        match v {
            serde_json::Value::String(s) => {
                let n = s.chars().count();
                (n > MAX_TEXT).then(|| (path.clone(), n))
            }
            serde_json::Value::Array(a) => a.iter().enumerate().find_map(|(i, x)| {
                let keep = path.len();
                path.push_str(&format!("[{i}]"));
                let r = walk(x, path);
                path.truncate(keep);
                r
            }),
            serde_json::Value::Object(o) => o.iter().find_map(|(k, x)| {
                let keep = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                // A map key is text too (ENIConfig names by zone).
                path.push_str(&quoted_key(k));
                let r = if k.chars().count() > MAX_TEXT {
                    Some((path.clone(), k.chars().count()))
                } else {
                    walk(x, path)
                };
                path.truncate(keep);
                r
            }),
            _ => None,
        }
    }
    let value = serde_json::to_value(value).unwrap_or_default();
    match walk(&value, &mut String::new()) {
        Some(found) => Err(found),
        None => Ok(()),
    }
}

fn quoted_key(k: &str) -> String {
    if k.chars().count() <= MAX_QUOTED && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        k.to_owned()
    } else {
        format!("[{}]", quoted(k))
    }
}

/// `text` cut to `max` characters with "…" (a label, such as a command's
/// one-line summary, in a message).
pub fn cut(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]).into(),
        None => text.into(),
    }
}

/// serde's message made readable: without its trailing position (the
/// caller gives it), with `struct Scenario` and the like said as "a JSON
/// object", and every quoted piece of input cut to [`MAX_QUOTED`] characters.
fn clean(message: &str) -> String {
    let message = match message.rfind(" at line ") {
        Some(at) if message[at..].contains(" column ") => &message[..at],
        _ => message,
    };
    // A quote that holds the quote character itself defeats the pairing:
    // bound the whole message too.
    cut(&shorten_quotes(&plain_types(message)), 400).into_owned()
}

/// "expected struct Name" / "internally tagged enum Name" → "a JSON object".
fn plain_types(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    loop {
        let found = [
            "internally tagged enum ",
            "adjacently tagged enum ",
            "tuple struct ",
            "struct ",
            "enum ",
        ]
        .iter()
        .filter_map(|k| rest.find(k).map(|i| (i, *k)))
        .min_by_key(|(i, k)| (*i, usize::MAX - k.len()));
        let Some((i, keyword)) = found else {
            out.push_str(rest);
            return out;
        };
        let after = &rest[i + keyword.len()..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        out.push_str(&rest[..i]);
        if name_len == 0 {
            out.push_str(keyword);
        } else {
            out.push_str("a JSON object");
        }
        rest = &after[name_len..];
    }
}

/// Cuts every `"…"` or `` `…` `` run longer than [`MAX_QUOTED`] characters.
fn shorten_quotes(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(1_000));
    let mut chars = message.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        out.push(c);
        if c != '"' && c != '`' {
            continue;
        }
        // Copy up to MAX_QUOTED characters of the quoted run, count the rest.
        let mut kept = 0usize;
        let mut dropped = 0usize;
        let mut closed = false;
        for (_, q) in chars.by_ref() {
            if q == c {
                closed = true;
                break;
            }
            if kept < MAX_QUOTED {
                out.push(q);
                kept += 1;
            } else {
                dropped += 1;
            }
        }
        if dropped > 0 {
            out.push_str(&format!("… ({} characters)", kept + dropped));
        }
        if closed {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Scenario {
        name: String,
    }

    #[test]
    fn messages_name_no_rust_type_and_quote_no_long_input() {
        let e = parse::<Scenario>("276721202").unwrap_err();
        assert_eq!(
            e.message,
            "invalid type: integer `276721202`, expected a JSON object"
        );
        assert_eq!((e.line, e.column), (1, 9));
        let long = format!("{{\"name\": 5, \"{}\": 1}}", "x".repeat(100_000));
        let e = parse::<Scenario>(&long).unwrap_err();
        assert_eq!(e.message, "invalid type: integer `5`, expected a string");
        let long = format!("{{\"name\": \"{}\"", "y".repeat(100_000));
        let e = parse::<Vec<u8>>(&long).unwrap_err();
        assert!(e.message.len() < 200, "{}", e.message);
        let e = parse::<Scenario>(&format!("{{\"name\": [\"{}\"]}}", "z".repeat(500))).unwrap_err();
        assert_eq!(e.message, "invalid type: sequence, expected a string");
    }

    #[test]
    fn long_quoted_input_is_cut_and_counted() {
        let m = shorten_quotes(&format!(
            "unknown variant `{}`, expected one of `a`",
            "v".repeat(70)
        ));
        assert_eq!(
            m,
            format!(
                "unknown variant `{}… (70 characters)`, expected one of `a`",
                "v".repeat(60)
            )
        );
        // A message whose quote never closes keeps what it has.
        assert_eq!(shorten_quotes("bad \"abc"), "bad \"abc");
    }

    #[test]
    fn quoted_cuts_long_text() {
        assert_eq!(quoted("a\"b"), "\"a\\\"b\"");
        let long = "é".repeat(61);
        assert_eq!(
            quoted(&long),
            format!("\"{}… (61 characters)\"", "é".repeat(60))
        );
    }

    #[test]
    fn type_words_in_prose_are_kept() {
        assert_eq!(
            plain_types("expected struct Command"),
            "expected a JSON object"
        );
        assert_eq!(
            plain_types("invalid type: map, expected internally tagged enum RawCommand"),
            "invalid type: map, expected a JSON object"
        );
        assert_eq!(plain_types("a struct "), "a struct ");
    }
}
