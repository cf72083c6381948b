//! Editing AWS shared config and credentials files without disturbing them: one
//! section is added or replaced, every other line (other profiles, comments, blank
//! lines, their order) stays byte for byte. A section that exists is only replaced when
//! the caller says so (`force`), and the change can be shown first as a diff.
//!
//! The format is the AWS CLI's: `[profile NAME]` headers in the config file (`[default]`
//! and `[sso-session X]` as they are), `[NAME]` in the credentials file, `key = value`
//! lines, `#` and `;` comments.

use std::fmt::Write as _;

use super::secret::{RedactedPairs, SecretPairs};

/// Which of the two files a section is for (their header syntax differs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Config,
    Credentials,
}

/// The header text inside the brackets for a profile in a file of this kind.
pub fn header_for(kind: FileKind, profile: &str) -> String {
    match kind {
        FileKind::Config if profile != "default" => format!("profile {profile}"),
        _ => profile.to_string(),
    }
}

/// The name in a header line (`[ profile  x ]` gives `profile x`), or `None` for other lines.
fn header_of(line: &str) -> Option<String> {
    let t = line.trim();
    let t = t.strip_prefix('[')?;
    let end = t.find(']')?;
    let rest = t[end + 1..].trim();
    if !(rest.is_empty() || rest.starts_with('#') || rest.starts_with(';')) {
        return None;
    }
    Some(t[..end].split_whitespace().collect::<Vec<_>>().join(" "))
}

/// A section's lines `[start, end)`: from its header to the last line that is not
/// blank or a comment before the next header (trailing comments belong to what follows).
fn find_section(lines: &[&str], header: &str) -> Option<(usize, usize)> {
    let start = lines.iter().position(|l| header_of(l).as_deref() == Some(header))?;
    let next = lines[start + 1..].iter().position(|l| header_of(l).is_some()).map(|i| start + 1 + i).unwrap_or(lines.len());
    let mut end = next;
    while end > start + 1 {
        let t = lines[end - 1].trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
            end -= 1;
        } else {
            break;
        }
    }
    Some((start, end))
}

/// The key/value pairs of a section, if the file has it.
pub fn read_section(text: &str, header: &str) -> Option<Vec<(String, String)>> {
    let lines: Vec<&str> = text.lines().collect();
    let (start, end) = find_section(&lines, header)?;
    Some(
        lines[start + 1..end]
            .iter()
            .filter_map(|l| {
                let t = l.trim();
                if t.starts_with('#') || t.starts_with(';') {
                    return None;
                }
                let (k, v) = t.split_once('=')?;
                Some((k.trim().to_string(), v.trim().to_string()))
            })
            .collect(),
    )
}

/// Every section header in the file, in order.
pub fn headers(text: &str) -> Vec<String> {
    text.lines().filter_map(header_of).collect()
}

fn render_section(header: &str, entries: &[(String, String)], comment: Option<&str>) -> String {
    let mut s = String::new();
    if let Some(c) = comment {
        for line in c.lines() {
            let _ = writeln!(s, "# {line}");
        }
    }
    let _ = writeln!(s, "[{header}]");
    for (k, v) in entries {
        let _ = writeln!(s, "{k} = {v}");
    }
    s
}

/// What `upsert` did or would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Added,
    Replaced,
    Unchanged,
}

/// The section exists and the caller did not allow replacing it. `existing` holds its
/// settings, a secret access key among them in a credentials file: zeroed when dropped,
/// and `Debug` shows only their names.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("[{header}] already exists ({} setting(s)); choose another profile name or replace it explicitly", .existing.len())]
pub struct SectionExists {
    pub header: String,
    pub existing: SecretPairs,
}

impl std::fmt::Debug for SectionExists {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SectionExists").field("header", &self.header).field("existing", &RedactedPairs(&self.existing)).finish()
    }
}

/// Add the section, or replace it when `force`; everything else is kept as it was.
/// `comment` goes on `#` lines just above a newly added header.
pub fn upsert(
    text: &str,
    header: &str,
    entries: &[(String, String)],
    comment: Option<&str>,
    force: bool,
) -> Result<(String, Change), SectionExists> {
    let lines: Vec<&str> = text.lines().collect();
    match find_section(&lines, header) {
        Some((start, end)) => {
            let existing = SecretPairs::new(read_section(text, header).unwrap_or_default());
            if *existing == entries {
                return Ok((text.to_string(), Change::Unchanged));
            }
            if !force {
                return Err(SectionExists { header: header.into(), existing });
            }
            let mut out = String::new();
            for l in &lines[..start] {
                out.push_str(l);
                out.push('\n');
            }
            out.push_str(&render_section(header, entries, None));
            for l in &lines[end..] {
                out.push_str(l);
                out.push('\n');
            }
            if !text.ends_with('\n') && end == lines.len() && out.ends_with("\n\n") {
                out.pop();
            }
            Ok((out, Change::Replaced))
        }
        None => {
            let mut out = text.to_string();
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            if !out.is_empty() && !out.ends_with("\n\n") {
                out.push('\n');
            }
            out.push_str(&render_section(header, entries, comment));
            Ok((out, Change::Added))
        }
    }
}

/// A line diff of two texts (`-` removed, `+` added, two lines of context), for showing
/// a change before it is written. Secret values must be masked by the caller first.
pub fn diff(old: &str, new: &str) -> String {
    let d = similar::TextDiff::from_lines(old, new);
    let mut out = String::new();
    for group in d.grouped_ops(2) {
        for op in group {
            for change in d.iter_changes(&op) {
                let sign = match change.tag() {
                    similar::ChangeTag::Delete => '-',
                    similar::ChangeTag::Insert => '+',
                    similar::ChangeTag::Equal => ' ',
                };
                let _ = write!(out, "{sign}{}", change);
                if change.missing_newline() {
                    out.push('\n');
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    const CONFIG: &str = "# my settings\n[default]\nregion = us-east-1\n\n; work account\n[profile work]\nsso_session = corp\nsso_account_id = 111122223333\n\n# the next one is old\n[profile old]\nregion=eu-west-1\n";

    #[test]
    fn adding_keeps_every_other_line_and_their_order() {
        let (out, change) = upsert(CONFIG, "profile rg", &kv(&[("region", "eu-west-1")]), Some("made by rolegate"), false).unwrap();
        assert_eq!(change, Change::Added);
        assert!(out.starts_with(CONFIG), "the old text is a prefix of the new one:\n{out}");
        assert!(out.ends_with("\n\n# made by rolegate\n[profile rg]\nregion = eu-west-1\n"), "{out}");
        assert_eq!(headers(&out), ["default", "profile work", "profile old", "profile rg"]);
    }

    #[test]
    fn an_existing_section_is_refused_unless_forced_and_then_only_it_changes() {
        let e = upsert(CONFIG, "profile work", &kv(&[("region", "x")]), None, false).unwrap_err();
        assert_eq!(*e.existing, kv(&[("sso_session", "corp"), ("sso_account_id", "111122223333")]));
        let (out, change) = upsert(CONFIG, "profile work", &kv(&[("region", "x")]), None, true).unwrap();
        assert_eq!(change, Change::Replaced);
        assert_eq!(
            out,
            "# my settings\n[default]\nregion = us-east-1\n\n; work account\n[profile work]\nregion = x\n\n# the next one is old\n[profile old]\nregion=eu-west-1\n"
        );
    }

    #[test]
    fn the_same_settings_again_change_nothing() {
        let (out, _) = upsert(CONFIG, "profile rg", &kv(&[("a", "1")]), None, false).unwrap();
        let (again, change) = upsert(&out, "profile rg", &kv(&[("a", "1")]), None, false).unwrap();
        assert_eq!((again.as_str(), change), (out.as_str(), Change::Unchanged));
    }

    #[test]
    fn files_without_a_final_newline_and_empty_files() {
        let (out, _) = upsert("[a]\nx = 1", "b", &kv(&[("y", "2")]), None, false).unwrap();
        assert_eq!(out, "[a]\nx = 1\n\n[b]\ny = 2\n");
        let (out, _) = upsert("", "b", &kv(&[("y", "2")]), None, false).unwrap();
        assert_eq!(out, "[b]\ny = 2\n");
        let (out, _) = upsert("[b]\ny = 1", "b", &kv(&[("y", "2")]), None, true).unwrap();
        assert_eq!(out, "[b]\ny = 2\n");
    }

    #[test]
    fn headers_are_matched_by_name_not_by_prefix_or_spacing() {
        let text = "[profile rg-source]\na = 1\n[ profile   rg ]\nb = 2\n";
        assert_eq!(read_section(text, "profile rg"), Some(kv(&[("b", "2")])));
        assert_eq!(read_section(text, "profile rg-source"), Some(kv(&[("a", "1")])));
        assert_eq!(read_section(text, "profile r"), None);
        assert_eq!(header_for(FileKind::Config, "default"), "default");
        assert_eq!(header_for(FileKind::Config, "x"), "profile x");
        assert_eq!(header_for(FileKind::Credentials, "x"), "x");
    }

    #[test]
    fn diff_shows_only_the_change_with_context() {
        let (out, _) = upsert(CONFIG, "profile work", &kv(&[("region", "x")]), None, true).unwrap();
        let d = diff(CONFIG, &out);
        assert!(d.contains("-sso_session = corp\n") && d.contains("+region = x\n"), "{d}");
        assert!(!d.contains("my settings"), "far context is left out: {d}");
    }
}
