//! `WebUpload<T>`: a form that may carry files (`multipart/form-data`): its text fields
//! become `T` as a url-encoded form would, its non-empty file fields are kept as bytes.
//! A url-encoded body is read as [`WebForm`] with no files.

use crate::error::WebError;
use crate::session::WebForm;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

/// Text fields of one form, at most.
const MAX_TEXT_BYTES: usize = 1 << 20;
const MAX_PARTS: usize = 32;
/// The whole body: four images at the API's limit, and the rest.
const MAX_BODY: u64 = 4 * 16 * 1024 * 1024 + (1 << 20);

pub struct WebUpload<T> {
    pub form: T,
    /// (field name, bytes), in the order sent.
    pub files: Vec<(String, Vec<u8>)>,
}

impl<T> WebUpload<T> {
    pub fn take(&mut self, name: &str) -> Option<Vec<u8>> {
        let i = self.files.iter().position(|(n, _)| n == name)?;
        Some(self.files.remove(i).1)
    }
}

fn bad(e: multer::Error) -> WebError {
    match e {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            WebError::PayloadTooLarge
        }
        e => WebError::BadRequest(format!("The form could not be read: {e}")),
    }
}

impl<T, S> FromRequest<S> for WebUpload<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = WebError;

    async fn from_request(req: Request, st: &S) -> Result<Self, WebError> {
        let ctype = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        if !ctype
            .to_ascii_lowercase()
            .starts_with("multipart/form-data")
        {
            let WebForm(form) = WebForm::<T>::from_request(req, st).await?;
            return Ok(WebUpload {
                form,
                files: Vec::new(),
            });
        }
        let boundary = multer::parse_boundary(&ctype).map_err(bad)?;
        let constraints =
            multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(MAX_BODY));
        let mut mp = multer::Multipart::with_constraints(
            req.into_body().into_data_stream(),
            boundary,
            constraints,
        );
        let mut pairs: Vec<(String, String)> = Vec::new();
        let mut files = Vec::new();
        let (mut text_bytes, mut parts) = (0usize, 0usize);
        while let Some(mut field) = mp.next_field().await.map_err(bad)? {
            parts += 1;
            if parts > MAX_PARTS {
                return Err(WebError::BadRequest("The form has too many fields.".into()));
            }
            let name = field.name().unwrap_or("").to_string();
            let is_file = field.file_name().is_some();
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(bad)? {
                bytes.extend_from_slice(&chunk);
                if !is_file && text_bytes + bytes.len() > MAX_TEXT_BYTES {
                    return Err(WebError::PayloadTooLarge);
                }
            }
            if is_file {
                // A file input left empty still sends a part, with no bytes.
                if !bytes.is_empty() {
                    files.push((name, bytes));
                }
            } else {
                text_bytes += bytes.len();
                let text = String::from_utf8(bytes)
                    .map_err(|_| WebError::BadRequest("The form is not valid UTF-8.".into()))?;
                pairs.push((name, text));
            }
        }
        // The text fields, as the url-encoded form they would otherwise have been.
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&pairs)
            .finish();
        let form = serde_urlencoded_from(&encoded)?;
        Ok(WebUpload { form, files })
    }
}

fn serde_urlencoded_from<T: DeserializeOwned>(s: &str) -> Result<T, WebError> {
    axum::extract::Query::<T>::try_from_uri(
        &format!("/?{s}")
            .parse()
            .map_err(|_| WebError::BadRequest("The form could not be read.".into()))?,
    )
    .map(|q| q.0)
    .map_err(|e| WebError::BadRequest(format!("The form could not be read: {}", e.body_text())))
}
