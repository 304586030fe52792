//! Quoting for POSIX shells: every path and word faultline puts into a
//! command sent to a node goes through here.

use std::path::Path;

/// Quotes `word` for a POSIX shell, so that it is passed as one argument
/// (left as it is when nothing in it needs quoting).
pub fn quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,@%+".contains(&b))
    {
        return word.to_owned();
    }
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// A path as one shell word.
pub trait ShellQuoted {
    /// The path, quoted for a POSIX shell.
    fn quoted(&self) -> String;
}

impl ShellQuoted for Path {
    fn quoted(&self) -> String {
        quote(&self.display().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_needs_it() {
        assert_eq!(quote("/var/lib/x"), "/var/lib/x");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
        assert_eq!(
            Path::new("/run/my cluster/n1").quoted(),
            "'/run/my cluster/n1'"
        );
    }
}
