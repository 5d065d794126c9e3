//! What an account keeps for itself: posting defaults (`source[...]`, `/preferences`),
//! private notes, endorsements, featured tags; and the directory, familiar followers and
//! the instance's weekly activity. The private parts never leave the home region: no
//! `Outbound` event is published for any of them.

use super::{clamp_page, now, AccountsPage, Roost};
use crate::id::Id;
use crate::model::*;
use crate::store::StoreError;
use crate::{CoreError, CoreResult};

/// Mastodon's `AccountNote` limit.
const MAX_NOTE_CHARS: usize = 2000;
/// Mastodon's limit on featured tags per account.
const MAX_FEATURED_TAGS: usize = 10;

/// Mastodon's limits on profile fields.
pub const MAX_FIELDS: usize = 4;
const MAX_FIELD_NAME: usize = 255;
const MAX_FIELD_VALUE: usize = 255;

/// A field's name and value without forbidden characters and surrounding space; None
/// when both are empty (such pairs are dropped).
fn clean_field(name: &str, value: &str) -> Option<(String, String)> {
    let name = crate::text::strip_forbidden(name).trim().to_string();
    let value = crate::text::strip_forbidden(value).trim().to_string();
    (!name.is_empty() || !value.is_empty()).then_some((name, value))
}

fn within_limits(name: &str, value: &str) -> bool {
    name.chars().count() <= MAX_FIELD_NAME && value.chars().count() <= MAX_FIELD_VALUE
}

/// A field value is one line: the paragraph the renderer wraps it in goes.
fn one_line(html: String) -> String {
    html.strip_prefix("<p>")
        .and_then(|h| h.strip_suffix("</p>"))
        .map(str::to_string)
        .unwrap_or(html)
}

/// Another region's profile fields as its actor sends them (name, value source): cleaned
/// and rendered as local fields are, with links and tags to `home_base`, the account's
/// home. What a local edit would refuse (too many, too long) is left out.
pub fn foreign_fields<'a>(
    fields: impl IntoIterator<Item = (&'a str, &'a str)>,
    home_base: &str,
) -> Vec<ProfileField> {
    fields
        .into_iter()
        .filter_map(|(n, v)| clean_field(n, v))
        .filter(|(n, v)| within_limits(n, v))
        .take(MAX_FIELDS)
        .map(|(name, value)| ProfileField {
            value_html: one_line(crate::text::render(&value, home_base, &|_| None)),
            name,
            value_source: value,
        })
        .collect()
}

impl Roost {
    /// `fields_attributes`: up to four name/value pairs; pairs with both empty are
    /// dropped; values are rendered like a bio (links and mentions, all else escaped).
    pub async fn set_profile_fields(
        &self,
        me: &Account,
        fields: Vec<(String, String)>,
    ) -> CoreResult<Account> {
        let fields: Vec<(String, String)> = fields
            .iter()
            .filter_map(|(n, v)| clean_field(n, v))
            .collect();
        if fields.len() > MAX_FIELDS {
            return Err(CoreError::Validation(format!(
                "Validation failed: Fields can hold at most {MAX_FIELDS} items"
            )));
        }
        if fields.iter().any(|(n, v)| !within_limits(n, v)) {
            return Err(CoreError::Validation(
                "Validation failed: Fields are too long (maximum is 255 characters each)".into(),
            ));
        }
        let mut out = Vec::with_capacity(fields.len());
        for (name, value) in fields {
            let html = one_line(self.render_text(&value).await?);
            out.push(ProfileField {
                name,
                value_source: value,
                value_html: html,
            });
        }
        match self.store.set_profile_fields(me.id, &out).await {
            Err(StoreError::Missing(_)) => Err(CoreError::NotFound("account")),
            r => {
                let a = r?;
                // Followers' regions keep the profile as the policy allows.
                self.publish(crate::remote::Outbound::ProfileUpdated { account: a.id })
                    .await?;
                Ok(a)
            }
        }
    }

    pub async fn posting_defaults(&self, me: &Account) -> CoreResult<PostingDefaults> {
        Ok(self.store.posting_defaults(me.id).await?)
    }

    /// `source[privacy|sensitive|language]` of update_credentials; fields not given keep
    /// their value.
    pub async fn set_posting_defaults(
        &self,
        me: &Account,
        visibility: Option<Visibility>,
        sensitive: Option<bool>,
        language: Option<String>,
    ) -> CoreResult<PostingDefaults> {
        let mut d = self.store.posting_defaults(me.id).await?;
        if let Some(v) = visibility {
            // Mastodon offers public, unlisted and private as defaults (not direct).
            if v == Visibility::Direct {
                return Err(CoreError::Validation(
                    "Validation failed: Default privacy is not included in the list".into(),
                ));
            }
            d.visibility = v;
        }
        if let Some(s) = sensitive {
            d.sensitive = s;
        }
        if let Some(l) = language {
            let l = l.trim().to_string();
            d.language = if l.is_empty() {
                None
            } else if super::statuses::valid_language(&l) {
                Some(l)
            } else {
                return Err(CoreError::Validation(format!(
                    "Validation failed: Language {l} is not a valid language code"
                )));
            };
        }
        self.store.set_posting_defaults(me.id, &d).await?;
        Ok(d)
    }

    /// Sets the caller's private note on `target` (empty removes it).
    pub async fn set_note(&self, me: &Account, target: Id, comment: &str) -> CoreResult<String> {
        self.account_or_404(target).await?;
        let comment = crate::text::strip_forbidden(comment).trim().to_string();
        if comment.chars().count() > MAX_NOTE_CHARS {
            return Err(CoreError::Validation(format!(
                "Validation failed: Comment is too long (maximum is {MAX_NOTE_CHARS} characters)"
            )));
        }
        match self.store.set_note(me.id, target, &comment).await {
            Err(StoreError::Missing(_)) => Err(CoreError::NotFound("account")),
            r => Ok(r.map(|_| comment)?),
        }
    }

    /// The caller's notes and endorsements among `targets`: what a Relationship shows
    /// besides the follow graph.
    pub async fn relationship_extras(
        &self,
        me: Id,
        targets: &[Id],
    ) -> CoreResult<(Vec<(Id, String)>, Vec<Id>)> {
        if targets.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let notes = self.store.notes(me, targets).await?;
        let endorsed = self.store.endorsed_among(me, targets).await?;
        Ok((notes, endorsed))
    }

    /// Endorses (`pin`) an account the caller follows; 422 otherwise, as Mastodon.
    pub async fn set_endorsed(
        &self,
        me: &Account,
        target: Id,
        on: bool,
    ) -> CoreResult<Relationship> {
        self.account_or_404(target).await?;
        if on {
            let rel = self.relationship(me.id, target).await?;
            if !rel.following {
                return Err(CoreError::Validation(
                    "Validation failed: You can only endorse accounts you follow".into(),
                ));
            }
            self.store.endorse(self.next_id()?, me.id, target).await?;
        } else {
            self.store.unendorse(me.id, target).await?;
        }
        self.relationship(me.id, target).await
    }

    pub async fn endorsements(&self, me: &Account, page: Page) -> CoreResult<AccountsPage> {
        let rows = self.store.endorsements(me.id, clamp_page(page)).await?;
        self.cursored_accounts(rows).await
    }

    pub async fn featured_tags(&self, account: Id) -> CoreResult<Vec<FeaturedTag>> {
        self.account_or_404(account).await?;
        Ok(self.store.featured_tags(account).await?)
    }

    pub async fn feature_tag(&self, me: &Account, name: &str) -> CoreResult<FeaturedTag> {
        let name = name.trim().trim_start_matches('#').to_lowercase();
        let valid = !name.is_empty()
            && name.chars().count() <= 100
            && name.chars().all(|c| c.is_alphanumeric() || c == '_');
        if !valid {
            return Err(CoreError::Validation(
                "Validation failed: Tag is invalid".into(),
            ));
        }
        if self.store.featured_tags(me.id).await?.len() >= MAX_FEATURED_TAGS {
            return Err(CoreError::Validation(format!(
                "Validation failed: You can feature at most {MAX_FEATURED_TAGS} hashtags"
            )));
        }
        match self
            .store
            .feature_tag(self.next_id()?, me.id, &name, now())
            .await
        {
            Err(StoreError::Conflict(_)) => Err(CoreError::Validation(
                "Validation failed: Tag has already been taken".into(),
            )),
            r => Ok(r?),
        }
    }

    pub async fn unfeature_tag(&self, me: &Account, id: Id) -> CoreResult<()> {
        if !self.store.unfeature_tag(me.id, id).await? {
            return Err(CoreError::NotFound("featured_tag"));
        }
        Ok(())
    }

    pub async fn featured_tag_suggestions(
        &self,
        me: &Account,
    ) -> CoreResult<Vec<super::followed_tags::TagView>> {
        let names = self.store.tag_suggestions(me.id, 10).await?;
        let followed = self.store.following_tags(me.id, &names).await?;
        let mut history = self.tag_history(&names).await?;
        Ok(names
            .into_iter()
            .map(|name| super::followed_tags::TagView {
                following: Some(followed.contains(&name)),
                history: history.remove(&name).unwrap_or_default(),
                name,
            })
            .collect())
    }

    /// Accounts the caller follows that follow `target`.
    pub async fn familiar_followers(&self, me: &Account, target: Id) -> CoreResult<Vec<Account>> {
        let ids = self.store.familiar_followers(me.id, target, 40).await?;
        self.accounts(&ids).await
    }

    pub async fn directory(
        &self,
        offset: u32,
        limit: u32,
        active: bool,
        local: bool,
    ) -> CoreResult<Vec<Account>> {
        let limit = clamp_page(Page {
            limit,
            ..Default::default()
        })
        .limit
        .min(80);
        let region = local.then_some(self.cfg.region.as_str());
        let ids = self.store.directory(offset, limit, active, region).await?;
        self.accounts(&ids).await
    }

    /// The last `weeks` weeks (the current one first): (week start, statuses, logins,
    /// registrations), as `/api/v1/instance/activity`.
    pub async fn weekly_activity(
        &self,
        weeks: usize,
    ) -> CoreResult<Vec<(jiff::Timestamp, i64, i64, i64)>> {
        let week = jiff::SignedDuration::from_hours(24 * 7);
        let today = now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map_err(|e| CoreError::Internal(e.to_string()))?;
        // Weeks start on Monday (UTC), as Mastodon's.
        let back = i64::from(today.weekday().to_monday_zero_offset());
        let start = today.timestamp() - jiff::SignedDuration::from_hours(24 * back);
        let windows: Vec<(jiff::Timestamp, jiff::Timestamp)> = (0..weeks as i32)
            .map(|i| {
                let s = start - week * i;
                (s, s + week)
            })
            .collect();
        let counts = self.store.weekly_activity(&windows).await?;
        Ok(windows
            .iter()
            .zip(counts)
            .map(|((s, _), (a, b, c))| (*s, a, b, c))
            .collect())
    }
}
