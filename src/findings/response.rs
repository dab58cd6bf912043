//! Ready-to-copy triage and containment commands for a finding.
//!
//! trailsift never runs them: they are printed for a person, built from the event's own
//! values, which an attacker may have written. Every value is quoted for POSIX sh, so that a
//! user name holding `;`, `$(…)`, quotes or a newline stays one argument and can never become
//! a second command. The commands need the credentials of the account the event is in; each
//! response starts with a check that the credentials in use are that account's, so a pasted
//! response stops before it touches another account.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

/// One AWS CLI command: the program and its arguments, unquoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command(pub Vec<String>);

impl Command {
    /// `aws iam <words...>`.
    pub fn iam(words: &[&str]) -> Command {
        let mut argv = vec!["aws".to_owned(), "iam".to_owned()];
        argv.extend(words.iter().map(|w| (*w).to_owned()));
        Command(argv)
    }

    /// Appends `--flag value`.
    pub fn arg(mut self, flag: &str, value: &str) -> Command {
        self.0.push(flag.to_owned());
        self.0.push(value.to_owned());
        self
    }

    /// Appends a flag without a value.
    pub fn flag(mut self, flag: &str) -> Command {
        self.0.push(flag.to_owned());
        self
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, word) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(&quote(word))?;
        }
        Ok(())
    }
}

/// The commands of one finding, for one account.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Response {
    /// The account whose credentials the commands need.
    pub account: String,
    pub commands: Vec<Command>,
}

impl Response {
    pub fn new(account: &str, commands: Vec<Command>) -> Response {
        Response {
            account: account.to_owned(),
            commands,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }

    /// The check that the credentials in use belong to the account.
    pub fn guard(&self) -> String {
        format!(
            "test \"$(aws sts get-caller-identity --query Account --output text)\" = {}",
            quote(&self.account)
        )
    }

    /// Every command on one line, joined with `&&` after the account check: pasted into a
    /// shell, it stops at the first command that fails, and before the first if the
    /// credentials are another account's.
    pub fn one_line(&self) -> String {
        let mut line = String::new();
        if self.commands.is_empty() {
            return line;
        }
        if !self.account.is_empty() {
            line.push_str(&self.guard());
        }
        for command in &self.commands {
            if !line.is_empty() {
                line.push_str(" && ");
            }
            // Writing to a String cannot fail.
            let _ = write!(line, "{command}");
        }
        line
    }
}

/// Quotes a word for POSIX sh: as it is when it holds only characters no shell treats
/// specially, else in single quotes (a single quote inside written `'\''`).
pub fn quote(word: &str) -> Cow<'_, str> {
    let safe = !word.is_empty()
        && word.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'_' | b'-' | b'.' | b'/' | b':' | b',' | b'@' | b'+' | b'=' | b'%'
                )
        })
        && !word.starts_with('=');
    if safe {
        return Cow::Borrowed(word);
    }
    let mut out = String::with_capacity(word.len() + 2);
    out.push('\'');
    for c in word.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits a command line the way POSIX sh does for the quoting used here (single quotes,
    /// backslash outside quotes, blanks between words), and tells whether anything would run
    /// as a second command or be expanded.
    fn sh_words(line: &str) -> (Vec<String>, bool) {
        let mut words = Vec::new();
        let mut word = String::new();
        let mut in_word = false;
        let mut special = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\'' => {
                    in_word = true;
                    for q in chars.by_ref() {
                        if q == '\'' {
                            break;
                        }
                        word.push(q);
                    }
                }
                '\\' => {
                    in_word = true;
                    if let Some(n) = chars.next() {
                        word.push(n);
                    }
                }
                ' ' | '\t' => {
                    if in_word {
                        words.push(std::mem::take(&mut word));
                        in_word = false;
                    }
                }
                ';' | '&' | '|' | '$' | '`' | '(' | ')' | '<' | '>' | '\n' | '"' | '*' | '?' => {
                    special = true;
                    in_word = true;
                    word.push(c);
                }
                _ => {
                    in_word = true;
                    word.push(c);
                }
            }
        }
        if in_word {
            words.push(word);
        }
        (words, special)
    }

    #[test]
    fn hostile_names_stay_one_argument() {
        for name in [
            "x'; rm -rf ~; '",
            "$(id)",
            "`id`",
            "a\nb; reboot",
            "it's",
            "\"quoted\"",
            "a b",
            "",
            "-rf",
            "* ?",
        ] {
            let c = Command::iam(&["list-access-keys"]).arg("--user-name", name);
            let line = c.to_string();
            let (words, special) = sh_words(&line);
            assert_eq!(
                words,
                ["aws", "iam", "list-access-keys", "--user-name", name],
                "{line}"
            );
            assert!(!special, "unquoted special character in {line}");
        }
        assert_eq!(
            Command::iam(&["list-access-keys"])
                .arg("--user-name", "x'; rm -rf ~; '")
                .to_string(),
            r#"aws iam list-access-keys --user-name 'x'\''; rm -rf ~; '\'''"#
        );
        assert_eq!(quote("carol"), "carol");
        assert_eq!(
            quote("arn:aws:iam::1:mfa/carol-x"),
            "arn:aws:iam::1:mfa/carol-x"
        );
    }

    #[test]
    fn responses_check_the_account_first() {
        let r = Response::new(
            "111122223333",
            vec![Command::iam(&["list-mfa-devices"]).arg("--user-name", "bob")],
        );
        assert_eq!(
            r.one_line(),
            "test \"$(aws sts get-caller-identity --query Account --output text)\" = 111122223333 && aws iam list-mfa-devices --user-name bob"
        );
        let hostile = Response::new("1'; id; '", vec![Command::iam(&["x"])]);
        assert!(hostile.one_line().contains(r#"= '1'\''; id; '\'''"#));
        assert_eq!(Response::default().one_line(), "");
    }
}
