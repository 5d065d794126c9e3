//! Policy actions and one region's outbound policy.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::class::DataClass;

/// What a home region allows for one (destination, class) pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Must not be sent.
    Deny,
    /// May be sent for immediate display; the receiver must not persist it.
    Transit,
    /// May be persisted by the receiver, for at most `max_secs` when set.
    Store { max_secs: Option<u64> },
}

const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;

impl Action {
    /// Retention limit in seconds; `None` for unlimited storage and for deny/transit.
    pub fn max_secs(&self) -> Option<u64> {
        match self {
            Action::Store { max_secs } => *max_secs,
            _ => None,
        }
    }

    /// Parses `deny`, `transit`, `store` or `store:<n><s|m|h|d>` (for example `store:30d`).
    pub fn parse(s: &str) -> Result<Action, ActionParseError> {
        let bad = |reason: &'static str| ActionParseError {
            text: s.to_string(),
            reason,
        };
        match s {
            "deny" => return Ok(Action::Deny),
            "transit" => return Ok(Action::Transit),
            "store" => return Ok(Action::Store { max_secs: None }),
            _ => {}
        }
        let Some(limit) = s.strip_prefix("store:") else {
            return Err(bad("expected deny, transit, store or store:<n><s|m|h|d>"));
        };
        if limit.len() < 2 {
            return Err(bad(
                "expected a number and a unit after store:, as in store:30d",
            ));
        }
        let (digits, unit) = limit.split_at(limit.len() - 1);
        let unit = match unit {
            "s" => 1,
            "m" => MINUTE,
            "h" => HOUR,
            "d" => DAY,
            _ => return Err(bad("the unit must be s, m, h or d")),
        };
        // Digits only: u64::from_str would also take a leading '+'.
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("expected a whole number before the unit"));
        }
        let n: u64 = digits
            .parse()
            .map_err(|_| bad("expected a whole number before the unit"))?;
        if n == 0 {
            // A zero retention would mean "may not keep it": that is transit.
            return Err(bad("a zero retention is not storage; use transit"));
        }
        let secs = n
            .checked_mul(unit)
            .ok_or_else(|| bad("the retention is too long"))?;
        Ok(Action::Store {
            max_secs: Some(secs),
        })
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Deny => f.write_str("deny"),
            Action::Transit => f.write_str("transit"),
            Action::Store { max_secs: None } => f.write_str("store"),
            // Largest unit that divides exactly, so parse(display(a)) == a.
            Action::Store {
                max_secs: Some(secs),
            } => {
                let secs = *secs;
                if secs % DAY == 0 {
                    write!(f, "store:{}d", secs / DAY)
                } else if secs % HOUR == 0 {
                    write!(f, "store:{}h", secs / HOUR)
                } else if secs % MINUTE == 0 {
                    write!(f, "store:{}m", secs / MINUTE)
                } else {
                    write!(f, "store:{secs}s")
                }
            }
        }
    }
}

/// The text was not a policy action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad policy action {text:?}: {reason}")]
pub struct ActionParseError {
    pub text: String,
    pub reason: &'static str,
}

impl FromStr for Action {
    type Err = ActionParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Action::parse(s)
    }
}

impl Serialize for Action {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Action::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The gate's answer for one transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub action: Action,
    /// Region whose policy ruled (the data's home).
    pub home: String,
    pub destination: String,
    pub class: DataClass,
}

impl Decision {
    /// May be sent at all.
    pub fn allowed(&self) -> bool {
        self.action != Action::Deny
    }

    /// The receiver may persist it.
    pub fn persist(&self) -> bool {
        matches!(self.action, Action::Store { .. })
    }

    /// The rule that applied, as shown to users: `in -> id public_content: store:30d`.
    pub fn rule(&self) -> String {
        format!(
            "{} -> {} {}: {}",
            self.home, self.destination, self.class, self.action
        )
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rule())
    }
}

/// One region's outbound policy: what its users' data may do in each other region.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Applies to every destination without its own entry for the class.
    pub default: BTreeMap<DataClass, Action>,
    /// Per-destination overrides, keyed by region code.
    pub to: BTreeMap<String, BTreeMap<DataClass, Action>>,
}

impl Policy {
    /// Override, else default, else deny. Identity is always denied, whatever is written.
    pub fn action(&self, destination: &str, class: DataClass) -> Action {
        if class == DataClass::Identity {
            return Action::Deny;
        }
        self.to
            .get(destination)
            .and_then(|m| m.get(&class))
            .or_else(|| self.default.get(&class))
            .copied()
            .unwrap_or(Action::Deny)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(secs: u64) -> Action {
        Action::Store {
            max_secs: Some(secs),
        }
    }

    #[test]
    fn parses_all_forms() {
        assert_eq!(Action::parse("deny"), Ok(Action::Deny));
        assert_eq!(Action::parse("transit"), Ok(Action::Transit));
        assert_eq!(Action::parse("store"), Ok(Action::Store { max_secs: None }));
        assert_eq!(Action::parse("store:30d"), Ok(store(30 * 86_400)));
        assert_eq!(Action::parse("store:12h"), Ok(store(12 * 3_600)));
        assert_eq!(Action::parse("store:15m"), Ok(store(15 * 60)));
        assert_eq!(Action::parse("store:90s"), Ok(store(90)));
    }

    #[test]
    fn rejects_bad_text() {
        for bad in [
            "",
            "Deny",
            "store:",
            "store:d",
            "store:30",
            "store:30w",
            "store:-1d",
            "store:+1d",
            "store:1.5d",
            "store:0d",
            "store: 3d",
            "store:99999999999999999999d",
            "store:999999999999999999d",
            "keep",
            " deny",
        ] {
            assert!(Action::parse(bad).is_err(), "{bad:?} should not parse");
        }
        let err = Action::parse("store:30w").unwrap_err();
        assert!(err.to_string().contains("store:30w"), "{err}");
    }

    #[test]
    fn display_round_trips_with_largest_unit() {
        assert_eq!(store(30 * 86_400).to_string(), "store:30d");
        assert_eq!(store(36 * 3_600).to_string(), "store:36h");
        assert_eq!(store(90).to_string(), "store:90s");
        assert_eq!(store(120).to_string(), "store:2m");
        assert_eq!(Action::Store { max_secs: None }.to_string(), "store");
        for a in [
            Action::Deny,
            Action::Transit,
            Action::Store { max_secs: None },
            store(1),
            store(59),
            store(61),
            store(3_600),
            store(86_400 * 365),
        ] {
            assert_eq!(Action::parse(&a.to_string()), Ok(a));
        }
    }

    #[test]
    fn max_secs_helper() {
        assert_eq!(Action::Deny.max_secs(), None);
        assert_eq!(Action::Transit.max_secs(), None);
        assert_eq!(Action::Store { max_secs: None }.max_secs(), None);
        assert_eq!(store(5).max_secs(), Some(5));
    }

    #[test]
    fn serde_uses_text_form() {
        let json = serde_json::to_string(&store(86_400)).unwrap();
        assert_eq!(json, "\"store:1d\"");
        assert_eq!(
            serde_json::from_str::<Action>(&json).unwrap(),
            store(86_400)
        );
        assert!(serde_json::from_str::<Action>("\"forever\"").is_err());
    }

    fn sample() -> Policy {
        let mut p = Policy::default();
        p.default
            .insert(DataClass::PublicContent, Action::Store { max_secs: None });
        p.default.insert(DataClass::Engagement, store(30 * 86_400));
        // Written by mistake: must still deny.
        p.default
            .insert(DataClass::Identity, Action::Store { max_secs: None });
        let mut cn = BTreeMap::new();
        cn.insert(DataClass::PublicContent, Action::Transit);
        cn.insert(DataClass::Identity, Action::Transit);
        p.to.insert("cn".into(), cn);
        p
    }

    #[test]
    fn override_then_default_then_deny() {
        let p = sample();
        assert_eq!(p.action("cn", DataClass::PublicContent), Action::Transit);
        // cn has no engagement override: default applies.
        assert_eq!(p.action("cn", DataClass::Engagement), store(30 * 86_400));
        assert_eq!(
            p.action("id", DataClass::PublicContent),
            Action::Store { max_secs: None }
        );
        // Nothing written for social_graph anywhere.
        assert_eq!(p.action("id", DataClass::SocialGraph), Action::Deny);
        assert_eq!(
            Policy::default().action("id", DataClass::Aggregate),
            Action::Deny
        );
    }

    #[test]
    fn identity_always_denied() {
        let p = sample();
        assert_eq!(p.action("cn", DataClass::Identity), Action::Deny);
        assert_eq!(p.action("id", DataClass::Identity), Action::Deny);
    }

    #[test]
    fn decision_helpers_and_rule_text() {
        let d = Decision {
            action: store(30 * 86_400),
            home: "in".into(),
            destination: "id".into(),
            class: DataClass::PublicContent,
        };
        assert!(d.allowed());
        assert!(d.persist());
        assert_eq!(d.rule(), "in -> id public_content: store:30d");
        let t = Decision {
            action: Action::Transit,
            ..d.clone()
        };
        assert!(t.allowed());
        assert!(!t.persist());
        let n = Decision {
            action: Action::Deny,
            ..d
        };
        assert!(!n.allowed());
        assert!(!n.persist());
        assert_eq!(n.to_string(), "in -> id public_content: deny");
    }
}
