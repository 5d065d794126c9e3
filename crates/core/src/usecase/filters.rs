//! Filters (Mastodon's v2 filters, and what the v1 endpoints need): create, edit and
//! delete them with their keywords and statuses; and mark a page's statuses with the
//! viewer's matches (`StatusView::filtered`), from filters read once and cached.

use super::hydrate::StatusView;
use super::{now, Roost};
use crate::cache::Change;
use crate::filtering;
use crate::id::Id;
use crate::model::{Filter, FilterAction, FilterContext, FilterKeyword, FilterPart, FilterStatus};
use crate::{CoreError, CoreResult};
use std::sync::Arc;

/// Longest title and keyword accepted (Mastodon has no limit; bounded input here).
const MAX_TITLE: usize = 256;
const MAX_KEYWORD: usize = 256;
/// Most keywords and statuses one filter holds.
const MAX_PARTS: usize = 200;
/// Most filters of one account.
const MAX_FILTERS: usize = 300;

/// A keyword change of `keywords_attributes[]`: with an ID it edits (or, with
/// `destroy`, removes) that keyword, without one it adds a keyword.
#[derive(Debug, Clone, Default)]
pub struct KeywordChange {
    pub id: Option<Id>,
    pub keyword: Option<String>,
    pub whole_word: Option<bool>,
    pub destroy: bool,
}

/// What `POST`/`PUT /api/v2/filters` may set; absent fields stay as they are (or take
/// Mastodon's defaults on create).
#[derive(Debug, Clone, Default)]
pub struct FilterInput {
    pub title: Option<String>,
    pub context: Option<Vec<String>>,
    pub action: Option<String>,
    /// `Some(None)`: never expires; `Some(Some(s))`: in `s` seconds.
    pub expires_in: Option<Option<u64>>,
    pub keywords: Vec<KeywordChange>,
}

fn invalid(msg: &str) -> CoreError {
    CoreError::Validation(format!("Validation failed: {msg}"))
}

fn check_keyword(k: &str) -> CoreResult<String> {
    let k = k.trim();
    if k.is_empty() {
        return Err(invalid("Keyword can't be blank"));
    }
    if k.chars().count() > MAX_KEYWORD {
        return Err(invalid("Keyword is too long"));
    }
    Ok(k.to_string())
}

/// Marks a view (and the status it reblogs) with the filters it matches.
pub(crate) fn mark(filters: &[Filter], view: &mut StatusView) {
    if filters.is_empty() {
        return;
    }
    let proper = view.reblog.as_ref().map_or(&view.status, |r| &r.status);
    let found = filtering::matches(filters, &view.status, proper, now());
    if let Some(r) = view.reblog.as_mut() {
        r.filtered = found.clone();
    }
    view.filtered = found;
}

impl Roost {
    /// The account's filters, read once and then kept until one of them changes.
    pub async fn filters_for(&self, account: Id) -> CoreResult<Arc<Vec<Filter>>> {
        if let Some(f) = self.caches.filters(account) {
            return Ok(f);
        }
        let epoch = self.caches.epoch();
        let f = Arc::new(self.store.filters_of(account).await?);
        self.caches.remember_filters(epoch, account, f.clone());
        Ok(f)
    }

    /// `account`'s filter matches with a view rendered for nobody (a live item), read
    /// from the cache; empty (and nothing cloned) for an account without filters.
    pub async fn filter_matches(
        &self,
        account: Id,
        view: &StatusView,
    ) -> CoreResult<Vec<filtering::FilterMatch>> {
        let filters = self.filters_for(account).await?;
        if filters.is_empty() {
            return Ok(Vec::new());
        }
        let proper = view.reblog.as_ref().map_or(&view.status, |r| &r.status);
        Ok(filtering::matches(&filters, &view.status, proper, now()))
    }

    async fn save(&self, f: &Filter) -> CoreResult<()> {
        let r = self.store.save_filter(f).await;
        self.invalidation.changed(&Change::Filters(f.account_id));
        match r {
            Ok(()) => Ok(()),
            Err(crate::store::StoreError::Missing(_)) => Err(CoreError::NotFound("status")),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn filters(&self, me: Id) -> CoreResult<Vec<Filter>> {
        Ok(self.store.filters_of(me).await?)
    }

    pub async fn filter(&self, me: Id, id: Id) -> CoreResult<Filter> {
        self.store
            .filter(me, id)
            .await?
            .ok_or(CoreError::NotFound("filter"))
    }

    pub async fn create_filter(&self, me: Id, input: FilterInput) -> CoreResult<Filter> {
        if self.store.filters_of(me).await?.len() >= MAX_FILTERS {
            return Err(invalid("Too many filters"));
        }
        let mut f = Filter {
            id: self.next_id()?,
            account_id: me,
            title: String::new(),
            context: Vec::new(),
            action: FilterAction::Warn,
            expires_at: None,
            created_at: now(),
            keywords: Vec::new(),
            statuses: Vec::new(),
        };
        if input.title.is_none() {
            return Err(invalid("Title can't be blank"));
        }
        if input.context.is_none() {
            return Err(invalid("Context can't be blank"));
        }
        self.apply(&mut f, input)?;
        self.save(&f).await?;
        Ok(f)
    }

    pub async fn update_filter(&self, me: Id, id: Id, input: FilterInput) -> CoreResult<Filter> {
        let mut f = self.filter(me, id).await?;
        self.apply(&mut f, input)?;
        self.save(&f).await?;
        Ok(f)
    }

    /// Applies an input to a filter, checking everything before anything is written.
    fn apply(&self, f: &mut Filter, input: FilterInput) -> CoreResult<()> {
        if let Some(t) = input.title {
            let t = t.trim().to_string();
            if t.is_empty() {
                return Err(invalid("Title can't be blank"));
            }
            if t.chars().count() > MAX_TITLE {
                return Err(invalid("Title is too long"));
            }
            f.title = t;
        }
        if let Some(ctx) = input.context {
            let mut parsed = Vec::new();
            for c in ctx {
                let c = FilterContext::parse(c.trim())
                    .ok_or_else(|| invalid("Context contains invalid context types"))?;
                if !parsed.contains(&c) {
                    parsed.push(c);
                }
            }
            if parsed.is_empty() {
                return Err(invalid("Context can't be blank"));
            }
            f.context = parsed;
        }
        if let Some(a) = input.action {
            f.action = FilterAction::parse(a.trim())
                .ok_or_else(|| invalid("Filter action is not included in the list"))?;
        }
        if let Some(e) = input.expires_in {
            f.expires_at = match e {
                None => None,
                Some(0) => return Err(invalid("Expires in must be greater than 0")),
                Some(s) => {
                    let s = i64::try_from(s)
                        .ok()
                        .filter(|s| *s <= 10 * 365 * 86_400)
                        .ok_or_else(|| invalid("Expires in is too long"))?;
                    Some(now() + jiff::SignedDuration::from_secs(s))
                }
            };
        }
        for k in input.keywords {
            match k.id {
                Some(id) => {
                    let pos = f
                        .keywords
                        .iter()
                        .position(|x| x.id == id)
                        .ok_or(CoreError::NotFound("filter keyword"))?;
                    if k.destroy {
                        f.keywords.remove(pos);
                        continue;
                    }
                    if let Some(text) = k.keyword {
                        f.keywords[pos].keyword = check_keyword(&text)?;
                    }
                    if let Some(w) = k.whole_word {
                        f.keywords[pos].whole_word = w;
                    }
                }
                None if k.destroy => {}
                None => f.keywords.push(FilterKeyword {
                    id: self.next_id()?,
                    keyword: check_keyword(k.keyword.as_deref().unwrap_or(""))?,
                    // Mastodon's default.
                    whole_word: k.whole_word.unwrap_or(true),
                }),
            }
        }
        if f.keywords.len() > MAX_PARTS {
            return Err(invalid("Too many keywords"));
        }
        Ok(())
    }

    pub async fn delete_filter(&self, me: Id, id: Id) -> CoreResult<()> {
        let gone = self.store.delete_filter(me, id).await?;
        self.invalidation.changed(&Change::Filters(me));
        if gone {
            Ok(())
        } else {
            Err(CoreError::NotFound("filter"))
        }
    }

    pub async fn add_filter_keyword(
        &self,
        me: Id,
        filter: Id,
        keyword: Option<String>,
        whole_word: Option<bool>,
    ) -> CoreResult<FilterKeyword> {
        let mut f = self.filter(me, filter).await?;
        let k = FilterKeyword {
            id: self.next_id()?,
            keyword: check_keyword(keyword.as_deref().unwrap_or(""))?,
            whole_word: whole_word.unwrap_or(true),
        };
        if f.keywords.len() >= MAX_PARTS {
            return Err(invalid("Too many keywords"));
        }
        f.keywords.push(k.clone());
        self.save(&f).await?;
        Ok(k)
    }

    /// The filter holding a keyword or status entry, and the entry's index.
    async fn holding(&self, me: Id, part: FilterPart) -> CoreResult<(Filter, usize)> {
        let what = match part {
            FilterPart::Keyword(_) => "filter keyword",
            FilterPart::Status(_) => "filter status",
        };
        let f = self
            .store
            .filter_holding(me, part)
            .await?
            .ok_or(CoreError::NotFound(what))?;
        let pos = match part {
            FilterPart::Keyword(id) => f.keywords.iter().position(|k| k.id == id),
            FilterPart::Status(id) => f.statuses.iter().position(|s| s.id == id),
        }
        .ok_or(CoreError::NotFound(what))?;
        Ok((f, pos))
    }

    /// A keyword with the filter it belongs to.
    pub async fn filter_keyword(&self, me: Id, id: Id) -> CoreResult<(Filter, FilterKeyword)> {
        let (f, pos) = self.holding(me, FilterPart::Keyword(id)).await?;
        let k = f.keywords[pos].clone();
        Ok((f, k))
    }

    pub async fn update_filter_keyword(
        &self,
        me: Id,
        id: Id,
        keyword: Option<String>,
        whole_word: Option<bool>,
    ) -> CoreResult<FilterKeyword> {
        let (mut f, pos) = self.holding(me, FilterPart::Keyword(id)).await?;
        if let Some(k) = keyword {
            f.keywords[pos].keyword = check_keyword(&k)?;
        }
        if let Some(w) = whole_word {
            f.keywords[pos].whole_word = w;
        }
        let k = f.keywords[pos].clone();
        self.save(&f).await?;
        Ok(k)
    }

    /// Removes a keyword; returns its filter as it is now.
    pub async fn delete_filter_keyword(&self, me: Id, id: Id) -> CoreResult<Filter> {
        let (mut f, pos) = self.holding(me, FilterPart::Keyword(id)).await?;
        f.keywords.remove(pos);
        self.save(&f).await?;
        Ok(f)
    }

    pub async fn add_filter_status(
        &self,
        me: Id,
        filter: Id,
        status: Id,
    ) -> CoreResult<FilterStatus> {
        let mut f = self.filter(me, filter).await?;
        // Only a status the owner may see can be filtered (else its ID would leak).
        self.status(status, Some(me)).await?;
        if f.statuses.iter().any(|s| s.status_id == status) {
            return Err(invalid("Status has already been taken"));
        }
        if f.statuses.len() >= MAX_PARTS {
            return Err(invalid("Too many statuses"));
        }
        let s = FilterStatus {
            id: self.next_id()?,
            status_id: status,
        };
        f.statuses.push(s.clone());
        self.save(&f).await?;
        Ok(s)
    }

    pub async fn filter_status(&self, me: Id, id: Id) -> CoreResult<FilterStatus> {
        let (f, pos) = self.holding(me, FilterPart::Status(id)).await?;
        Ok(f.statuses[pos].clone())
    }

    pub async fn delete_filter_status(&self, me: Id, id: Id) -> CoreResult<FilterStatus> {
        let (mut f, pos) = self.holding(me, FilterPart::Status(id)).await?;
        let s = f.statuses.remove(pos);
        self.save(&f).await?;
        Ok(s)
    }
}
