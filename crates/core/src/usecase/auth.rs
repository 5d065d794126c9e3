//! Apps, OAuth grants and tokens, password checks. Identity-class data throughout.

use super::scopes::Scopes;
use super::{now, Roost};
use crate::id::Id;
use crate::model::{Account, App, AuthCode, Token, User};
use crate::{CoreError, CoreResult};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

pub const OOB_REDIRECT: &str = "urn:ietf:wg:oauth:2.0:oob";
const CODE_LIFETIME_SECS: i64 = 600;

/// An OAuth error in RFC 6749 terms (`invalid_grant`, `invalid_client`, ...).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{error}: {description}")]
pub struct OAuthError {
    pub error: &'static str,
    pub description: String,
}

fn oauth(error: &'static str, description: impl Into<String>) -> OAuthError {
    OAuthError {
        error,
        description: description.into(),
    }
}

/// The caller of an API request, from its bearer token.
#[derive(Debug, Clone)]
pub struct AuthContext {
    pub token: Token,
    pub scopes: Scopes,
    /// None for app-only (`client_credentials`) tokens.
    pub account: Option<Account>,
}

#[derive(Debug, Clone)]
pub struct NewApp {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub scopes: String,
    pub website: Option<String>,
}

/// `POST /oauth/token` parameters, already separated from the transport.
#[derive(Debug, Clone, Default)]
pub struct GrantRequest {
    pub grant_type: String,
    pub client_id: String,
    pub client_secret: String,
    pub scope: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub refresh_token: Option<String>,
}

/// A freshly issued token: the only time the raw secrets exist.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub scopes: Scopes,
    pub created_at: jiff::Timestamp,
}

pub(crate) fn random_secret() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

pub(crate) fn hash_secret(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Compares secrets in constant time, so they cannot be guessed byte by byte.
pub fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// What an app may register as a redirect URI: the out-of-band URN; an absolute `https`
/// URL; `http` only to a loopback address (native apps' local servers); or a custom
/// scheme of a native app. Never a scheme a browser would run or read locally, nor
/// anything with control characters or spaces, which would break the `Location` header
/// at the authorize step.
fn valid_redirect_uri(uri: &str) -> bool {
    const MAX_LEN: usize = 2_000;
    const REFUSED_SCHEMES: [&str; 5] = ["javascript", "data", "vbscript", "file", "blob"];
    if uri == OOB_REDIRECT {
        return true;
    }
    if uri.len() > MAX_LEN || uri.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return false;
    }
    let Some((scheme, rest)) = uri.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if !scheme_ok || rest.is_empty() {
        return false;
    }
    let scheme = scheme.to_ascii_lowercase();
    match scheme.as_str() {
        "https" | "http" => {
            let Some(authority) = rest.strip_prefix("//") else {
                return false;
            };
            let authority = authority.split(['/', '?', '#']).next().unwrap_or_default();
            // No user info: `https://good.example@evil.example/` misleads people.
            if authority.is_empty() || authority.contains('@') {
                return false;
            }
            let host = match authority.strip_prefix('[') {
                Some(v6) => v6.split(']').next().unwrap_or_default(),
                None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
            };
            if host.is_empty() {
                return false;
            }
            scheme == "https" || is_loopback_host(host)
        }
        s => !REFUSED_SCHEMES.contains(&s),
    }
}

fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl Roost {
    pub async fn create_app(&self, new: NewApp) -> CoreResult<App> {
        let name = new.name.trim();
        if name.is_empty() {
            return Err(CoreError::Validation(
                "Validation failed: Application name can't be blank".into(),
            ));
        }
        if name.chars().count() > 60 {
            return Err(CoreError::Validation(
                "Validation failed: Application name is too long (maximum is 60 characters)".into(),
            ));
        }
        if new.redirect_uris.is_empty() {
            return Err(CoreError::Validation(
                "Validation failed: Redirect URI can't be blank".into(),
            ));
        }
        if let Some(bad) = new.redirect_uris.iter().find(|u| !valid_redirect_uri(u)) {
            return Err(CoreError::Validation(format!(
                "Validation failed: Redirect URI must be an absolute URI: {bad}"
            )));
        }
        let scopes = Scopes::parse(&new.scopes)
            .map_err(|e| CoreError::Validation(format!("Validation failed: {e}")))?;
        let app = App {
            id: self.next_id()?,
            name: name.to_string(),
            website: new.website.filter(|w| !w.trim().is_empty()),
            redirect_uris: new.redirect_uris,
            scopes: scopes.as_string(),
            client_id: random_secret(),
            client_secret: random_secret(),
            created_at: now(),
        };
        self.store.create_app(&app).await?;
        Ok(app)
    }

    pub async fn app(&self, id: Id) -> CoreResult<Option<App>> {
        Ok(self.store.app(id).await?)
    }

    pub async fn app_by_client_id(&self, client_id: &str) -> CoreResult<Option<App>> {
        Ok(self.store.app_by_client_id(client_id).await?)
    }

    /// Checks client credentials (constant-time on the secret).
    async fn client(
        &self,
        client_id: &str,
        client_secret: &str,
    ) -> CoreResult<Result<App, OAuthError>> {
        let app = self.store.app_by_client_id(client_id).await?;
        Ok(match app {
            Some(app) if constant_eq(&app.client_secret, client_secret) => Ok(app),
            _ => Err(oauth("invalid_client", "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.")),
        })
    }

    /// Resolves a bearer token to its caller; None if unknown or revoked.
    pub async fn authenticate(&self, raw_token: &str) -> CoreResult<Option<AuthContext>> {
        Ok(self
            .authenticate_any(raw_token)
            .await?
            .filter(|c| !c.token.pending))
    }

    /// Like [`Roost::authenticate`], but a pending sign-up's token is answered too
    /// (`token.pending`), so the API can say why it may not act (403, as Mastodon).
    pub async fn authenticate_any(&self, raw_token: &str) -> CoreResult<Option<AuthContext>> {
        let hash = hash_secret(raw_token);
        let token = match self.caches.token(&hash) {
            Some(t) => t,
            None => {
                let epoch = self.caches.epoch();
                let Some(t) = self.store.token_by_access_hash(&hash).await? else {
                    return Ok(None);
                };
                self.caches.remember_token(epoch, t.clone());
                t
            }
        };
        let scopes = Scopes::parse(&token.scopes)
            .unwrap_or_else(|_| Scopes::parse("read").expect("read parses"));
        let account = match token.account_id {
            Some(id) => match self.store.account(id).await? {
                // A suspension ends every session at once (the row is read each time).
                Some(a) if a.suspended => return Ok(None),
                Some(a) => Some(a),
                None => return Ok(None),
            },
            None => None,
        };
        Ok(Some(AuthContext {
            token,
            scopes,
            account,
        }))
    }

    /// Checks a login (username or e-mail) and password; the account on success.
    pub async fn check_password(&self, login: &str, password: &str) -> CoreResult<Option<Account>> {
        let user = self.store.user_by_login(login.trim()).await?;
        let ok = crate::password::verify(
            password.to_string(),
            user.as_ref().map(|u| u.password_hash.clone()),
        )
        .await;
        match user {
            Some(u) if ok => match self.store.account(u.account_id).await? {
                // Suspended, disabled or not yet approved: the password is right, but the
                // account may not sign in.
                Some(a) if self.may_sign_in(&a).await? => Ok(Some(a)),
                _ => Ok(None),
            },
            _ => Ok(None),
        }
    }

    pub async fn user(&self, account: Id) -> CoreResult<Option<User>> {
        Ok(self.store.user(account).await?)
    }

    pub(crate) async fn issue_token(
        &self,
        app_id: Id,
        account_id: Option<Id>,
        scopes: Scopes,
        refresh: bool,
    ) -> CoreResult<IssuedToken> {
        let access = random_secret();
        let refresh_token = refresh.then(random_secret);
        let created_at = now();
        self.store
            .create_token(&Token {
                id: self.next_id()?,
                app_id,
                account_id,
                scopes: scopes.as_string(),
                access_hash: hash_secret(&access),
                refresh_hash: refresh_token.as_deref().map(hash_secret),
                created_at,
                revoked: false,
                pending: false,
            })
            .await?;
        Ok(IssuedToken {
            access_token: access,
            refresh_token,
            scopes,
            created_at,
        })
    }

    /// Validates an authorization request (`GET /oauth/authorize`) before showing the form.
    pub async fn check_authorize_request(
        &self,
        client_id: &str,
        redirect_uri: &str,
        scope: Option<&str>,
    ) -> CoreResult<Result<(App, Scopes), OAuthError>> {
        let Some(app) = self.store.app_by_client_id(client_id).await? else {
            return Ok(Err(oauth("invalid_client", "Unknown client_id.")));
        };
        if !app.redirect_uris.iter().any(|u| u == redirect_uri) {
            return Ok(Err(oauth(
                "invalid_redirect_uri",
                "The redirect URI included is not valid.",
            )));
        }
        let app_scopes = Scopes::parse(&app.scopes).map_err(CoreError::Validation)?;
        let requested = match scope {
            Some(s) => match Scopes::parse(s) {
                Ok(s) => s,
                Err(e) => return Ok(Err(oauth("invalid_scope", e))),
            },
            None => app_scopes.clone(),
        };
        if !app_scopes.covers(&requested) {
            return Ok(Err(oauth(
                "invalid_scope",
                "The requested scope is invalid, unknown, or malformed.",
            )));
        }
        Ok(Ok((app, requested)))
    }

    /// Issues an authorization code after the user signed in and consented.
    pub async fn create_auth_code(
        &self,
        app: &App,
        account: &Account,
        redirect_uri: &str,
        scopes: &Scopes,
        code_challenge: Option<String>,
        code_challenge_method: Option<String>,
    ) -> CoreResult<String> {
        let code = random_secret();
        self.store
            .create_auth_code(&AuthCode {
                code_hash: hash_secret(&code),
                app_id: app.id,
                account_id: account.id,
                redirect_uri: redirect_uri.to_string(),
                scopes: scopes.as_string(),
                code_challenge,
                code_challenge_method,
                expires_at: now() + jiff::SignedDuration::from_secs(CODE_LIFETIME_SECS),
            })
            .await?;
        Ok(code)
    }

    /// `POST /oauth/token`.
    pub async fn grant(&self, req: GrantRequest) -> CoreResult<Result<IssuedToken, OAuthError>> {
        let app = match self.client(&req.client_id, &req.client_secret).await? {
            Ok(app) => app,
            Err(e) => return Ok(Err(e)),
        };
        let app_scopes = Scopes::parse(&app.scopes).map_err(CoreError::Validation)?;
        let requested = match req.scope.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(s) => match Scopes::parse(s) {
                Ok(s) if app_scopes.covers(&s) => Some(s),
                Ok(_) => {
                    return Ok(Err(oauth(
                        "invalid_scope",
                        "The requested scope is invalid, unknown, or malformed.",
                    )))
                }
                Err(e) => return Ok(Err(oauth("invalid_scope", e))),
            },
            None => None,
        };
        match req.grant_type.as_str() {
            "client_credentials" => {
                let scopes = requested.unwrap_or(app_scopes);
                Ok(Ok(self.issue_token(app.id, None, scopes, false).await?))
            }
            "password" => {
                let (Some(login), Some(password)) =
                    (req.username.as_deref(), req.password.as_deref())
                else {
                    return Ok(Err(oauth(
                        "invalid_request",
                        "username and password are required.",
                    )));
                };
                match self.check_password(login, password).await? {
                    Some(account) => {
                        let scopes = requested.unwrap_or(app_scopes);
                        Ok(Ok(self.issue_token(app.id, Some(account.id), scopes, true).await?))
                    }
                    None => Ok(Err(oauth("invalid_grant", "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."))),
                }
            }
            "authorization_code" => {
                let invalid = || {
                    oauth("invalid_grant", "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.")
                };
                let Some(code) = req.code.as_deref() else {
                    return Ok(Err(oauth("invalid_request", "code is required.")));
                };
                let Some(stored) = self.store.take_auth_code(&hash_secret(code)).await? else {
                    return Ok(Err(invalid()));
                };
                if stored.app_id != app.id || stored.expires_at < now() {
                    return Ok(Err(invalid()));
                }
                if req.redirect_uri.as_deref() != Some(stored.redirect_uri.as_str()) {
                    return Ok(Err(invalid()));
                }
                if let Some(challenge) = &stored.code_challenge {
                    let Some(verifier) = req.code_verifier.as_deref() else {
                        return Ok(Err(invalid()));
                    };
                    let digest = base64::engine::general_purpose::URL_SAFE_NO_PAD
                        .encode(Sha256::digest(verifier.as_bytes()));
                    if !constant_eq(&digest, challenge) {
                        return Ok(Err(invalid()));
                    }
                }
                let scopes = Scopes::parse(&stored.scopes).map_err(CoreError::Validation)?;
                Ok(Ok(self
                    .issue_token(app.id, Some(stored.account_id), scopes, true)
                    .await?))
            }
            "refresh_token" => {
                let Some(raw) = req.refresh_token.as_deref() else {
                    return Ok(Err(oauth("invalid_request", "refresh_token is required.")));
                };
                let Some(old) = self.store.token_by_refresh_hash(&hash_secret(raw)).await? else {
                    return Ok(Err(oauth("invalid_grant", "The refresh token is invalid.")));
                };
                if old.app_id != app.id {
                    return Ok(Err(oauth("invalid_grant", "The refresh token is invalid.")));
                }
                // Rotation: the old pair stops working once a new one is issued.
                self.revoke_token(&old).await?;
                let scopes = Scopes::parse(&old.scopes).map_err(CoreError::Validation)?;
                Ok(Ok(self
                    .issue_token(app.id, old.account_id, scopes, true)
                    .await?))
            }
            "" => Ok(Err(oauth("invalid_request", "grant_type is required."))),
            _ => Ok(Err(oauth(
                "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server.",
            ))),
        }
    }

    /// Revokes a token in the store and drops it from every cache: it stops working at
    /// once. Every revocation goes through here.
    pub(crate) async fn revoke_token(&self, t: &Token) -> CoreResult<()> {
        self.store.revoke_token(t.id).await?;
        self.live_event(crate::live::Event::TokenRevoked { token: t.id });
        self.invalidation
            .changed(&crate::cache::Change::TokenRevoked {
                access_hash: t.access_hash.clone(),
            });
        Ok(())
    }

    /// `POST /oauth/revoke`: revokes an access or refresh token of this client.
    /// Unknown tokens succeed silently (RFC 7009).
    pub async fn revoke(
        &self,
        client_id: &str,
        client_secret: &str,
        token: &str,
    ) -> CoreResult<Result<(), OAuthError>> {
        let app = match self.client(client_id, client_secret).await? {
            Ok(app) => app,
            Err(e) => return Ok(Err(e)),
        };
        let h = hash_secret(token);
        let found = match self.store.token_by_access_hash(&h).await? {
            Some(t) => Some(t),
            None => self.store.token_by_refresh_hash(&h).await?,
        };
        if let Some(t) = found {
            if t.app_id != app.id {
                return Ok(Err(oauth(
                    "unauthorized_client",
                    "You are not authorized to revoke this token",
                )));
            }
            self.revoke_token(&t).await?;
        }
        Ok(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris() {
        assert!(valid_redirect_uri("https://app.example/cb"));
        assert!(valid_redirect_uri("com.example.app:/oauth"));
        assert!(valid_redirect_uri(OOB_REDIRECT));
        assert!(!valid_redirect_uri("not a uri"));
        assert!(!valid_redirect_uri("/relative"));
        assert!(valid_redirect_uri("http://127.0.0.1:8000/cb"));
        assert!(valid_redirect_uri("http://localhost/cb"));
        assert!(valid_redirect_uri("http://[::1]:9/cb"));
        assert!(!valid_redirect_uri("http://app.example/cb"));
        assert!(!valid_redirect_uri("javascript:alert(1)"));
        assert!(!valid_redirect_uri("JavaScript:alert(1)"));
        assert!(!valid_redirect_uri("data:text/html,x"));
        assert!(!valid_redirect_uri("https://app.example/\x01cb"));
        assert!(!valid_redirect_uri("https://app.example/\ncb"));
        assert!(!valid_redirect_uri("https://good.example@evil.example/"));
        assert!(!valid_redirect_uri("https:///nohost"));
        assert!(!valid_redirect_uri("https:relative"));
    }
}
