//! Data classes: the unit the policy speaks about.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What kind of personal data a piece of information is. The class, not the table it sits in,
/// decides whether it may leave its home region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataClass {
    /// Email, phone, password hash, tokens, IPs, devices, sessions. Never leaves home.
    Identity,
    /// Public and unlisted posts, public profile.
    PublicContent,
    /// Followers-only posts, direct messages.
    PrivateContent,
    /// Who liked, reposted or viewed what.
    Engagement,
    /// Who follows whom.
    SocialGraph,
    /// Counts with no person in them.
    Aggregate,
}

impl DataClass {
    pub const ALL: [DataClass; 6] = [
        DataClass::Identity,
        DataClass::PublicContent,
        DataClass::PrivateContent,
        DataClass::Engagement,
        DataClass::SocialGraph,
        DataClass::Aggregate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DataClass::Identity => "identity",
            DataClass::PublicContent => "public_content",
            DataClass::PrivateContent => "private_content",
            DataClass::Engagement => "engagement",
            DataClass::SocialGraph => "social_graph",
            DataClass::Aggregate => "aggregate",
        }
    }

    /// Exact, case-sensitive match of the snake_case name (the form used in files and JSON).
    pub fn parse(s: &str) -> Option<DataClass> {
        DataClass::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for DataClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name was not one of the six classes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown data class {0:?} (expected one of identity, public_content, private_content, engagement, social_graph, aggregate)")]
pub struct UnknownClass(pub String);

impl FromStr for DataClass {
    type Err = UnknownClass;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DataClass::parse(s).ok_or_else(|| UnknownClass(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for c in DataClass::ALL {
            assert_eq!(DataClass::parse(c.as_str()), Some(c));
            assert_eq!(c.to_string(), c.as_str());
            assert_eq!(c.as_str().parse::<DataClass>(), Ok(c));
            // serde uses the same names as as_str.
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            assert_eq!(serde_json::from_str::<DataClass>(&json).unwrap(), c);
        }
    }

    #[test]
    fn expected_texts() {
        assert_eq!(DataClass::PublicContent.as_str(), "public_content");
        assert_eq!(DataClass::SocialGraph.as_str(), "social_graph");
    }

    #[test]
    fn rejects_unknown() {
        assert_eq!(DataClass::parse("Identity"), None);
        assert_eq!(DataClass::parse("public-content"), None);
        assert_eq!(DataClass::parse(""), None);
        assert!("nope".parse::<DataClass>().is_err());
    }
}
