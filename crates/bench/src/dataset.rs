//! Builds a benchmark data set straight into a fresh data dir: the store's own migrations
//! make the schema, then large multi-row inserts fill it (signing everyone up over HTTP
//! would take hours, mostly in password hashing).

use anyhow::Context;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use roost_core::Id;
use sha2::{Digest, Sha256};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, QueryBuilder, Sqlite, SqliteConnection};
use std::path::Path;
use std::time::Instant;

/// The size of a data set.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Shape {
    pub accounts: usize,
    pub posts: usize,
    pub follows: usize,
    /// Only the newest this many posts are fanned out into home timelines (as a server
    /// that trims old entries would hold them); older ones are on profiles only.
    pub fanned_out_posts: usize,
    /// Exponent of the Zipf law by which accounts are picked as follow targets.
    pub zipf_s: f64,
    /// Every account follows account 0 (the fan-out test's author).
    pub celebrity: bool,
}

impl Shape {
    /// `accounts` accounts with tokens and nothing else: the scenario makes the rest.
    pub fn accounts_only(accounts: usize) -> Shape {
        Shape {
            accounts,
            posts: 0,
            follows: 0,
            fanned_out_posts: 0,
            zipf_s: 1.0,
            celebrity: false,
        }
    }
}

/// What the benchmark needs to know about the data set it built.
#[derive(Debug, Clone)]
pub struct Built {
    pub accounts: Vec<Id>,
    pub usernames: Vec<String>,
    /// Bearer token of each account (same order as `accounts`).
    pub tokens: Vec<String>,
    pub posts: Vec<Id>,
    pub followers: Vec<u32>,
    /// Index of the account everyone follows (the fan-out test's author).
    pub celebrity: usize,
    pub home_rows: u64,
    pub follows: u64,
}

/// The raw bearer token of a benchmark account; the database keeps only its hash.
pub fn token_for(account: Id) -> String {
    format!("roost-bench-{}", account.0)
}

fn hash(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Runs the store's migrations on a new database file, then closes it again.
pub async fn migrate(db: &Path) -> anyhow::Result<()> {
    let store = roost_store::SqliteStore::open(db, roost_store::SqliteOptions::default())
        .await
        .context("creating the database")?;
    store.close().await;
    Ok(())
}

/// A connection for bulk loading: no journal, no fsync (the file is thrown away if the
/// load fails), WAL switched back on at the end.
async fn bulk_conn(db: &Path) -> anyhow::Result<SqliteConnection> {
    let opts = SqliteConnectOptions::new()
        .filename(db)
        .journal_mode(SqliteJournalMode::Off)
        .synchronous(SqliteSynchronous::Off)
        .foreign_keys(false)
        .pragma("cache_size", "-262144")
        .pragma("temp_store", "MEMORY")
        // The migrating store's connections close on their own threads: wait for their
        // locks rather than fail (seen as "database is locked" on a loaded machine).
        .busy_timeout(std::time::Duration::from_secs(30));
    Ok(SqliteConnection::connect_with(&opts).await?)
}

/// Inserts `rows` in multi-row statements of at most `per` rows.
async fn insert<T>(
    conn: &mut SqliteConnection,
    head: &str,
    rows: impl IntoIterator<Item = T>,
    per: usize,
    mut bind: impl FnMut(sqlx::query_builder::Separated<'_, '_, Sqlite, &'static str>, T),
) -> anyhow::Result<()> {
    let mut it = rows.into_iter().peekable();
    while it.peek().is_some() {
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(head);
        q.push_values(it.by_ref().take(per), &mut bind);
        q.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Secondary indexes of `table` are dropped for the load and rebuilt after it (building an
/// index from sorted data is far faster than keeping it up to date row by row).
async fn drop_indexes(
    conn: &mut SqliteConnection,
    table: &str,
) -> anyhow::Result<Vec<(String, String)>> {
    let idx: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await?;
    for (name, _) in &idx {
        sqlx::query(&format!("DROP INDEX {name}"))
            .execute(&mut *conn)
            .await?;
    }
    Ok(idx)
}

async fn restore_indexes(
    conn: &mut SqliteConnection,
    idx: Vec<(String, String)>,
) -> anyhow::Result<()> {
    for (_, sql) in idx {
        sqlx::query(&sql).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Cumulative weights of a Zipf law over `n` ranks, for sampling by binary search.
fn zipf_cdf(n: usize, s: f64) -> Vec<f64> {
    let mut acc = 0.0;
    let mut out = Vec::with_capacity(n);
    for k in 1..=n {
        acc += 1.0 / (k as f64).powf(s);
        out.push(acc);
    }
    out
}

fn sample(cdf: &[f64], rng: &mut StdRng) -> usize {
    let x = rng.gen::<f64>() * cdf[cdf.len() - 1];
    cdf.partition_point(|c| *c < x).min(cdf.len() - 1)
}

/// Builds the data set for region `region` (number `region_number`) into `db`, which must
/// be new. Account `i` is `{prefix}{i}`.
pub async fn build(
    db: &Path,
    shape: &Shape,
    region: &str,
    region_number: u16,
    prefix: &str,
    seed: u64,
) -> anyhow::Result<Built> {
    let started = Instant::now();
    migrate(db).await?;
    let mut conn = bulk_conn(db).await?;
    let mut rng = StdRng::seed_from_u64(seed);
    let now = jiff::Timestamp::now().as_millisecond();
    // Accounts were made 60 days ago, posts spread over the 30 days before now.
    let t_acc = now - 60 * 86_400_000;
    let t_post = now - 30 * 86_400_000;
    let n = shape.accounts;
    let accounts: Vec<Id> = (0..n)
        .map(|i| Id::from_parts(t_acc + (i / 4096) as i64, region_number, (i % 4096) as u16))
        .collect();
    let usernames: Vec<String> = (0..n).map(|i| format!("{prefix}{i}")).collect();
    let tokens: Vec<String> = accounts.iter().map(|a| token_for(*a)).collect();

    // Follows: the target by a Zipf law over accounts (rank = index), the follower
    // uniformly; everyone also follows account 0, the fan-out test's author.
    let celebrity = 0usize;
    let cdf = zipf_cdf(n, shape.zipf_s);
    let mut pairs: std::collections::HashSet<u64> =
        std::collections::HashSet::with_capacity(shape.follows + n);
    if shape.celebrity {
        for f in 1..n {
            pairs.insert(((f as u64) << 32) | celebrity as u64);
        }
    }
    // At most half of all possible pairs, so that sampling ends.
    let wanted = shape
        .follows
        .max(pairs.len())
        .min(n * n.saturating_sub(1) / 2);
    let mut tries = 0u64;
    while pairs.len() < wanted && tries < 50 * wanted as u64 {
        tries += 1;
        let t = sample(&cdf, &mut rng);
        let f = rng.gen_range(0..n);
        if f != t {
            pairs.insert(((f as u64) << 32) | t as u64);
        }
    }
    let mut follows: Vec<(u32, u32)> = pairs
        .into_iter()
        .map(|p| ((p >> 32) as u32, p as u32))
        .collect();
    follows.sort_unstable();
    let mut followers = vec![0u32; n];
    let mut following = vec![0u32; n];
    let mut follower_lists: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (f, t) in &follows {
        followers[*t as usize] += 1;
        following[*f as usize] += 1;
        follower_lists[*t as usize].push(*f);
    }

    // Posts: authors uniformly at random, evenly spaced in time (IDs time-ordered).
    let np = shape.posts;
    let step = ((now - t_post) / np.max(1) as i64).max(1);
    let mut post_author = Vec::with_capacity(np);
    let mut posts = Vec::with_capacity(np);
    let mut statuses_count = vec![0i64; n];
    let mut last_status = vec![None::<i64>; n];
    for i in 0..np {
        let a = rng.gen_range(0..n);
        let ms = t_post + i as i64 * step;
        post_author.push(a as u32);
        posts.push(Id::from_parts(ms, region_number, (i % 4096) as u16));
        statuses_count[a] += 1;
        last_status[a] = Some(ms);
    }

    let mut tx = conn.begin().await?;
    insert(
        &mut tx,
        "INSERT INTO accounts (id, username, username_key, home_region, display_name, created_at, \
           followers_count, following_count, statuses_count, last_status_at, discoverable) ",
        0..n,
        2000,
        |mut b, i| {
            b.push_bind(accounts[i].0)
                .push_bind(usernames[i].clone())
                .push_bind(usernames[i].clone())
                .push_bind(region.to_string())
                .push_bind(format!("Bench user {i}"))
                .push_bind(accounts[i].unix_ms())
                .push_bind(i64::from(followers[i]))
                .push_bind(i64::from(following[i]))
                .push_bind(statuses_count[i])
                .push_bind(last_status[i])
                .push_bind(1i64);
        },
    )
    .await?;
    // Bench accounts sign in by token only: the password hash is not a valid hash.
    insert(
        &mut tx,
        "INSERT INTO users (account_id, email, email_key, password_hash, locale, created_at) ",
        0..n,
        4000,
        |mut b, i| {
            let email = format!("{}@bench.invalid", usernames[i]);
            b.push_bind(accounts[i].0)
                .push_bind(email.clone())
                .push_bind(email)
                .push_bind("-")
                .push_bind("en")
                .push_bind(accounts[i].unix_ms());
        },
    )
    .await?;
    // Each account's data key, wrapped by the KEK the store made in the data dir: the
    // posts below are sealed with it, as the server seals what it stores.
    let kek = roost_residency::keys::FileKek::load(&db.with_file_name("keys").join("kek.key"))
        .context("reading the data dir's key-encryption key")?;
    let ring = roost_residency::Keyring::new(std::sync::Arc::new(kek), Vec::new());
    let mut data_keys = Vec::with_capacity(n);
    let mut wrapped = Vec::with_capacity(n);
    for a in &accounts {
        let (k, w) = ring.new_key(a.0)?;
        data_keys.push(k);
        wrapped.push(w);
    }
    insert(
        &mut tx,
        "INSERT INTO account_keys (account_id, kek_id, wrapped, created_at) ",
        0..n,
        4000,
        |mut b, i| {
            b.push_bind(accounts[i].0)
                .push_bind(wrapped[i].kek_id.clone())
                .push_bind(wrapped[i].bytes.clone())
                .push_bind(accounts[i].unix_ms());
        },
    )
    .await?;
    let app_id = Id::from_parts(t_acc, region_number, 0).0 - 1;
    sqlx::query(
        "INSERT INTO apps (id, name, redirect_uris, scopes, client_id, client_secret, created_at) \
         VALUES ($1, 'roost-bench', 'urn:ietf:wg:oauth:2.0:oob', 'read write follow', 'roost-bench', 'roost-bench-secret', $2)",
    )
    .bind(app_id)
    .bind(t_acc)
    .execute(&mut *tx)
    .await?;
    let token_idx = drop_indexes(&mut tx, "tokens").await?;
    insert(
        &mut tx,
        "INSERT INTO tokens (id, app_id, account_id, scopes, access_hash, created_at) ",
        0..n,
        4000,
        |mut b, i| {
            b.push_bind(accounts[i].0)
                .push_bind(app_id)
                .push_bind(accounts[i].0)
                .push_bind("read write follow")
                .push_bind(hash(&tokens[i]))
                .push_bind(accounts[i].unix_ms());
        },
    )
    .await?;
    restore_indexes(&mut tx, token_idx).await?;

    let follow_idx = drop_indexes(&mut tx, "follows").await?;
    insert(
        &mut tx,
        "INSERT INTO follows (id, follower_id, target_id, accepted) ",
        follows.iter().enumerate(),
        8000,
        |mut b, (k, (f, t))| {
            let id = Id::from_parts(
                t_acc + 1000 + (k / 4096) as i64,
                region_number,
                (k % 4096) as u16,
            );
            b.push_bind(id.0)
                .push_bind(accounts[*f as usize].0)
                .push_bind(accounts[*t as usize].0)
                .push_bind(1i64);
        },
    )
    .await?;
    restore_indexes(&mut tx, follow_idx).await?;

    let status_idx = drop_indexes(&mut tx, "statuses").await?;
    insert(
        &mut tx,
        "INSERT INTO statuses (id, account_id, text, content_html, visibility, language, created_at) ",
        0..np,
        2000,
        |mut b, i| {
            let a = post_author[i] as usize;
            let (text, html) = post_text(i);
            b.push_bind(posts[i].0)
                .push_bind(accounts[a].0)
                .push_bind(data_keys[a].seal(&text))
                .push_bind(data_keys[a].seal(&html))
                .push_bind("public")
                .push_bind("en")
                .push_bind(posts[i].unix_ms());
        },
    )
    .await?;
    restore_indexes(&mut tx, status_idx).await?;
    insert(
        &mut tx,
        "INSERT INTO status_tags (status_id, tag, position) ",
        (0..np).filter(|i| tagged(*i)),
        8000,
        |mut b, i| {
            b.push_bind(posts[i].0)
                .push_bind(format!("topic{}", i % 100))
                .push_bind(0i64);
        },
    )
    .await?;

    // Home timelines: each fanned-out post goes to its author and every follower, as
    // `create_status` does.
    let first = np.saturating_sub(shape.fanned_out_posts);
    let mut home: Vec<(u32, u32)> = Vec::new();
    for (i, a) in post_author.iter().enumerate().skip(first) {
        home.push((*a, i as u32));
        for f in &follower_lists[*a as usize] {
            home.push((*f, i as u32));
        }
    }
    home.sort_unstable();
    let home_idx = drop_indexes(&mut tx, "home_timeline").await?;
    insert(
        &mut tx,
        "INSERT INTO home_timeline (account_id, status_id) ",
        home.iter(),
        16000,
        |mut b, (a, p)| {
            b.push_bind(accounts[*a as usize].0)
                .push_bind(posts[*p as usize].0);
        },
    )
    .await?;
    restore_indexes(&mut tx, home_idx).await?;
    tx.commit().await?;
    sqlx::query("PRAGMA journal_mode = WAL")
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    tracing::info!(
        accounts = n,
        posts = np,
        follows = follows.len(),
        home_rows = home.len(),
        secs = started.elapsed().as_secs_f64(),
        "data set built"
    );
    Ok(Built {
        accounts,
        usernames,
        tokens,
        posts,
        followers,
        celebrity,
        home_rows: home.len() as u64,
        follows: follows.len() as u64,
    })
}

/// Every tenth post carries a hashtag.
fn tagged(i: usize) -> bool {
    i % 10 == 1
}

/// A post's text and its rendered HTML.
fn post_text(i: usize) -> (String, String) {
    let body = format!(
        "Post number {i}: a short note about the weather, the market and what is for dinner tonight."
    );
    if tagged(i) {
        let tag = format!("topic{}", i % 100);
        (
            format!("{body} #{tag}"),
            format!(
                "<p>{body} <a href=\"/tags/{tag}\" class=\"mention hashtag\" rel=\"tag\">#<span>{tag}</span></a></p>"
            ),
        )
    } else {
        (body.clone(), format!("<p>{body}</p>"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zipf_favours_low_ranks() {
        let cdf = zipf_cdf(1000, 1.0);
        let mut rng = StdRng::seed_from_u64(1);
        let mut counts = [0usize; 1000];
        for _ in 0..100_000 {
            counts[sample(&cdf, &mut rng)] += 1;
        }
        assert!(counts[0] > counts[9] && counts[9] > counts[500]);
    }
}
