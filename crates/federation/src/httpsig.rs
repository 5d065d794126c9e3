//! HTTP Signatures between regions, in the form Mastodon and GoToSocial speak
//! (draft-cavage-http-signatures-12, `hs2019` with Ed25519 keys), plus the
//! `Digest` header that binds the body to the signature.
//!
//! Written by hand: the draft is small, and the Rust crates that implement it
//! either leave the cryptography and date/digest policy to the caller
//! (`http-signature-normalization`) or bring their own crypto stack; this keeps
//! us on `ed25519-dalek`, already in the tree, with the checks we need in one place.

use std::time::{Duration, SystemTime};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use http::{HeaderMap, HeaderValue, Method};
use sha2::{Digest as _, Sha256};

/// Headers signed on requests with a body (what Mastodon signs on inbox POSTs).
pub const SIGNED_HEADERS_POST: &[&str] =
    &["(request-target)", "host", "date", "digest", "content-type"];
/// Headers signed on requests without a body.
pub const SIGNED_HEADERS_GET: &[&str] = &["(request-target)", "host", "date"];

const REQUEST_TARGET: &str = "(request-target)";
/// Real Signature headers are a few hundred bytes; the cap bounds parsing work.
const MAX_SIGNATURE_HEADER_LEN: usize = 8 * 1024;
/// Bounds the signing string: each listed header is copied into it once.
const MAX_SIGNED_HEADERS: usize = 32;
/// Lengths of attacker-supplied text echoed back in error messages.
const MAX_ECHO_LEN: usize = 256;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignError {
    #[error("request has no `{0}` header to sign")]
    MissingHeader(String),
    #[error("keyId cannot be written into a Signature header")]
    InvalidKeyId,
}

/// Why a signature was refused. Messages are safe to send back to the caller.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("request has no Signature header")]
    MissingSignature,
    #[error("malformed Signature header: {0}")]
    Malformed(String),
    #[error("unsupported signature algorithm `{0}`")]
    UnsupportedAlgorithm(String),
    #[error("unsupported pseudo-header `{0}` in signature")]
    UnsupportedPseudoHeader(String),
    #[error("signature does not cover `{0}`")]
    UnsignedHeader(&'static str),
    #[error("request has no `{0}` header")]
    MissingHeader(String),
    #[error("Date header is not a valid HTTP date")]
    InvalidDate,
    #[error("Date header is too far from the server clock")]
    DateOutOfWindow,
    #[error("Digest header has no SHA-256 value")]
    UnsupportedDigest,
    #[error("Digest header does not match the body")]
    DigestMismatch,
    #[error("unknown keyId `{0}`")]
    UnknownKey(String),
    #[error("request is signed for another host")]
    WrongHost,
    #[error("signature does not verify")]
    BadSignature,
}

/// A signature that checked out: who made it and what it covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSignature {
    pub key_id: String,
    /// Lower-cased, in the order they were signed.
    pub headers: Vec<String>,
}

#[derive(Debug, Clone, Copy)]
pub struct VerifyOptions {
    /// How far `Date` may be from `now`, either way.
    pub max_skew_secs: u64,
    pub now: SystemTime,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self {
            max_skew_secs: 300,
            now: SystemTime::now(),
        }
    }
}

/// `SHA-256=<base64>` of the body.
pub fn digest_header(body: &[u8]) -> String {
    format!("SHA-256={}", BASE64.encode(Sha256::digest(body)))
}

/// Adds `Date` (now, RFC 7231 format) and, when `body` is Some, `Digest` to `headers` if missing,
/// then computes and inserts the `Signature` header:
/// `keyId="<key_id>",algorithm="hs2019",headers="(request-target) host date digest content-type",signature="<base64>"`.
/// `host` must already be in `headers` (the caller sets it from the URL: host[:port]).
pub fn sign(
    method: &Method,
    path_and_query: &str,
    headers: &mut HeaderMap,
    body: Option<&[u8]>,
    key_id: &str,
    key: &SigningKey,
) -> Result<(), SignError> {
    // Receivers do not unescape quoted-pairs, so a keyId needing them cannot be sent.
    if key_id.is_empty()
        || key_id
            .bytes()
            .any(|b| b == b'"' || b == b'\\' || !(0x20..0x7f).contains(&b))
    {
        return Err(SignError::InvalidKeyId);
    }
    if !headers.contains_key(http::header::DATE) {
        let now = HeaderValue::from_str(&httpdate::fmt_http_date(SystemTime::now()))
            .expect("HTTP dates are ASCII");
        headers.insert(http::header::DATE, now);
    }
    let names = match body {
        Some(body) => {
            if !headers.contains_key("digest") {
                let digest = HeaderValue::from_str(&digest_header(body)).expect("base64 is ASCII");
                headers.insert("digest", digest);
            }
            SIGNED_HEADERS_POST
        }
        None => SIGNED_HEADERS_GET,
    };
    let signing_string =
        signing_string(method, path_and_query, headers, names).map_err(SignError::MissingHeader)?;
    let signature = BASE64.encode(key.sign(&signing_string).to_bytes());
    let value = format!(
        "keyId=\"{key_id}\",algorithm=\"hs2019\",headers=\"{}\",signature=\"{signature}\"",
        names.join(" ")
    );
    let value = HeaderValue::from_str(&value).map_err(|_| SignError::InvalidKeyId)?;
    headers.insert("signature", value);
    Ok(())
}

/// Verifies the `Signature` header of a request. `lookup` maps a keyId to the keys that may have
/// made it (several during key rotation; any one matching suffices).
///
/// Cheap checks (syntax, coverage, Date window, Digest) run before `lookup`, so garbage and
/// replays never cost a key fetch.
pub fn verify(
    method: &Method,
    path_and_query: &str,
    headers: &HeaderMap,
    body: Option<&[u8]>,
    lookup: impl Fn(&str) -> Vec<VerifyingKey>,
    opts: &VerifyOptions,
) -> Result<VerifiedSignature, VerifyError> {
    let mut values = headers.get_all("signature").iter();
    let raw = values.next().ok_or(VerifyError::MissingSignature)?;
    if values.next().is_some() {
        return Err(malformed("more than one Signature header"));
    }
    if raw.len() > MAX_SIGNATURE_HEADER_LEN {
        return Err(malformed("header too long"));
    }
    let raw = raw.to_str().map_err(|_| malformed("header is not ASCII"))?;
    let params = SignatureParams::parse(raw)?;

    if let Some(alg) = params.algorithm {
        // hs2019 means "derive it from the key"; our keys are all Ed25519.
        if !alg.eq_ignore_ascii_case("hs2019") && !alg.eq_ignore_ascii_case("ed25519") {
            return Err(VerifyError::UnsupportedAlgorithm(clip(alg)));
        }
    }

    let signed = signed_header_list(params.headers)?;
    let mut required = vec![REQUEST_TARGET, "host", "date"];
    if body.is_some() {
        required.push("digest");
    }
    if let Some(missing) = required
        .into_iter()
        .find(|r| !signed.iter().any(|s| s == r))
    {
        return Err(VerifyError::UnsignedHeader(missing));
    }

    check_date(headers, opts)?;
    if let Some(body) = body {
        check_digest(headers, body)?;
    }

    let signature = BASE64
        .decode(params.signature)
        .map_err(|_| malformed("signature is not base64"))?;
    let signature = Signature::from_slice(&signature)
        .map_err(|_| malformed("signature has the wrong length"))?;
    let signing_string = signing_string(method, path_and_query, headers, &signed)
        .map_err(VerifyError::MissingHeader)?;

    let keys = lookup(params.key_id);
    if keys.is_empty() {
        return Err(VerifyError::UnknownKey(clip(params.key_id)));
    }
    // Strict: rejects small-order keys and non-canonical signatures no honest signer makes.
    if keys
        .iter()
        .any(|k| k.verify_strict(&signing_string, &signature).is_ok())
    {
        Ok(VerifiedSignature {
            key_id: params.key_id.to_owned(),
            headers: signed,
        })
    } else {
        Err(VerifyError::BadSignature)
    }
}

fn malformed(why: &str) -> VerifyError {
    VerifyError::Malformed(why.to_owned())
}

fn clip(s: &str) -> String {
    // Input is ASCII (checked by `to_str`), so any byte index is a char boundary.
    s[..s.len().min(MAX_ECHO_LEN)].to_owned()
}

/// Lines `name: value` joined by `\n`, as bytes: header values may hold obs-text.
fn signing_string<S: AsRef<str>>(
    method: &Method,
    path_and_query: &str,
    headers: &HeaderMap,
    names: &[S],
) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let name = name.as_ref();
        if i > 0 {
            out.push(b'\n');
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        if name == REQUEST_TARGET {
            out.extend_from_slice(method.as_str().to_ascii_lowercase().as_bytes());
            out.push(b' ');
            out.extend_from_slice(path_and_query.as_bytes());
            continue;
        }
        let mut values = headers.get_all(name).iter().peekable();
        if values.peek().is_none() {
            return Err(name.to_owned());
        }
        for (j, value) in values.enumerate() {
            if j > 0 {
                out.extend_from_slice(b", ");
            }
            out.extend_from_slice(value.as_bytes().trim_ascii());
        }
    }
    Ok(out)
}

/// The `headers` parameter, lower-cased. Absent means `date` alone (the draft's
/// pre-hs2019 default), which then fails the coverage check.
fn signed_header_list(list: Option<&str>) -> Result<Vec<String>, VerifyError> {
    let mut signed: Vec<String> = Vec::new();
    for name in list.unwrap_or("date").split_ascii_whitespace() {
        let name = name.to_ascii_lowercase();
        if name.starts_with('(') && name != REQUEST_TARGET {
            return Err(VerifyError::UnsupportedPseudoHeader(clip(&name)));
        }
        // A repeated name would let a small request expand into a huge signing string.
        if signed.contains(&name) {
            return Err(malformed("header listed twice"));
        }
        if signed.len() == MAX_SIGNED_HEADERS {
            return Err(malformed("too many signed headers"));
        }
        signed.push(name);
    }
    Ok(signed)
}

fn check_date(headers: &HeaderMap, opts: &VerifyOptions) -> Result<(), VerifyError> {
    let date = headers
        .get(http::header::DATE)
        .ok_or_else(|| VerifyError::MissingHeader("date".into()))?;
    let date = date.to_str().map_err(|_| VerifyError::InvalidDate)?;
    let date = httpdate::parse_http_date(date.trim()).map_err(|_| VerifyError::InvalidDate)?;
    let skew = match opts.now.duration_since(date) {
        Ok(past) => past,
        Err(future) => future.duration(),
    };
    if skew > Duration::from_secs(opts.max_skew_secs) {
        return Err(VerifyError::DateOutOfWindow);
    }
    Ok(())
}

/// `Digest` may list several algorithms (RFC 3230); the SHA-256 one must match.
fn check_digest(headers: &HeaderMap, body: &[u8]) -> Result<(), VerifyError> {
    let mut values = headers.get_all("digest").iter().peekable();
    if values.peek().is_none() {
        return Err(VerifyError::MissingHeader("digest".into()));
    }
    let expected = BASE64.encode(Sha256::digest(body));
    let mut found = false;
    for value in values {
        let value = value.to_str().map_err(|_| VerifyError::DigestMismatch)?;
        for entry in value.split(',') {
            // Split at the first `=`; base64 padding follows it.
            let Some((alg, b64)) = entry.trim().split_once('=') else {
                continue;
            };
            if alg.trim().eq_ignore_ascii_case("sha-256") {
                if b64.trim() != expected {
                    return Err(VerifyError::DigestMismatch);
                }
                found = true;
            }
        }
    }
    if found {
        Ok(())
    } else {
        Err(VerifyError::UnsupportedDigest)
    }
}

/// The parameters of a Signature header, borrowed from it.
#[derive(Debug, PartialEq, Eq)]
struct SignatureParams<'a> {
    key_id: &'a str,
    algorithm: Option<&'a str>,
    headers: Option<&'a str>,
    signature: &'a str,
}

impl<'a> SignatureParams<'a> {
    /// `name="value"` pairs separated by commas. Values may hold `,` and `=`; the draft
    /// defines no escapes, so a backslash inside quotes is kept literally.
    /// Unknown parameters (e.g. `created`) are ignored, as the draft requires.
    fn parse(raw: &'a str) -> Result<Self, VerifyError> {
        let (mut key_id, mut algorithm, mut headers, mut signature) = (None, None, None, None);
        let bytes = raw.as_bytes();
        let mut i = 0;
        let skip_ws = |i: &mut usize| {
            while *i < bytes.len() && (bytes[*i] == b' ' || bytes[*i] == b'\t') {
                *i += 1;
            }
        };
        loop {
            skip_ws(&mut i);
            if i == bytes.len() {
                break;
            }
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'-' || bytes[i] == b'_')
            {
                i += 1;
            }
            let name = &raw[start..i];
            if name.is_empty() {
                return Err(malformed("expected a parameter name"));
            }
            skip_ws(&mut i);
            if bytes.get(i) != Some(&b'=') {
                return Err(malformed("expected `=` after a parameter name"));
            }
            i += 1;
            skip_ws(&mut i);
            let value = if bytes.get(i) == Some(&b'"') {
                let start = i + 1;
                let len = bytes[start..]
                    .iter()
                    .position(|&b| b == b'"')
                    .ok_or_else(|| malformed("unterminated quoted value"))?;
                i = start + len + 1;
                &raw[start..start + len]
            } else {
                // Bare tokens, e.g. `created=1402170695`.
                let start = i;
                while i < bytes.len() && !matches!(bytes[i], b',' | b' ' | b'\t' | b'"') {
                    i += 1;
                }
                if i == start {
                    return Err(malformed("empty parameter value"));
                }
                &raw[start..i]
            };
            let slot = match name {
                "keyId" => Some(&mut key_id),
                "algorithm" => Some(&mut algorithm),
                "headers" => Some(&mut headers),
                "signature" => Some(&mut signature),
                _ => None,
            };
            if let Some(slot) = slot {
                if slot.replace(value).is_some() {
                    return Err(malformed("parameter given twice"));
                }
            }
            skip_ws(&mut i);
            match bytes.get(i) {
                None => break,
                Some(b',') => i += 1,
                Some(_) => return Err(malformed("expected `,` between parameters")),
            }
        }
        let key_id = key_id
            .filter(|k| !k.is_empty())
            .ok_or_else(|| malformed("missing keyId"))?;
        let signature = signature
            .filter(|s| !s.is_empty())
            .ok_or_else(|| malformed("missing signature"))?;
        Ok(Self {
            key_id,
            algorithm,
            headers,
            signature,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_ID: &str = "https://eu.roost.example/users/alice#main-key";
    const PATH: &str = "/users/bob/inbox?x=1";
    const BODY: &[u8] = br#"{"type":"Create","object":{"content":"hi, there"}}"#;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    /// A fixed clock so tests do not depend on wall time or second boundaries.
    fn t0() -> SystemTime {
        httpdate::parse_http_date("Tue, 07 Jun 2022 20:51:35 GMT").unwrap()
    }

    fn opts() -> VerifyOptions {
        VerifyOptions {
            now: t0(),
            ..VerifyOptions::default()
        }
    }

    fn base_headers(at: SystemTime, with_body: bool) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("us.roost.example:8443"));
        h.insert(
            "date",
            HeaderValue::from_str(&httpdate::fmt_http_date(at)).unwrap(),
        );
        if with_body {
            h.insert(
                "content-type",
                HeaderValue::from_static("application/activity+json"),
            );
        }
        h
    }

    fn signed_post(k: &SigningKey) -> HeaderMap {
        let mut h = base_headers(t0(), true);
        sign(&Method::POST, PATH, &mut h, Some(BODY), KEY_ID, k).unwrap();
        h
    }

    fn signed_get(k: &SigningKey) -> HeaderMap {
        let mut h = base_headers(t0(), false);
        sign(&Method::GET, PATH, &mut h, None, KEY_ID, k).unwrap();
        h
    }

    fn keys_for(k: &SigningKey) -> impl Fn(&str) -> Vec<VerifyingKey> {
        let vk = k.verifying_key();
        move |id| if id == KEY_ID { vec![vk] } else { vec![] }
    }

    fn verify_post(
        h: &HeaderMap,
        body: &[u8],
        lookup: impl Fn(&str) -> Vec<VerifyingKey>,
    ) -> Result<VerifiedSignature, VerifyError> {
        verify(&Method::POST, PATH, h, Some(body), lookup, &opts())
    }

    fn with_signature(value: &str) -> HeaderMap {
        let mut h = signed_get(&key(1));
        h.insert("signature", HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn digest_header_is_sha256_base64() {
        assert_eq!(
            digest_header(b""),
            "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }

    #[test]
    fn round_trip_get() {
        let k = key(1);
        let h = signed_get(&k);
        let got = verify(&Method::GET, PATH, &h, None, keys_for(&k), &opts()).unwrap();
        assert_eq!(
            got,
            VerifiedSignature {
                key_id: KEY_ID.into(),
                headers: vec!["(request-target)".into(), "host".into(), "date".into()]
            }
        );
    }

    #[test]
    fn round_trip_post() {
        let k = key(1);
        let h = signed_post(&k);
        assert_eq!(h["digest"], digest_header(BODY).as_str());
        let sig = h["signature"].to_str().unwrap();
        let prefix = format!("keyId=\"{KEY_ID}\",algorithm=\"hs2019\",headers=\"(request-target) host date digest content-type\",signature=\"");
        assert!(sig.starts_with(&prefix), "{sig}");
        let got = verify_post(&h, BODY, keys_for(&k)).unwrap();
        assert_eq!(got.headers, SIGNED_HEADERS_POST);
    }

    #[test]
    fn sign_adds_date_now_and_requires_host() {
        let k = key(1);
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("us.roost.example"));
        sign(&Method::GET, "/", &mut h, None, KEY_ID, &k).unwrap();
        verify(
            &Method::GET,
            "/",
            &h,
            None,
            keys_for(&k),
            &VerifyOptions::default(),
        )
        .unwrap();

        let mut h = HeaderMap::new();
        assert_eq!(
            sign(&Method::GET, "/", &mut h, None, KEY_ID, &k),
            Err(SignError::MissingHeader("host".into()))
        );
        let mut h = base_headers(t0(), false);
        assert_eq!(
            sign(&Method::POST, "/", &mut h, Some(b"x"), KEY_ID, &k),
            Err(SignError::MissingHeader("content-type".into()))
        );
        let mut h = base_headers(t0(), false);
        assert_eq!(
            sign(&Method::GET, "/", &mut h, None, "a\"b", &k),
            Err(SignError::InvalidKeyId)
        );
    }

    #[test]
    fn changed_body_is_digest_mismatch() {
        let k = key(1);
        let h = signed_post(&k);
        assert_eq!(
            verify_post(&h, b"{}", keys_for(&k)),
            Err(VerifyError::DigestMismatch)
        );
    }

    #[test]
    fn changed_digest_header_is_bad_signature() {
        // The attacker rewrites body and Digest together; the signature covers Digest.
        let k = key(1);
        let mut h = signed_post(&k);
        h.insert(
            "digest",
            HeaderValue::from_str(&digest_header(b"{}")).unwrap(),
        );
        assert_eq!(
            verify_post(&h, b"{}", keys_for(&k)),
            Err(VerifyError::BadSignature)
        );
    }

    #[test]
    fn changed_path_is_bad_signature() {
        let k = key(1);
        let h = signed_post(&k);
        let r = verify(
            &Method::POST,
            "/users/carol/inbox?x=1",
            &h,
            Some(BODY),
            keys_for(&k),
            &opts(),
        );
        assert_eq!(r, Err(VerifyError::BadSignature));
        let r = verify(&Method::PUT, PATH, &h, Some(BODY), keys_for(&k), &opts());
        assert_eq!(r, Err(VerifyError::BadSignature));
    }

    #[test]
    fn changed_host_is_bad_signature() {
        let k = key(1);
        let mut h = signed_post(&k);
        h.insert("host", HeaderValue::from_static("evil.example"));
        assert_eq!(
            verify_post(&h, BODY, keys_for(&k)),
            Err(VerifyError::BadSignature)
        );
    }

    #[test]
    fn changed_date_is_bad_signature() {
        let k = key(1);
        let mut h = signed_post(&k);
        let other = httpdate::fmt_http_date(t0() - Duration::from_secs(5));
        h.insert("date", HeaderValue::from_str(&other).unwrap());
        assert_eq!(
            verify_post(&h, BODY, keys_for(&k)),
            Err(VerifyError::BadSignature)
        );
    }

    #[test]
    fn date_outside_window_is_rejected() {
        let k = key(1);
        for at in [
            t0() - Duration::from_secs(600),
            t0() + Duration::from_secs(600),
        ] {
            let mut h = base_headers(at, true);
            sign(&Method::POST, PATH, &mut h, Some(BODY), KEY_ID, &k).unwrap();
            assert_eq!(
                verify_post(&h, BODY, keys_for(&k)),
                Err(VerifyError::DateOutOfWindow)
            );
        }
        // Just inside the window still passes.
        let mut h = base_headers(t0() - Duration::from_secs(299), true);
        sign(&Method::POST, PATH, &mut h, Some(BODY), KEY_ID, &k).unwrap();
        verify_post(&h, BODY, keys_for(&k)).unwrap();
    }

    #[test]
    fn invalid_date_is_rejected() {
        let k = key(1);
        let mut h = signed_get(&k);
        h.insert("date", HeaderValue::from_static("yesterday"));
        let r = verify(&Method::GET, PATH, &h, None, keys_for(&k), &opts());
        assert_eq!(r, Err(VerifyError::InvalidDate));
    }

    #[test]
    fn missing_digest_on_post_is_rejected() {
        let k = key(1);
        let mut h = signed_post(&k);
        h.remove("digest");
        assert_eq!(
            verify_post(&h, BODY, keys_for(&k)),
            Err(VerifyError::MissingHeader("digest".into()))
        );
    }

    #[test]
    fn body_with_get_style_signature_is_rejected() {
        // A signature that does not cover Digest must not vouch for a body.
        let k = key(1);
        let mut h = signed_get(&k);
        h.insert(
            "digest",
            HeaderValue::from_str(&digest_header(BODY)).unwrap(),
        );
        assert_eq!(
            verify_post(&h, BODY, keys_for(&k)),
            Err(VerifyError::UnsignedHeader("digest"))
        );
    }

    #[test]
    fn digest_lists_and_case_are_accepted() {
        let k = key(1);
        let mut h = base_headers(t0(), true);
        let value = format!(
            "sha-512=AAAA==, {}",
            digest_header(BODY).replace("SHA-256", "sha-256")
        );
        h.insert("digest", HeaderValue::from_str(&value).unwrap());
        sign(&Method::POST, PATH, &mut h, Some(BODY), KEY_ID, &k).unwrap();
        verify_post(&h, BODY, keys_for(&k)).unwrap();

        let mut h = base_headers(t0(), true);
        h.insert("digest", HeaderValue::from_static("SHA-512=AAAA=="));
        sign(&Method::POST, PATH, &mut h, Some(BODY), KEY_ID, &k).unwrap();
        assert_eq!(
            verify_post(&h, BODY, keys_for(&k)),
            Err(VerifyError::UnsupportedDigest)
        );
    }

    #[test]
    fn signature_by_another_key_is_rejected() {
        let h = signed_post(&key(2));
        assert_eq!(
            verify_post(&h, BODY, keys_for(&key(1))),
            Err(VerifyError::BadSignature)
        );
    }

    #[test]
    fn unknown_key_id_is_rejected() {
        let k = key(1);
        let h = signed_post(&k);
        let r = verify_post(&h, BODY, |_| vec![]);
        assert_eq!(r, Err(VerifyError::UnknownKey(KEY_ID.into())));
    }

    #[test]
    fn key_rotation_accepts_any_listed_key() {
        let (old, new) = (key(1), key(2));
        let both = |_: &str| vec![new.verifying_key(), old.verifying_key()];
        verify_post(&signed_post(&old), BODY, both).unwrap();
        verify_post(&signed_post(&new), BODY, both).unwrap();
        assert_eq!(
            verify_post(&signed_post(&key(3)), BODY, both),
            Err(VerifyError::BadSignature)
        );
    }

    /// Re-signs with a hand-built header list, as a foreign server might.
    fn signed_with_list(k: &SigningKey, names: &[&str], params: &str) -> HeaderMap {
        let mut h = base_headers(t0(), true);
        h.insert(
            "digest",
            HeaderValue::from_str(&digest_header(BODY)).unwrap(),
        );
        let s = signing_string(&Method::POST, PATH, &h, names).unwrap();
        let sig = BASE64.encode(k.sign(&s).to_bytes());
        let value = format!(
            "keyId=\"{KEY_ID}\",{params}headers=\"{}\",signature=\"{sig}\"",
            names.join(" ")
        );
        h.insert("signature", HeaderValue::from_str(&value).unwrap());
        h
    }

    #[test]
    fn header_list_without_date_is_rejected() {
        let k = key(1);
        let h = signed_with_list(&k, &["(request-target)", "host", "digest"], "");
        assert_eq!(
            verify_post(&h, BODY, keys_for(&k)),
            Err(VerifyError::UnsignedHeader("date"))
        );
        let h = signed_with_list(&k, &["host", "date", "digest"], "");
        assert_eq!(
            verify_post(&h, BODY, keys_for(&k)),
            Err(VerifyError::UnsignedHeader("(request-target)"))
        );
        let h = signed_with_list(&k, &["(request-target)", "date", "digest"], "");
        assert_eq!(
            verify_post(&h, BODY, keys_for(&k)),
            Err(VerifyError::UnsignedHeader("host"))
        );
    }

    #[test]
    fn foreign_forms_are_accepted() {
        // GoToSocial-style list without content-type, no algorithm, "ed25519", upper-case names.
        let k = key(1);
        let h = signed_with_list(&k, &["(request-target)", "host", "date", "digest"], "");
        verify_post(&h, BODY, keys_for(&k)).unwrap();
        let h = signed_with_list(
            &k,
            &["(request-target)", "host", "date", "digest"],
            "algorithm=\"ed25519\",",
        );
        verify_post(&h, BODY, keys_for(&k)).unwrap();
        let h = signed_with_list(
            &k,
            &["(request-target)", "host", "date", "digest"],
            "created=1654635095, ",
        );
        verify_post(&h, BODY, keys_for(&k)).unwrap();
        let mut h = signed_with_list(&k, &["(request-target)", "host", "date", "digest"], "");
        let upper = h["signature"]
            .to_str()
            .unwrap()
            .replace("host date", "Host Date");
        h.insert("signature", HeaderValue::from_str(&upper).unwrap());
        assert_eq!(
            verify_post(&h, BODY, keys_for(&k)).unwrap().headers[1],
            "host"
        );
    }

    #[test]
    fn other_algorithms_and_pseudo_headers_are_rejected() {
        let k = key(1);
        let h = signed_with_list(&k, SIGNED_HEADERS_POST, "algorithm=\"rsa-sha256\",");
        assert_eq!(
            verify_post(&h, BODY, keys_for(&k)),
            Err(VerifyError::UnsupportedAlgorithm("rsa-sha256".into()))
        );
        let h = with_signature(&format!("keyId=\"{KEY_ID}\",headers=\"(request-target) (created) host date\",signature=\"AA==\""));
        let r = verify(&Method::GET, PATH, &h, None, keys_for(&k), &opts());
        assert_eq!(
            r,
            Err(VerifyError::UnsupportedPseudoHeader("(created)".into()))
        );
    }

    #[test]
    fn signing_string_joins_repeated_headers() {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("a.example"));
        h.append("x-multi", HeaderValue::from_static(" one "));
        h.append("x-multi", HeaderValue::from_static("two"));
        let s = signing_string(
            &Method::POST,
            "/p?q",
            &h,
            &["(request-target)", "host", "x-multi"],
        )
        .unwrap();
        assert_eq!(
            s,
            b"(request-target): post /p?q\nhost: a.example\nx-multi: one, two"
        );
        assert_eq!(
            signing_string(&Method::GET, "/", &h, &["date"]),
            Err("date".to_owned())
        );
    }

    #[test]
    fn params_with_commas_and_equals_parse() {
        let p = SignatureParams::parse(
            "keyId=\"https://a.example/u?x=1,y=2#k\" , algorithm=hs2019,headers=\"date\",signature=\"ab+/cd==\",created=17",
        )
        .unwrap();
        assert_eq!(
            p,
            SignatureParams {
                key_id: "https://a.example/u?x=1,y=2#k",
                algorithm: Some("hs2019"),
                headers: Some("date"),
                signature: "ab+/cd=="
            }
        );
    }

    #[test]
    fn garbage_signature_headers_are_errors() {
        let k = key(1);
        let huge = format!(
            "keyId=\"{}\",signature=\"{}\"",
            "a".repeat(100_000),
            "b".repeat(100_000)
        );
        let long_alg = format!(
            "keyId=\"k\",algorithm=\"{}\",signature=\"x\"",
            "z".repeat(2000)
        );
        let cases = [
            "",
            "   ",
            "keyId",
            "keyId=",
            "keyId=\"",
            "keyId=\"abc",
            "keyId=abc,signature=\"unterminated",
            "=\"x\"",
            "keyId=\"a\"signature=\"b\"",
            "keyId=\"a\",keyId=\"b\",signature=\"c\"",
            ",,,",
            "\"\"\"",
            "signature=\"AAAA\"",
            "keyId=\"k\"",
            "keyId=\"\",signature=\"x\"",
            "keyId=\"k\",signature=\"!!!not base64!!!\"",
            "keyId=\"k\",signature=\"AAAA\"",
            "keyId=\"k\",headers=\"(request-target) host date date\",signature=\"AA==\"",
            "keyId=\"ké\",signature=\"x\"",
            &huge,
            &long_alg,
        ];
        for case in cases {
            let mut h = signed_get(&k);
            h.insert(
                "signature",
                HeaderValue::from_bytes(case.as_bytes()).unwrap(),
            );
            let r = verify(&Method::GET, PATH, &h, None, keys_for(&k), &opts());
            assert!(r.is_err(), "accepted {case:.60}");
            assert!(
                r.unwrap_err().to_string().len() < 400,
                "error echoes too much for {case:.60}"
            );
        }
        let mut h = signed_get(&k);
        h.remove("signature");
        assert_eq!(
            verify(&Method::GET, PATH, &h, None, keys_for(&k), &opts()),
            Err(VerifyError::MissingSignature)
        );
    }

    #[test]
    fn random_signature_headers_never_panic_or_pass() {
        let k = key(1);
        let alphabet = b"keyIdsgnatureh=\",\\ (-)AZ+/09\t";
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..5000 {
            let mut s = Vec::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            for _ in 0..(state % 80) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                s.push(alphabet[(state % alphabet.len() as u64) as usize]);
            }
            let mut h = signed_get(&k);
            h.insert("signature", HeaderValue::from_bytes(&s).unwrap());
            assert!(verify(&Method::GET, PATH, &h, None, keys_for(&k), &opts()).is_err());
        }
    }
}
