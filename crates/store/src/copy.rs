//! Moving a region from its SQLite file to PostgreSQL (`roost admin migrate-store`).
//!
//! Both schemas have the same tables and columns (the migrations are kept in step), so the
//! copy is generic: every table, in an order that puts referenced tables first, row by row
//! from one read transaction on the SQLite file into one PostgreSQL transaction. Before
//! that transaction commits, every table is read again on both sides, in key order, and
//! compared by row count and a SHA-256 over the rows; any difference rolls it all back.
//! The SQLite file is only read, so a failed move leaves the region as it was.
//!
//! Written here rather than with a generic tool: the copy must know roost's schema (which
//! columns only one side has, how each side orders its keys) to prove nothing was lost.

use crate::postgres::{PgOptions, PgStore};
use crate::sqlite::{SqliteOptions, SqliteStore};
use rusqlite::types::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Rows sent to PostgreSQL per statement (its limit is 65,535 bound values).
const BATCH_ROWS: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("cannot read the SQLite file")]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL")]
    Postgres(#[from] tokio_postgres::Error),
    #[error("cannot open the store")]
    Store(#[from] roost_core::store::StoreError),
    #[error("the PostgreSQL database already holds rows (table {0}); move into an empty database")]
    NotEmpty(String),
    #[error("the two schemas differ: {0}")]
    Schema(String),
    #[error(
        "table {table} does not match after the copy: {source_rows} row(s) in SQLite, \
         {target_rows} in PostgreSQL, hashes {source_hash} and {target_hash}; nothing was kept"
    )]
    Mismatch {
        table: String,
        source_rows: u64,
        target_rows: u64,
        source_hash: String,
        target_hash: String,
    },
}

/// One table as copied and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCopy {
    pub table: String,
    pub rows: u64,
    /// SHA-256 (hex) over the table's rows in key order, the same on both sides.
    pub sha256: String,
}

#[derive(Debug, Clone, Default)]
pub struct CopyReport {
    pub tables: Vec<TableCopy>,
}

impl CopyReport {
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }
}

/// A column's PostgreSQL type, as far as roost's schema uses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PgType {
    Int8,
    Int4,
    Float8,
    Text,
    Bytea,
}

impl PgType {
    fn of(data_type: &str) -> Option<PgType> {
        Some(match data_type {
            "bigint" => PgType::Int8,
            "integer" => PgType::Int4,
            "double precision" => PgType::Float8,
            "text" => PgType::Text,
            "bytea" => PgType::Bytea,
            _ => return None,
        })
    }
}

/// What is copied of one table.
struct Plan {
    table: String,
    /// Columns both sides have, with their PostgreSQL types.
    columns: Vec<(String, PgType)>,
    /// The primary key's columns, in key order: the order both sides are compared in.
    key: Vec<String>,
    /// The SQLite table has a rowid: rows go over in insertion order (PostgreSQL's
    /// identity columns then number them in that order, as SQLite's rowid did).
    rowid: bool,
}

/// Copies the region in the SQLite file `sqlite` into the empty PostgreSQL database
/// `url`. Both are brought to the current schema first. The region must be stopped: a
/// write made to the SQLite file meanwhile would not be in the copy.
pub async fn sqlite_to_postgres(sqlite: &Path, url: &str) -> Result<CopyReport, CopyError> {
    // Opening runs each side's migrations, so the two schemas are of the same version.
    SqliteStore::open(
        sqlite,
        SqliteOptions {
            // Rows are copied as stored, sealed fields and wrapped keys alike.
            keys: Some(std::sync::Arc::new(roost_residency::Keyring::ephemeral())),
            ..SqliteOptions::default()
        },
    )
    .await?
    .close()
    .await;
    PgStore::connect(
        url,
        PgOptions {
            max_connections: 1,
            ..PgOptions::default()
        },
    )
    .await?
    .close()
    .await;

    let (mut pg, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    let conn = tokio::spawn(conn);
    let path = sqlite.to_path_buf();
    let lite = tokio::task::spawn_blocking(move || {
        rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    })
    .await
    .expect("opening does not panic")?;
    let lite = std::sync::Arc::new(std::sync::Mutex::new(lite));

    let plans = plan(&pg, &lite).await?;
    for p in &plans {
        let sql = format!("SELECT EXISTS (SELECT 1 FROM {})", p.table);
        if pg.query_one(&sql, &[]).await?.get::<_, bool>(0) {
            return Err(CopyError::NotEmpty(p.table.clone()));
        }
    }

    let tx = pg.transaction().await?;
    // One snapshot of the SQLite file for the copy and the check alike.
    with_lite(&lite, |c| c.execute_batch("BEGIN")).await?;
    let mut report = CopyReport::default();
    let result = async {
        for p in &plans {
            copy_table(&tx, &lite, p).await?;
        }
        for p in &plans {
            let (source_rows, source_hash) = hash_sqlite(&lite, p).await?;
            let (target_rows, target_hash) = hash_postgres(&tx, p).await?;
            if source_rows != target_rows || source_hash != target_hash {
                return Err(CopyError::Mismatch {
                    table: p.table.clone(),
                    source_rows,
                    target_rows,
                    source_hash,
                    target_hash,
                });
            }
            report.tables.push(TableCopy {
                table: p.table.clone(),
                rows: source_rows,
                sha256: source_hash,
            });
        }
        Ok::<_, CopyError>(())
    }
    .await;
    let _ = with_lite(&lite, |c| c.execute_batch("ROLLBACK")).await;
    match result {
        Ok(()) => tx.commit().await?,
        Err(e) => {
            tx.rollback().await?;
            return Err(e);
        }
    }
    // A bulk load leaves the planner without statistics until autovacuum comes round, and
    // meanwhile it sorts every public post for a page of 20: gather them now.
    pg.batch_execute("ANALYZE").await?;
    drop(pg);
    let _ = conn.await;
    Ok(report)
}

type Lite = std::sync::Arc<std::sync::Mutex<rusqlite::Connection>>;

async fn with_lite<T: Send + 'static>(
    lite: &Lite,
    f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T> + Send + 'static,
) -> rusqlite::Result<T> {
    let lite = lite.clone();
    tokio::task::spawn_blocking(move || {
        let c = lite.lock().unwrap_or_else(|p| p.into_inner());
        f(&c)
    })
    .await
    .expect("SQLite work does not panic")
}

/// The tables to copy, referenced tables before the tables that reference them.
async fn plan(pg: &tokio_postgres::Client, lite: &Lite) -> Result<Vec<Plan>, CopyError> {
    let skip = ["schema_migrations", "_sqlx_migrations"];
    let pg_tables: BTreeSet<String> = pg
        .query(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
            &[],
        )
        .await?
        .iter()
        .map(|r| r.get::<_, String>(0))
        .filter(|t| !skip.contains(&t.as_str()))
        .collect();
    let lite_tables: BTreeSet<String> = with_lite(lite, |c| {
        let mut st = c.prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )?;
        let names = st.query_map([], |r| r.get::<_, String>(0))?;
        names.collect::<rusqlite::Result<Vec<String>>>()
    })
    .await?
    .into_iter()
    .filter(|t| !skip.contains(&t.as_str()))
    .collect();
    if pg_tables != lite_tables {
        let only_pg: Vec<_> = pg_tables.difference(&lite_tables).collect();
        let only_lite: Vec<_> = lite_tables.difference(&pg_tables).collect();
        return Err(CopyError::Schema(format!(
            "tables only in PostgreSQL: {only_pg:?}; only in SQLite: {only_lite:?}"
        )));
    }

    // Foreign keys: table -> the other tables it references.
    let mut refs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in pg
        .query(
            "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint \
             WHERE contype = 'f' AND connamespace = current_schema()::regnamespace",
            &[],
        )
        .await?
    {
        let (from, to): (String, String) = (r.get(0), r.get(1));
        if from != to {
            refs.entry(from).or_default().insert(to);
        }
    }
    let mut order: Vec<String> = Vec::new();
    let mut left: BTreeSet<String> = pg_tables.clone();
    while !left.is_empty() {
        let ready: Vec<String> = left
            .iter()
            .filter(|t| {
                refs.get(*t)
                    .is_none_or(|r| r.iter().all(|d| !left.contains(d)))
            })
            .cloned()
            .collect();
        if ready.is_empty() {
            return Err(CopyError::Schema(format!(
                "foreign keys form a cycle among {left:?}"
            )));
        }
        for t in ready {
            left.remove(&t);
            order.push(t);
        }
    }

    let mut plans = Vec::new();
    for table in order {
        let pg_cols: Vec<(String, String)> = pg
            .query(
                "SELECT column_name::text, data_type::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 \
                 ORDER BY ordinal_position",
                &[&table],
            )
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let key: Vec<String> = pg
            .query(
                "SELECT a.attname::text FROM pg_index i \
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) \
                 WHERE i.indrelid = $1::text::regclass AND i.indisprimary \
                 ORDER BY array_position(i.indkey::int2[], a.attnum)",
                &[&table],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let t = table.clone();
        let (lite_cols, rowid) = with_lite(lite, move |c| {
            let mut st = c.prepare(&format!("PRAGMA table_info({t})"))?;
            let cols: Vec<String> = st
                .query_map([], |r| r.get::<_, String>(1))?
                .collect::<rusqlite::Result<_>>()?;
            // A WITHOUT ROWID table has no rowid to select.
            let rowid = c.prepare(&format!("SELECT rowid FROM {t} LIMIT 0")).is_ok();
            Ok((cols, rowid))
        })
        .await?;
        let mut columns = Vec::new();
        for (name, data_type) in &pg_cols {
            if !lite_cols.contains(name) {
                continue;
            }
            let ty = PgType::of(data_type).ok_or_else(|| {
                CopyError::Schema(format!("{table}.{name} is of type {data_type}"))
            })?;
            columns.push((name.clone(), ty));
        }
        if let Some(missing) = lite_cols
            .iter()
            .find(|c| !pg_cols.iter().any(|(n, _)| n == *c))
        {
            return Err(CopyError::Schema(format!(
                "{table}.{missing} is only in SQLite"
            )));
        }
        let key = if key.is_empty() {
            columns.iter().map(|(n, _)| n.clone()).collect()
        } else {
            key
        };
        plans.push(Plan {
            table,
            columns,
            key,
            rowid,
        });
    }
    Ok(plans)
}

/// Reads `sql` on the SQLite side in batches and hands each to `each`, in order.
async fn stream_sqlite(
    lite: &Lite,
    sql: String,
    ncols: usize,
    mut each: impl AsyncBatch,
) -> Result<(), CopyError> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<Vec<Value>>>(4);
    let lite = lite.clone();
    let reader = tokio::task::spawn_blocking(move || -> rusqlite::Result<()> {
        let c = lite.lock().unwrap_or_else(|p| p.into_inner());
        let mut st = c.prepare(&sql)?;
        let mut rows = st.query([])?;
        let mut batch = Vec::with_capacity(BATCH_ROWS);
        while let Some(r) = rows.next()? {
            let mut row = Vec::with_capacity(ncols);
            for i in 0..ncols {
                row.push(r.get::<_, Value>(i)?);
            }
            batch.push(row);
            if batch.len() == BATCH_ROWS {
                if tx.blocking_send(std::mem::take(&mut batch)).is_err() {
                    return Ok(());
                }
                batch.reserve(BATCH_ROWS);
            }
        }
        if !batch.is_empty() {
            let _ = tx.blocking_send(batch);
        }
        Ok(())
    });
    let mut failed = None;
    while let Some(batch) = rx.recv().await {
        if let Err(e) = each.batch(batch).await {
            failed = Some(e);
            break;
        }
    }
    drop(rx);
    reader.await.expect("the SQLite reader does not panic")?;
    failed.map_or(Ok(()), Err)
}

trait AsyncBatch {
    async fn batch(&mut self, rows: Vec<Vec<Value>>) -> Result<(), CopyError>;
}

fn select_list(p: &Plan) -> String {
    p.columns
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

async fn copy_table(
    tx: &tokio_postgres::Transaction<'_>,
    lite: &Lite,
    p: &Plan,
) -> Result<(), CopyError> {
    let order = if p.rowid {
        "rowid".to_string()
    } else {
        p.key.join(", ")
    };
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {order}",
        select_list(p),
        p.table
    );
    struct Insert<'a, 't> {
        tx: &'a tokio_postgres::Transaction<'t>,
        p: &'a Plan,
    }
    impl AsyncBatch for Insert<'_, '_> {
        async fn batch(&mut self, rows: Vec<Vec<Value>>) -> Result<(), CopyError> {
            let n = self.p.columns.len();
            let mut values = Vec::with_capacity(rows.len());
            let mut params: Vec<Box<dyn tokio_postgres::types::ToSql + Sync + Send>> =
                Vec::with_capacity(rows.len() * n);
            for row in rows {
                let base = params.len();
                values.push(format!(
                    "({})",
                    (1..=n)
                        .map(|i| format!("${}", base + i))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                for (v, (col, ty)) in row.into_iter().zip(&self.p.columns) {
                    params.push(to_pg(v, *ty).ok_or_else(|| {
                        CopyError::Schema(format!(
                            "{}.{col} holds a value PostgreSQL's {ty:?} cannot take",
                            self.p.table
                        ))
                    })?);
                }
            }
            let sql = format!(
                "INSERT INTO {} ({}) VALUES {}",
                self.p.table,
                select_list(self.p),
                values.join(", ")
            );
            let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = params
                .iter()
                .map(|b| b.as_ref() as &(dyn tokio_postgres::types::ToSql + Sync))
                .collect();
            self.tx.execute(&sql, &refs).await?;
            Ok(())
        }
    }
    stream_sqlite(lite, sql, p.columns.len(), Insert { tx, p }).await
}

fn to_pg(v: Value, ty: PgType) -> Option<Box<dyn tokio_postgres::types::ToSql + Sync + Send>> {
    Some(match (v, ty) {
        (Value::Null, PgType::Int8) => Box::new(None::<i64>),
        (Value::Null, PgType::Int4) => Box::new(None::<i32>),
        (Value::Null, PgType::Float8) => Box::new(None::<f64>),
        (Value::Null, PgType::Text) => Box::new(None::<String>),
        (Value::Null, PgType::Bytea) => Box::new(None::<Vec<u8>>),
        (Value::Integer(i), PgType::Int8) => Box::new(i),
        (Value::Integer(i), PgType::Int4) => Box::new(i32::try_from(i).ok()?),
        (Value::Integer(i), PgType::Float8) => Box::new(i as f64),
        (Value::Real(f), PgType::Float8) => Box::new(f),
        (Value::Text(t), PgType::Text) => Box::new(t),
        (Value::Blob(b), PgType::Bytea) => Box::new(b),
        _ => return None,
    })
}

/// A value as the row hash sees it: the same bytes whichever side it was read from.
fn feed(h: &mut sha2::Sha256, v: &Value) {
    use sha2::Digest;
    match v {
        Value::Null => h.update([0]),
        Value::Integer(i) => {
            h.update([1]);
            h.update(i.to_le_bytes());
        }
        Value::Real(f) => {
            h.update([2]);
            h.update(f.to_bits().to_le_bytes());
        }
        Value::Text(t) => {
            h.update([3]);
            h.update((t.len() as u64).to_le_bytes());
            h.update(t.as_bytes());
        }
        Value::Blob(b) => {
            h.update([4]);
            h.update((b.len() as u64).to_le_bytes());
            h.update(b);
        }
    }
}

fn hex(h: sha2::Sha256) -> String {
    use sha2::Digest;
    hex::encode(h.finalize())
}

/// Rows in key order. Text keys sort by their bytes on both sides (SQLite's BINARY is
/// PostgreSQL's "C" collation), so the two orders agree.
fn key_order(p: &Plan, postgres: bool) -> String {
    p.key
        .iter()
        .map(|k| {
            let text = p.columns.iter().any(|(n, t)| n == k && *t == PgType::Text);
            if postgres && text {
                format!("{k} COLLATE \"C\"")
            } else {
                k.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

async fn hash_sqlite(lite: &Lite, p: &Plan) -> Result<(u64, String), CopyError> {
    use sha2::Digest;
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {}",
        select_list(p),
        p.table,
        key_order(p, false)
    );
    struct Hash(sha2::Sha256, u64);
    impl AsyncBatch for &mut Hash {
        async fn batch(&mut self, rows: Vec<Vec<Value>>) -> Result<(), CopyError> {
            for row in &rows {
                for v in row {
                    feed(&mut self.0, v);
                }
                self.1 += 1;
            }
            Ok(())
        }
    }
    let mut h = Hash(sha2::Sha256::new(), 0);
    stream_sqlite(lite, sql, p.columns.len(), &mut h).await?;
    Ok((h.1, hex(h.0)))
}

async fn hash_postgres(
    tx: &tokio_postgres::Transaction<'_>,
    p: &Plan,
) -> Result<(u64, String), CopyError> {
    use futures::TryStreamExt;
    use sha2::Digest;
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {}",
        select_list(p),
        p.table,
        key_order(p, true)
    );
    let none: [&(dyn tokio_postgres::types::ToSql + Sync); 0] = [];
    let rows = tx.query_raw(&sql, none).await?;
    futures::pin_mut!(rows);
    let mut h = sha2::Sha256::new();
    let mut n = 0u64;
    while let Some(row) = rows.try_next().await? {
        for (i, (_, ty)) in p.columns.iter().enumerate() {
            let v = match ty {
                PgType::Int8 => row.get::<_, Option<i64>>(i).map(Value::Integer),
                PgType::Int4 => row
                    .get::<_, Option<i32>>(i)
                    .map(|x| Value::Integer(x.into())),
                PgType::Float8 => row.get::<_, Option<f64>>(i).map(Value::Real),
                PgType::Text => row.get::<_, Option<String>>(i).map(Value::Text),
                PgType::Bytea => row.get::<_, Option<Vec<u8>>>(i).map(Value::Blob),
            };
            feed(&mut h, &v.unwrap_or(Value::Null));
        }
        n += 1;
    }
    Ok((n, hex(h)))
}
