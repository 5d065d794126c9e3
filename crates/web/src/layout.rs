//! What every page shares: the frame (`base.html`), its head tags, the navigation for the
//! viewer, and the response headers pages go out with.

use crate::session::{Flash, Viewer};
use crate::WebState;
use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

/// A `<meta property=… content=…>` (Open Graph) tag.
pub struct Meta {
    pub property: &'static str,
    pub content: String,
}

/// A `<link rel=… type=… href=…>` tag (feeds, the ActivityPub object).
pub struct Alternate {
    pub rel: &'static str,
    pub kind: &'static str,
    pub href: String,
    pub title: String,
}

pub struct Layout {
    pub site_title: String,
    pub page_title: String,
    pub region: String,
    /// `@username` of the signed-in viewer.
    pub me: Option<String>,
    /// Whether the navigation links to the moderators' pages.
    pub staff: bool,
    pub csrf: String,
    pub flash: Option<Flash>,
    pub meta: Vec<Meta>,
    pub alternates: Vec<Alternate>,
    pub description: String,
    /// Which navigation entry is the current page.
    pub current: &'static str,
}

impl Layout {
    pub fn new(st: &WebState, viewer: &Viewer, page_title: impl Into<String>) -> Layout {
        Layout {
            site_title: st.roost.cfg.title.clone(),
            region: st.roost.cfg.region.clone(),
            me: viewer.account.as_ref().map(|a| a.username.clone()),
            staff: viewer.account.is_some() && viewer.role.is_staff(),
            csrf: viewer.csrf.clone(),
            flash: viewer.flash.clone(),
            description: st.roost.cfg.description.clone(),
            ..Layout::bare(page_title)
        }
    }

    /// For error pages, which are drawn without knowing who is looking.
    pub fn bare(page_title: impl Into<String>) -> Layout {
        Layout {
            site_title: "roost".into(),
            page_title: page_title.into(),
            region: String::new(),
            me: None,
            staff: false,
            csrf: String::new(),
            flash: None,
            meta: Vec::new(),
            alternates: Vec::new(),
            description: String::new(),
            current: "",
        }
    }

    pub fn current(mut self, nav: &'static str) -> Layout {
        self.current = nav;
        self
    }

    pub fn og(&mut self, property: &'static str, content: impl Into<String>) {
        self.meta.push(Meta {
            property,
            content: content.into(),
        });
    }

    pub fn alternate(
        &mut self,
        rel: &'static str,
        kind: &'static str,
        href: impl Into<String>,
        title: impl Into<String>,
    ) {
        self.alternates.push(Alternate {
            rel,
            kind,
            href: href.into(),
            title: title.into(),
        });
    }

    pub fn is(&self, nav: &str) -> bool {
        self.current == nav
    }
}

/// Scripts only from this site, no inline script or style, no framing: a second wall
/// behind the escaping of everything users type.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// Adds the headers every HTML page carries.
pub fn with_page_headers(mut resp: Response, viewer: Option<&Viewer>) -> Response {
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        // Pages show per-viewer state (buttons, counts): never from a shared cache.
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        );
    }
    if let Some(v) = viewer {
        for c in v.cookies_to_set() {
            h.append(header::SET_COOKIE, c);
        }
    }
    resp
}

/// Renders a page for the viewer with status 200.
pub fn render<T: Template>(viewer: &Viewer, page: &T) -> Result<Response, crate::error::WebError> {
    render_status(viewer, StatusCode::OK, page)
}

pub fn render_status<T: Template>(
    viewer: &Viewer,
    status: StatusCode,
    page: &T,
) -> Result<Response, crate::error::WebError> {
    let html = page.render()?;
    Ok(with_page_headers(
        (status, Html(html)).into_response(),
        Some(viewer),
    ))
}
