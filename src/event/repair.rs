//! Repairs of JSON text that is sound in structure but that a strict parser refuses.
//!
//! An attacker controls much of a record: a `userAgent` holding a lone `\ud800` escape, or an
//! `awsRegion` of `1e999`, must not make the event vanish. When strict decoding fails, the
//! decoder asks [`repair`] for a corrected copy and tries once more: lone UTF-16 surrogate
//! escapes become `\ufffd` (U+FFFD), numbers beyond the range of a double become strings
//! holding their digits. Everything else is left byte for byte as it was.

use std::fmt;

/// One kind of repair, with how many times it was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repair {
    /// Bytes that are not UTF-8 were replaced by U+FFFD.
    InvalidUtf8,
    /// Lone surrogate escapes were replaced by U+FFFD.
    LoneSurrogates(usize),
    /// Numbers too large for a double were kept as text.
    LargeNumbers(usize),
}

impl fmt::Display for Repair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Repair::InvalidUtf8 => write!(f, "bytes that are not UTF-8 were replaced by U+FFFD"),
            Repair::LoneSurrogates(1) => {
                write!(f, "a lone surrogate escape was replaced by U+FFFD")
            }
            Repair::LoneSurrogates(n) => {
                write!(f, "{n} lone surrogate escapes were replaced by U+FFFD")
            }
            Repair::LargeNumbers(1) => {
                write!(f, "a number too large for a double was kept as text")
            }
            Repair::LargeNumbers(n) => {
                write!(f, "{n} numbers too large for a double were kept as text")
            }
        }
    }
}

/// A corrected copy of `text` and what was changed, or `None` when there is nothing this
/// module can repair.
pub fn repair(text: &str) -> Option<(String, Vec<Repair>)> {
    let b = text.as_bytes();
    let mut out = String::new();
    let mut copied = 0;
    let (mut surrogates, mut numbers) = (0, 0);
    let mut in_string = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if in_string {
            match c {
                b'"' => in_string = false,
                b'\\' => {
                    if b.get(i + 1) == Some(&b'u')
                        && let Some(unit) = hex4(b, i + 2)
                    {
                        let lone = match unit {
                            0xD800..=0xDBFF => {
                                let pair = b.get(i + 6) == Some(&b'\\')
                                    && b.get(i + 7) == Some(&b'u')
                                    && hex4(b, i + 8)
                                        .is_some_and(|u| (0xDC00..=0xDFFF).contains(&u));
                                if pair {
                                    i += 12;
                                    continue;
                                }
                                true
                            }
                            0xDC00..=0xDFFF => true,
                            _ => false,
                        };
                        if lone {
                            out.push_str(&text[copied..i]);
                            out.push_str("\\ufffd");
                            surrogates += 1;
                            copied = i + 6;
                        }
                        i += 6;
                        continue;
                    }
                    i += 2;
                    continue;
                }
                _ => {}
            }
            i += 1;
            continue;
        }
        match c {
            b'"' => in_string = true,
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < b.len() && matches!(b[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                {
                    i += 1;
                }
                let token = &text[start..i];
                if token.parse::<f64>().is_ok_and(f64::is_infinite) {
                    out.push_str(&text[copied..start]);
                    out.push('"');
                    out.push_str(token);
                    out.push('"');
                    numbers += 1;
                    copied = i;
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    if surrogates == 0 && numbers == 0 {
        return None;
    }
    out.push_str(&text[copied..]);
    let mut repairs = Vec::new();
    if surrogates > 0 {
        repairs.push(Repair::LoneSurrogates(surrogates));
    }
    if numbers > 0 {
        repairs.push(Repair::LargeNumbers(numbers));
    }
    Some((out, repairs))
}

/// The four hex digits at `b[at..at + 4]`, as a number.
fn hex4(b: &[u8], at: usize) -> Option<u32> {
    let digits = b.get(at..at + 4)?;
    let mut n = 0;
    for &d in digits {
        n = n * 16 + (d as char).to_digit(16)?;
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        let (fixed, r) = repair(r#"{"a":"x\ud800y","b":"\udc00","c":"\ud83d\ude00"}"#).unwrap();
        assert_eq!(fixed, r#"{"a":"x\ufffdy","b":"\ufffd","c":"\ud83d\ude00"}"#);
        assert_eq!(r, [Repair::LoneSurrogates(2)]);
        // A high surrogate followed by another escape that is not a low one.
        let (fixed, _) = repair(r#"{"a":"\ud800\u0041"}"#).unwrap();
        assert_eq!(fixed, r#"{"a":"\ufffd\u0041"}"#);
        let v: serde_json::Value = serde_json::from_str(&fixed).unwrap();
        assert_eq!(v["a"], "\u{fffd}A");
    }

    #[test]
    fn huge_numbers_become_text_and_the_rest_is_untouched() {
        let (fixed, r) =
            repair(r#"{"a":1e999,"b":-2E+400,"c":1e3,"d":"1e999","e":[1e999]}"#).unwrap();
        assert_eq!(
            fixed,
            r#"{"a":"1e999","b":"-2E+400","c":1e3,"d":"1e999","e":["1e999"]}"#
        );
        assert_eq!(r, [Repair::LargeNumbers(3)]);
        assert_eq!(
            repair(r#"{"a":"\\ud800","b":12345678901234567890123}"#),
            None
        );
        assert_eq!(repair("not json"), None);
    }
}
