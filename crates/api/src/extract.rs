//! Request parsing shared by all handlers: parameters from the query and from JSON,
//! form-encoded or multipart bodies (Mastodon clients send all three), and the bearer token.
//!
//! Parameters are first gathered into one JSON object — `key[]` pairs become arrays and
//! `key[sub]` pairs nested objects, as Rails does for Mastodon — then deserialised into the
//! handler's type. Form values are strings, so fields use the lenient helpers in [`de`].
//! (No crate does this Rails-style folding over all three body kinds, hence by hand.)

use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::{header, request::Parts, Method};
use roost_core::model::Account;
use roost_core::usecase::AuthContext;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Parameters of a request, from the query string and (for non-GET) the body.
pub struct Params<T>(pub T);

/// Limits on what one request may fold into parameters. Rails-style keys nest, and an
/// attacker controls how deep: real clients use two levels (`source[privacy]`,
/// `poll[options][]`) and a few dozen keys.
const MAX_KEY_DEPTH: usize = 8;
const MAX_PAIRS: usize = 1_000;
const MAX_KEY_LEN: usize = 256;

/// Why a request's parameters were refused (the client's text).
#[derive(Debug, PartialEq, Eq)]
pub struct ParamsError(pub String);

impl From<ParamsError> for ApiError {
    fn from(e: ParamsError) -> ApiError {
        ApiError::BadRequest(e.0)
    }
}

/// Folds one `key=value` pair into `obj`: `a[b][c]` nests, a trailing `[]` appends.
/// Iterative, with the depth bounded, so no key can exhaust the stack.
pub(crate) fn insert_pair(
    obj: &mut Map<String, Value>,
    key: &str,
    value: Value,
) -> Result<(), ParamsError> {
    if key.len() > MAX_KEY_LEN {
        return Err(ParamsError(format!(
            "Parameter name is too long (maximum is {MAX_KEY_LEN} bytes)"
        )));
    }
    let (path, append) = split_key(key);
    if path.len() > MAX_KEY_DEPTH {
        return Err(ParamsError(format!(
            "Parameters are nested too deeply (maximum is {MAX_KEY_DEPTH} levels)"
        )));
    }
    let Some((last, parents)) = path.split_last() else {
        return Ok(());
    };
    let mut cur = obj;
    for part in parents {
        let slot = cur
            .entry(part.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        let Value::Object(m) = slot else {
            unreachable!("made an object above")
        };
        cur = m;
    }
    if append {
        match cur
            .entry(last.to_string())
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            Value::Array(a) => a.push(value),
            other => *other = Value::Array(vec![value]),
        }
    } else {
        cur.insert(last.to_string(), value);
    }
    Ok(())
}

/// `a[b][c][]` -> (`[a, b, c]`, append). Text after an unclosed `[` stays part of the
/// name, as does a key that starts with `[`; `a[]` alone is a plain list.
fn split_key(key: &str) -> (Vec<&str>, bool) {
    let (key, append) = match key.strip_suffix("[]") {
        Some(k) if !k.is_empty() => (k, true),
        _ => (key, false),
    };
    let Some(open) = key.find('[').filter(|&i| i > 0) else {
        return (vec![key], append);
    };
    let mut path = vec![&key[..open]];
    let mut rest = &key[open..];
    while let Some(inner) = rest.strip_prefix('[') {
        let Some(close) = inner.find(']') else { break };
        path.push(&inner[..close]);
        rest = &inner[close + 1..];
    }
    if !rest.is_empty() {
        // Not of the `[..]` form after all: keep the whole key as one name.
        return (vec![key], append);
    }
    (path, append)
}

fn pairs_to_object(
    pairs: impl IntoIterator<Item = (String, String)>,
    obj: &mut Map<String, Value>,
) -> Result<(), ParamsError> {
    for (n, (k, v)) in pairs.into_iter().enumerate() {
        if n == MAX_PAIRS {
            return Err(ParamsError(format!(
                "Too many parameters (maximum is {MAX_PAIRS})"
            )));
        }
        insert_pair(obj, &k, Value::String(v))?;
    }
    Ok(())
}

/// Parses the query string into `obj`.
pub fn query_object(query: Option<&str>, obj: &mut Map<String, Value>) -> Result<(), ParamsError> {
    match query {
        Some(q) => pairs_to_object(url::form_urlencoded::parse(q.as_bytes()).into_owned(), obj),
        None => Ok(()),
    }
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for Params<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> ApiResult<Self> {
        let mut obj = Map::new();
        query_object(req.uri().query(), &mut obj)?;
        let has_body = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
        if has_body {
            let ctype = req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_ascii_lowercase();
            let limit = state.max_body_bytes;
            if ctype.starts_with("multipart/form-data") {
                let mut mp = Multipart::from_request(req, state)
                    .await
                    .map_err(|e| ApiError::BadRequest(format!("Malformed multipart body: {e}")))?;
                let mut total = 0usize;
                let mut fields = 0usize;
                loop {
                    let field = match mp.next_field().await {
                        Ok(Some(f)) => f,
                        Ok(None) => break,
                        Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                            return Err(ApiError::PayloadTooLarge)
                        }
                        Err(e) => {
                            return Err(ApiError::BadRequest(format!(
                                "Malformed multipart body: {e}"
                            )))
                        }
                    };
                    let name = field.name().unwrap_or("").to_string();
                    let text = match field.text().await {
                        Ok(t) => t,
                        Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                            return Err(ApiError::PayloadTooLarge)
                        }
                        Err(e) => {
                            return Err(ApiError::BadRequest(format!(
                                "Malformed multipart body: {e}"
                            )))
                        }
                    };
                    total += text.len();
                    if total > limit {
                        return Err(ApiError::PayloadTooLarge);
                    }
                    fields += 1;
                    if fields > MAX_PAIRS {
                        return Err(ApiError::BadRequest(format!(
                            "Too many parameters (maximum is {MAX_PAIRS})"
                        )));
                    }
                    if !name.is_empty() {
                        insert_pair(&mut obj, &name, Value::String(text))?;
                    }
                }
            } else {
                let body = axum::body::to_bytes(req.into_body(), limit)
                    .await
                    .map_err(|_| ApiError::PayloadTooLarge)?;
                let blank = body.iter().all(u8::is_ascii_whitespace);
                if blank {
                    // No body: parameters come from the query alone.
                } else if ctype.starts_with("application/json") || ctype.ends_with("+json") {
                    let v: Value = serde_json::from_slice(&body)
                        .map_err(|e| ApiError::BadRequest(format!("Malformed JSON body: {e}")))?;
                    match v {
                        Value::Object(m) => obj.extend(m),
                        _ => {
                            return Err(ApiError::BadRequest("JSON body must be an object".into()))
                        }
                    }
                } else if ctype.starts_with("application/x-www-form-urlencoded") || ctype.is_empty()
                {
                    let text = std::str::from_utf8(&body)
                        .map_err(|_| ApiError::BadRequest("Form body is not valid UTF-8".into()))?;
                    pairs_to_object(
                        url::form_urlencoded::parse(text.as_bytes()).into_owned(),
                        &mut obj,
                    )?;
                } else {
                    return Err(ApiError::UnsupportedMediaType);
                }
            }
        }
        serde_json::from_value(Value::Object(obj))
            .map(Params)
            .map_err(|e| ApiError::Unprocessable(format!("Validation failed: {e}")))
    }
}

/// The client's address as the socket saw it (None for in-process requests). Used only
/// for attempt limits, in memory: `X-Forwarded-For` is not trusted for them, since any
/// client can send it.
pub struct ClientIp(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// The caller, if the request carries a bearer token. A token that is present but
/// unknown or revoked is rejected with 401 right here.
pub struct Auth(pub Option<AuthContext>);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Ok(Auth(None));
        };
        let value = value
            .to_str()
            .map_err(|_| ApiError::invalid_token())?
            .trim();
        let token = match value.split_once(' ') {
            Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") => t.trim(),
            _ => return Err(ApiError::invalid_token()),
        };
        if token.is_empty() {
            return Err(ApiError::invalid_token());
        }
        match state.roost.authenticate_any(token).await? {
            Some(ctx) => Ok(Auth(Some(ctx))),
            None => Err(ApiError::invalid_token()),
        }
    }
}

impl Auth {
    /// A pending sign-up's token is valid but may not act yet (Mastodon's `require_user!`).
    pub fn check_approved(ctx: &AuthContext) -> ApiResult<()> {
        if ctx.token.pending {
            return Err(ApiError::Forbidden(
                "Your login is currently pending approval".into(),
            ));
        }
        Ok(())
    }

    fn check_scope(ctx: &AuthContext, scope: &str) -> ApiResult<()> {
        if ctx.scopes.allows(scope) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "This action is outside the authorized scopes".into(),
            ))
        }
    }

    /// A signed-in user whose token grants `scope`. Every write asks for a `write:`
    /// scope, so an account whose move is running is refused its writes here.
    pub fn user(&self, scope: &str) -> ApiResult<&Account> {
        let ctx = self.0.as_ref().ok_or_else(ApiError::invalid_token)?;
        Self::check_approved(ctx)?;
        Self::check_scope(ctx, scope)?;
        let account = ctx.account.as_ref().ok_or_else(|| {
            ApiError::Unprocessable("This method requires an authenticated user".into())
        })?;
        if scope.starts_with("write") {
            roost_core::usecase::check_not_moving(account)?;
        }
        Ok(account)
    }

    /// For endpoints open to anonymous readers: the viewer's account ID when signed in.
    pub fn viewer(&self, scope: &str) -> ApiResult<Option<roost_core::Id>> {
        match &self.0 {
            None => Ok(None),
            // A pending sign-up reads what anyone may.
            Some(ctx) if ctx.token.pending => Ok(None),
            Some(ctx) => {
                Self::check_scope(ctx, scope)?;
                Ok(ctx.account.as_ref().map(|a| a.id))
            }
        }
    }

    /// Any valid token, app-only ones included.
    pub fn app(&self) -> ApiResult<&AuthContext> {
        self.0.as_ref().ok_or_else(ApiError::invalid_token)
    }
}

/// Lenient deserialisers for values that arrive as strings from forms and queries.
pub mod de {
    use roost_core::Id;
    use serde::de::{Deserialize, Deserializer, Error};
    use serde_json::Value;

    fn to_bool<E: Error>(v: &Value) -> Result<bool, E> {
        match v {
            Value::Bool(b) => Ok(*b),
            Value::Number(n) => Ok(n.as_i64().unwrap_or(0) != 0),
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "on" | "yes" | "t" => Ok(true),
                "0" | "false" | "off" | "no" | "f" | "" => Ok(false),
                other => Err(E::custom(format!("invalid boolean: {other:?}"))),
            },
            Value::Null => Ok(false),
            _ => Err(E::custom("invalid boolean")),
        }
    }

    pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        let v = Option::<Value>::deserialize(d)?;
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(v) => to_bool(&v).map(Some),
        }
    }

    pub fn bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        Ok(opt_bool(d)?.unwrap_or(false))
    }

    pub fn opt_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        Ok(opt_u64(d)?.map(|n| n.min(u32::MAX as u64) as u32))
    }

    /// A count or size, as a number or a numeric string (query strings are all strings).
    pub fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        match Option::<Value>::deserialize(d)? {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_u64()
                .map(Some)
                .ok_or_else(|| D::Error::custom("invalid number")),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => s
                .trim()
                .parse::<u64>()
                .map(Some)
                .map_err(|_| D::Error::custom(format!("invalid number: {s:?}"))),
            Some(_) => Err(D::Error::custom("invalid number")),
        }
    }

    fn to_id<E: Error>(v: &Value) -> Result<Id, E> {
        match v {
            Value::String(s) => s
                .trim()
                .parse::<Id>()
                .map_err(|_| E::custom(format!("invalid id: {s:?}"))),
            Value::Number(n) => n
                .as_i64()
                .filter(|n| *n >= 0)
                .map(Id)
                .ok_or_else(|| E::custom("invalid id")),
            _ => Err(E::custom("invalid id")),
        }
    }

    /// An ID, where an empty string counts as absent (some clients send `in_reply_to_id=`).
    pub fn opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Id>, D::Error> {
        match Option::<Value>::deserialize(d)? {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(v) => to_id(&v).map(Some),
        }
    }

    /// A list of IDs from `id[]=` pairs, a single `id=`, or a JSON array.
    pub fn ids<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Id>, D::Error> {
        match Option::<Value>::deserialize(d)? {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) => a.iter().map(to_id).collect(),
            Some(v) => Ok(vec![to_id(&v)?]),
        }
    }

    /// A list of strings from `key[]=` pairs, a single value, or a JSON array.
    pub fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        match Option::<Value>::deserialize(d)? {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) => a
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s),
                    other => Ok(other.to_string()),
                })
                .collect(),
            Some(Value::String(s)) => Ok(vec![s]),
            Some(other) => Ok(vec![other.to_string()]),
        }
    }

    /// A string that may arrive as a number in JSON.
    pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        match Option::<Value>::deserialize(d)? {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(_) => Err(D::Error::custom("expected a string")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rails_style_keys() {
        let mut obj = Map::new();
        query_object(
            Some("id[]=1&id[]=2&types[]=mention&source[privacy]=public&local=1&poll[options][]=a&poll[options][]=b"),
            &mut obj,
        )
        .unwrap();
        assert_eq!(obj["id"], serde_json::json!(["1", "2"]));
        assert_eq!(obj["types"], serde_json::json!(["mention"]));
        assert_eq!(obj["source"]["privacy"], "public");
        assert_eq!(obj["local"], "1");
        assert_eq!(obj["poll"]["options"], serde_json::json!(["a", "b"]));
    }

    #[test]
    fn deep_nesting_and_many_keys_are_refused_not_recursed() {
        // ~13 KB of `a[b][b]...` used to overflow the stack and abort the process.
        let deep = format!("a{}=1", "[b]".repeat(5_000));
        let mut obj = Map::new();
        assert!(query_object(Some(&deep), &mut obj).is_err());
        let ok = format!("a{}=1", "[b]".repeat(MAX_KEY_DEPTH - 1));
        assert!(query_object(Some(&ok), &mut Map::new()).is_ok());
        let too_deep = format!("a{}=1", "[b]".repeat(MAX_KEY_DEPTH));
        assert!(query_object(Some(&too_deep), &mut Map::new()).is_err());
        let many: Vec<String> = (0..MAX_PAIRS + 1).map(|i| format!("k{i}=v")).collect();
        assert!(query_object(Some(&many.join("&")), &mut Map::new()).is_err());
    }

    #[test]
    fn odd_keys_stay_plain_names() {
        let mut obj = Map::new();
        query_object(Some("[x]=1&a[b=2&a[b]c=3&[]=4&q[]=5"), &mut obj).unwrap();
        assert_eq!(obj["[x]"], "1");
        assert_eq!(obj["a[b"], "2");
        assert_eq!(obj["a[b]c"], "3");
        assert_eq!(obj["[]"], "4");
        assert_eq!(obj["q"], serde_json::json!(["5"]));
    }
}
