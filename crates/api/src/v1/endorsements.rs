//! `/api/v1/endorsements`

use crate::error::ApiResult;
use crate::extract::{Auth, Params};
use crate::paging::{accounts_page, PageParams, Paged};
use crate::{wire, AppState};
use axum::extract::State;
use axum::http::Uri;

pub async fn list(
    State(st): State<AppState>,
    auth: Auth,
    uri: Uri,
    Params(p): Params<PageParams>,
) -> ApiResult<Paged<Vec<wire::Account>>> {
    let me = auth.user("read:accounts")?;
    let page = st.roost.endorsements(me, p.page()).await?;
    Ok(accounts_page(&st, &uri, page))
}
