//! OAuth scopes as Mastodon defines them: `read`, `write`, `follow`, `push`, `profile`
//! and the granular `read:*` / `write:*` forms.

const GRANULAR: &[&str] = &[
    "read:accounts",
    "read:blocks",
    "read:bookmarks",
    "read:favourites",
    "read:filters",
    "read:follows",
    "read:lists",
    "read:mutes",
    "read:notifications",
    "read:search",
    "read:statuses",
    "write:accounts",
    "write:blocks",
    "write:bookmarks",
    "write:conversations",
    "write:favourites",
    "write:filters",
    "write:follows",
    "write:lists",
    "write:media",
    "write:mutes",
    "write:notifications",
    "write:reports",
    "write:statuses",
];
const TOP: &[&str] = &["read", "write", "follow", "push", "profile"];
/// The admin API's scopes. Never implied by `read`/`write`: only `admin:read` and
/// `admin:write` cover their granular forms.
pub(crate) const ADMIN: &[&str] = &[
    "admin:read",
    "admin:write",
    "admin:read:accounts",
    "admin:write:accounts",
    "admin:read:reports",
    "admin:write:reports",
    "admin:read:domain_blocks",
    "admin:write:domain_blocks",
];
/// What the legacy `follow` scope covers.
const FOLLOW_COVERS: &[&str] = &[
    "read:follows",
    "write:follows",
    "read:blocks",
    "write:blocks",
    "read:mutes",
    "write:mutes",
];

/// A validated, de-duplicated set of scopes, kept in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scopes(Vec<String>);

impl Scopes {
    /// Parses a space- (or `+`-) separated list. Empty means `read`, as in Mastodon.
    pub fn parse(s: &str) -> Result<Scopes, String> {
        let mut out: Vec<String> = Vec::new();
        for part in s.split([' ', '+', ',']).filter(|p| !p.is_empty()) {
            if !TOP.contains(&part) && !GRANULAR.contains(&part) && !ADMIN.contains(&part) {
                return Err(format!("unknown scope: {part}"));
            }
            if !out.iter().any(|p| p == part) {
                out.push(part.to_string());
            }
        }
        if out.is_empty() {
            out.push("read".into());
        }
        Ok(Scopes(out))
    }

    pub fn as_string(&self) -> String {
        self.0.join(" ")
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// Whether these scopes grant `required` (e.g. `read:statuses`).
    pub fn allows(&self, required: &str) -> bool {
        if let Some(rest) = required.strip_prefix("admin:") {
            let top = rest.split(':').next().unwrap_or_default();
            return self
                .0
                .iter()
                .any(|have| have == required || *have == format!("admin:{top}"));
        }
        self.0.iter().any(|have| {
            have == required
                || required.split_once(':').is_some_and(|(top, _)| have == top)
                || (have == "follow" && FOLLOW_COVERS.contains(&required))
        })
    }

    /// Whether every scope of `other` is granted by `self` (asking for a subset of an app's scopes).
    pub fn covers(&self, other: &Scopes) -> bool {
        other.iter().all(|s| {
            if TOP.contains(&s) && s != "profile" && s != "push" && s != "follow" {
                // Asking for all of `read` needs `read` itself, not a granular piece.
                self.0.iter().any(|h| h == s)
            } else {
                self.allows(s) || (s == "profile" && self.allows("read:accounts"))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_allow() {
        let s = Scopes::parse("read write:statuses follow").unwrap();
        assert!(s.allows("read:notifications"));
        assert!(s.allows("write:statuses"));
        assert!(!s.allows("write:favourites"));
        assert!(s.allows("write:follows"));
        assert!(!s.allows("profile"));
        assert_eq!(Scopes::parse("").unwrap().as_string(), "read");
        assert!(Scopes::parse("read delete").is_err());
        let app = Scopes::parse("read write").unwrap();
        assert!(app.covers(&Scopes::parse("read:statuses write").unwrap()));
        assert!(!app.covers(&Scopes::parse("follow").unwrap()));
        assert!(!Scopes::parse("read:statuses")
            .unwrap()
            .covers(&Scopes::parse("read").unwrap()));
        assert!(app.covers(&Scopes::parse("profile").unwrap()));
    }

    #[test]
    fn admin_scopes_are_their_own() {
        let s = Scopes::parse("read write admin:read:reports").unwrap();
        assert!(s.allows("admin:read:reports"));
        assert!(!s.allows("admin:read:accounts"));
        assert!(!s.allows("admin:write:reports"));
        let s = Scopes::parse("admin:read admin:write").unwrap();
        assert!(s.allows("admin:read:accounts"));
        assert!(s.allows("admin:write:domain_blocks"));
        assert!(!s.allows("read:statuses"));
        assert!(Scopes::parse("admin:read:nothing").is_err());
    }
}
