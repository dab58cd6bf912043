//! Spreadsheet-safe cells.
//!
//! Attackers control much of a record (user agents, user names, error text). A cell that starts
//! with `=`, `+`, `-`, `@`, a tab or a carriage return would run as a formula in a spreadsheet,
//! so it gets a leading `'`. A cell longer than Excel's limit (32,767 characters) is cut with
//! a visible marker instead of spilling into the next row.

use std::borrow::Cow;

/// The longest cell written, in UTF-16 code units (what Excel counts), marker included.
pub const MAX_CELL: usize = 32_000;

/// The cell as written to a CSV report: neutralised, and cut if too long.
pub fn cell(text: &str) -> Cow<'_, str> {
    let risky = matches!(
        text.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    );
    fitted(text, risky)
}

/// The text as a workbook cell holds it: cut if too long (a workbook cell is text, never a
/// formula, so nothing needs neutralising).
pub fn truncated(text: &str) -> Cow<'_, str> {
    fitted(text, false)
}

fn fitted(text: &str, risky: bool) -> Cow<'_, str> {
    // A UTF-8 string has at least as many bytes as UTF-16 units: short strings need no count.
    let long = text.len() > MAX_CELL && text.encode_utf16().count() > MAX_CELL;
    if !risky && !long {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len().min(MAX_CELL * 3) + 1);
    if risky {
        out.push('\'');
    }
    if long {
        let total = text.chars().count();
        let marker = |kept: usize| format!("…[truncated: {} more characters]", total - kept);
        let budget = MAX_CELL - 1 - marker(0).encode_utf16().count();
        let mut units = 0;
        let mut kept = 0;
        for c in text.chars() {
            units += c.len_utf16();
            if units > budget {
                break;
            }
            out.push(c);
            kept += 1;
        }
        out.push_str(&marker(kept));
    } else {
        out.push_str(text);
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        for risky in [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            assert_eq!(cell(risky), format!("'{risky}"));
        }
        for plain in ["alice", "aws-cli/2.15", "", "1-2", " =x"] {
            assert!(matches!(cell(plain), Cow::Borrowed(_)), "{plain}");
        }
    }

    #[test]
    fn long_cells_are_cut_with_a_marker_under_the_limit() {
        let long = "é".repeat(40_000);
        let c = cell(&long);
        assert!(c.encode_utf16().count() <= MAX_CELL);
        assert!(c.ends_with("more characters]"), "{}", &c[c.len() - 60..]);
        let kept = c.chars().take_while(|&ch| ch == 'é').count();
        assert!(c.contains(&format!("[truncated: {} more characters]", 40_000 - kept)));
        let risky = format!("={}", "x".repeat(40_000));
        let c = cell(&risky);
        assert!(c.starts_with("'=") && c.encode_utf16().count() <= MAX_CELL);
    }
}
