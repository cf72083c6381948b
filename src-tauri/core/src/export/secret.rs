//! Text that may hold a secret (a rendered export, a credentials file): kept in a buffer
//! that is zeroed when dropped, and printed as `<redacted>` by `Debug`.

use std::fmt;

use serde::Serialize;
use zeroize::Zeroizing;

/// What `Debug` prints for a value that may be secret.
pub const REDACTED: &str = "<redacted>";

/// Stands in for a secret field in hand-written `Debug` impls: prints `<redacted>`.
pub struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// A string that may hold a secret. It reads as a `&str`; it has no `Display`, so it
/// reaches a terminal or a file only where the caller asks for its text.
#[derive(Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct SecretText(Zeroizing<String>);

impl SecretText {
    pub fn new(text: String) -> SecretText {
        SecretText(Zeroizing::new(text))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl From<String> for SecretText {
    fn from(text: String) -> Self {
        SecretText::new(text)
    }
}

/// For APIs that must own a `String` (a clipboard): the text moves out, this buffer is
/// left empty.
impl From<SecretText> for String {
    fn from(mut t: SecretText) -> Self {
        std::mem::take(&mut *t.0)
    }
}

impl std::ops::Deref for SecretText {
    type Target = str;
    fn deref(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{REDACTED} ({} bytes)", self.0.len())
    }
}

/// `key = value` pairs of which some values may be secret: zeroed when dropped.
pub type SecretPairs = Zeroizing<Vec<(String, String)>>;

/// `Debug` of pairs with every value redacted (the keys say what they were).
pub struct RedactedPairs<'a>(pub &'a [(String, String)]);

impl fmt::Debug for RedactedPairs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.0.iter().map(|(k, _)| (k, Redacted))).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_text_and_the_text_moves_out_whole() {
        let t = SecretText::from("aws_secret_access_key = s3cr3t-value".to_string());
        let d = format!("{t:?} {:?}", RedactedPairs(&[("aws_secret_access_key".into(), "s3cr3t-value".into())]));
        assert!(!d.contains("s3cr3t"), "{d}");
        assert!(d.contains(REDACTED) && d.contains("aws_secret_access_key"), "{d}");
        assert_eq!(&*t, "aws_secret_access_key = s3cr3t-value");
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"aws_secret_access_key = s3cr3t-value\"");
        assert_eq!(String::from(t), "aws_secret_access_key = s3cr3t-value");
    }
}
