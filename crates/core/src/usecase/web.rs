//! What the web pages need beyond the API's use cases: sessions (tokens of the built-in web
//! app, so the web and the API share accounts, passwords and revocation), a post's
//! neighbours by the same author, and related posts.

use super::auth::{hash_secret, random_secret, IssuedToken};
use super::hydrate::StatusView;
use super::scopes::Scopes;
use super::{now, Registration, Roost};
use crate::id::Id;
use crate::model::{Account, AccountStatusFilter, App, Page};
use crate::store::StoreError;
use crate::CoreResult;

/// The client ID of the built-in web app. Its secret is random and never shown, so no
/// outside client can use this app at the token endpoint.
const WEB_CLIENT_ID: &str = "roost-web";
const WEB_SCOPES: &str = "read write follow";

/// A signed-in browser: the account and the raw session secret (the cookie's value).
#[derive(Debug, Clone)]
pub struct WebSession {
    pub account: Account,
    pub secret: String,
}

/// The author's posts just before and after one post (reblogs left out).
#[derive(Debug, Clone, Default)]
pub struct Neighbours {
    pub previous: Option<StatusView>,
    pub next: Option<StatusView>,
}

impl Roost {
    /// The built-in web app, created on first use.
    pub async fn web_app(&self) -> CoreResult<App> {
        self.web_app
            .get_or_try_init(|| self.find_or_create_web_app())
            .await
            .cloned()
    }

    async fn find_or_create_web_app(&self) -> CoreResult<App> {
        if let Some(app) = self.store.app_by_client_id(WEB_CLIENT_ID).await? {
            return Ok(app);
        }
        let app = App {
            id: self.next_id()?,
            name: "Web".into(),
            website: Some(self.cfg.base_url.clone()),
            redirect_uris: vec![format!("{}/home", self.cfg.base_url)],
            scopes: WEB_SCOPES.into(),
            client_id: WEB_CLIENT_ID.into(),
            client_secret: random_secret(),
            created_at: now(),
        };
        match self.store.create_app(&app).await {
            Ok(()) => Ok(app),
            // Two first requests raced: the other one's app is as good.
            Err(StoreError::Conflict(_)) => self
                .store
                .app_by_client_id(WEB_CLIENT_ID)
                .await?
                .ok_or(crate::CoreError::Internal("web app vanished".into())),
            Err(e) => Err(e.into()),
        }
    }

    fn web_scopes() -> Scopes {
        Scopes::parse(WEB_SCOPES).expect("web scopes parse")
    }

    /// Signs up through the web: the same rules as the API's registration.
    pub async fn web_register(&self, reg: Registration) -> CoreResult<WebSession> {
        let app = self.web_app().await?;
        let (account, token) = self.register(app.id, &Self::web_scopes(), reg).await?;
        Ok(session(account, token))
    }

    /// Checks the password and opens a session; None for a wrong login or password.
    pub async fn web_sign_in(&self, login: &str, password: &str) -> CoreResult<Option<WebSession>> {
        let Some(account) = self.check_password(login, password).await? else {
            return Ok(None);
        };
        let app = self.web_app().await?;
        let token = self
            .issue_token(app.id, Some(account.id), Self::web_scopes(), false)
            .await?;
        Ok(Some(session(account, token)))
    }

    /// The signed-in account of a session secret; None when unknown, revoked, or a token
    /// of another app (API tokens do not open web sessions).
    pub async fn web_session(&self, secret: &str) -> CoreResult<Option<Account>> {
        let Some(ctx) = self.authenticate(secret).await? else {
            return Ok(None);
        };
        let app = self.web_app().await?;
        Ok(ctx.account.filter(|_| ctx.token.app_id == app.id))
    }

    /// Ends a session; an unknown secret is already ended.
    pub async fn web_sign_out(&self, secret: &str) -> CoreResult<()> {
        if let Some(t) = self
            .store
            .token_by_access_hash(&hash_secret(secret))
            .await?
        {
            self.revoke_token(&t).await?;
        }
        Ok(())
    }

    /// The author's previous (older) and next (newer) post around `status`, among those
    /// the viewer may see.
    pub async fn neighbours(
        &self,
        status: &StatusView,
        viewer: Option<Id>,
    ) -> CoreResult<Neighbours> {
        let filter = AccountStatusFilter {
            exclude_reblogs: true,
            ..Default::default()
        };
        let author = status.account.id;
        let one = |max_id, min_id| Page {
            max_id,
            min_id,
            since_id: None,
            limit: 1,
        };
        let older = self
            .store
            .account_statuses(author, viewer, &filter, one(Some(status.status.id), None))
            .await?;
        let newer = self
            .store
            .account_statuses(author, viewer, &filter, one(None, Some(status.status.id)))
            .await?;
        let mut views = self
            .hydrate(&[older.clone(), newer.clone()].concat(), viewer)
            .await?;
        let pick = |ids: &[Id], views: &mut Vec<StatusView>| {
            ids.first()
                .and_then(|id| views.iter().position(|v| v.status.id == *id))
                .map(|i| views.remove(i))
        };
        Ok(Neighbours {
            previous: pick(&older, &mut views),
            next: pick(&newer, &mut views),
        })
    }
}

fn session(account: Account, token: IssuedToken) -> WebSession {
    WebSession {
        account,
        secret: token.access_token,
    }
}
