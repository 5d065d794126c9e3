//! `Upload<T>`: parameters plus uploaded files. A multipart body's parts with a file name
//! (or named `file`, `thumbnail`, `avatar`, `header`) are kept as bytes, up to the largest
//! upload allowed; the rest are parameters as [`crate::extract::Params`] reads them. Other
//! bodies are plain parameters with no files.

use crate::error::{ApiError, ApiResult};
use crate::extract::{insert_pair, query_object, Params};
use crate::AppState;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

const FILE_FIELDS: &[&str] = &["file", "thumbnail", "avatar", "header"];
/// Parameters (not files) read from one multipart body, at most.
const MAX_TEXT_BYTES: usize = 1 << 20;
const MAX_PARTS: usize = 64;

pub struct FilePart {
    pub name: String,
    pub bytes: Vec<u8>,
}

pub struct Upload<T> {
    pub params: T,
    pub files: Vec<FilePart>,
}

impl<T> Upload<T> {
    /// The bytes of the file part called `name`.
    pub fn take(&mut self, name: &str) -> Option<Vec<u8>> {
        let i = self.files.iter().position(|f| f.name == name)?;
        Some(self.files.swap_remove(i).bytes)
    }
}

fn malformed(e: multer::Error) -> ApiError {
    match e {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            ApiError::PayloadTooLarge
        }
        e => ApiError::BadRequest(format!("Malformed multipart body: {e}")),
    }
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for Upload<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> ApiResult<Self> {
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
            let Params(params) = Params::<T>::from_request(req, state).await?;
            return Ok(Upload {
                params,
                files: Vec::new(),
            });
        }
        let boundary = multer::parse_boundary(&ctype).map_err(malformed)?;
        let limits = state.roost.media_limits().copied().unwrap_or_default();
        // A little over the largest file, for the other parts and the framing; each file
        // is held to its type's own limit once its bytes are known.
        let whole = limits.video_size_limit.max(limits.image_size_limit) + (1 << 20);
        let mut obj = Map::new();
        query_object(req.uri().query(), &mut obj)?;
        let stream = req.into_body().into_data_stream();
        let constraints =
            multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(whole));
        let mut mp = multer::Multipart::with_constraints(stream, boundary, constraints);
        let mut files = Vec::new();
        let mut text_bytes = 0usize;
        let mut parts = 0usize;
        while let Some(mut field) = mp.next_field().await.map_err(malformed)? {
            parts += 1;
            if parts > MAX_PARTS {
                return Err(ApiError::BadRequest(format!(
                    "Too many parameters (maximum is {MAX_PARTS})"
                )));
            }
            let name = field.name().unwrap_or("").to_string();
            let is_file = field.file_name().is_some() || FILE_FIELDS.contains(&name.as_str());
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(malformed)? {
                bytes.extend_from_slice(&chunk);
                if !is_file && text_bytes + bytes.len() > MAX_TEXT_BYTES {
                    return Err(ApiError::PayloadTooLarge);
                }
            }
            if is_file {
                files.push(FilePart { name, bytes });
            } else {
                text_bytes += bytes.len();
                let text = String::from_utf8(bytes)
                    .map_err(|_| ApiError::BadRequest("Form field is not valid UTF-8".into()))?;
                if !name.is_empty() {
                    insert_pair(&mut obj, &name, Value::String(text))?;
                }
            }
        }
        let params = serde_json::from_value(Value::Object(obj))
            .map_err(|e| ApiError::Unprocessable(format!("Validation failed: {e}")))?;
        Ok(Upload { params, files })
    }
}
