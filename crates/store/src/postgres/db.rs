//! Binding and decoding for the PostgreSQL store, shaped like the SQLite engine's helpers
//! (`exec`, `rows`, `row`, `scalar`, `at`, `get`) so that a query reads the same in both.
//!
//! SQLite types values, PostgreSQL types columns. The shared SQL is written once, so a
//! value is bound as an [`Arg`] (integer, text, bytes, ...), the statement is prepared
//! with each placeholder typed by its value's kind (`bigint`, `text`, ...), and the value
//! is encoded as the type the server settled on (a flag bound as `bool` is an integer 0/1,
//! as the schema keeps flags). Columns are
//! read the other way: whatever the server sends (`int4`, `int8`, `bool`, `numeric` from a
//! `SUM`, ...) becomes a [`Val`] and then the Rust type the decoder asks for, as rusqlite's
//! `FromSql` does.

use super::backend;
use crate::sql::Arg;
use bytes::BytesMut;
use roost_core::store::{StoreError, StoreResult};
use roost_core::Id;
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type};
use tokio_postgres::Row;

/// A connection or a transaction.
pub(crate) use deadpool_postgres::GenericClient as Db;

type BoxError = Box<dyn std::error::Error + Sync + Send>;

/// What may be bound to a placeholder: the Rust values the queries pass.
pub(crate) trait Bind: Sync {
    fn arg(&self) -> Arg;
}

/// What `None` of an `Option` of this type binds as: a NULL of the type's kind, so that
/// the server can type a placeholder that is NULL (`$1 IS NULL OR state = $1`).
pub(crate) trait NullOf {
    fn null_arg() -> Arg;
}

impl<T: NullOf + ?Sized> NullOf for &T {
    fn null_arg() -> Arg {
        T::null_arg()
    }
}
macro_rules! null_of {
    ($arg:expr; $($t:ty),*) => {$(
        impl NullOf for $t {
            fn null_arg() -> Arg {
                $arg
            }
        }
    )*};
}
null_of!(Arg::OptInt(None); i64, i32, i16, u32, u16, u8, usize, u64, bool, Id);
null_of!(Arg::NullText; str, String);
null_of!(Arg::Null; [u8], Vec<u8>, f64, f32, Arg);

macro_rules! bind_int {
    ($($t:ty),*) => {$(
        impl Bind for $t {
            fn arg(&self) -> Arg {
                Arg::Int(*self as i64)
            }
        }
    )*};
}
bind_int!(i64, i32, i16, u32, u16, u8, usize, u64);

impl Bind for bool {
    fn arg(&self) -> Arg {
        Arg::Int(i64::from(*self))
    }
}
impl Bind for f64 {
    fn arg(&self) -> Arg {
        Arg::Float(*self)
    }
}
impl Bind for f32 {
    fn arg(&self) -> Arg {
        Arg::Float(f64::from(*self))
    }
}
impl Bind for str {
    fn arg(&self) -> Arg {
        Arg::Text(self.to_owned())
    }
}
impl Bind for String {
    fn arg(&self) -> Arg {
        Arg::Text(self.clone())
    }
}
impl Bind for [u8] {
    fn arg(&self) -> Arg {
        Arg::Bytes(self.to_vec())
    }
}
impl Bind for Vec<u8> {
    fn arg(&self) -> Arg {
        Arg::Bytes(self.clone())
    }
}
impl<const N: usize> Bind for [u8; N] {
    fn arg(&self) -> Arg {
        Arg::Bytes(self.to_vec())
    }
}
impl Bind for Id {
    fn arg(&self) -> Arg {
        Arg::Int(self.0)
    }
}
impl Bind for Arg {
    fn arg(&self) -> Arg {
        self.clone()
    }
}
impl<T: Bind + NullOf> Bind for Option<T> {
    fn arg(&self) -> Arg {
        match self {
            Some(v) => v.arg(),
            None => T::null_arg(),
        }
    }
}
impl<T: Bind + ?Sized> Bind for &T {
    fn arg(&self) -> Arg {
        (**self).arg()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot bind {0} to a parameter of type {1}")]
struct Mismatch(&'static str, String);

impl ToSql for Arg {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        match self {
            Arg::Null | Arg::NullText | Arg::OptInt(None) => Ok(IsNull::Yes),
            Arg::Int(v) | Arg::OptInt(Some(v)) => match *ty {
                Type::INT8 => v.to_sql(ty, out),
                Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
                Type::BOOL => (*v != 0).to_sql(ty, out),
                Type::FLOAT8 => (*v as f64).to_sql(ty, out),
                Type::FLOAT4 => (*v as f32).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                    v.to_string().as_str().to_sql(ty, out)
                }
                _ => Err(Box::new(Mismatch("an integer", ty.to_string()))),
            },
            Arg::Float(v) => match *ty {
                Type::FLOAT8 => v.to_sql(ty, out),
                Type::FLOAT4 => (*v as f32).to_sql(ty, out),
                _ => Err(Box::new(Mismatch("a float", ty.to_string()))),
            },
            Arg::Text(v) => match *ty {
                Type::BYTEA => v.as_bytes().to_sql(ty, out),
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                    v.as_str().to_sql(ty, out)
                }
                _ => Err(Box::new(Mismatch("text", ty.to_string()))),
            },
            Arg::Bytes(v) => match *ty {
                Type::BYTEA => v.as_slice().to_sql(ty, out),
                _ => Err(Box::new(Mismatch("bytes", ty.to_string()))),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    tokio_postgres::types::to_sql_checked!();
}

/// A column's value as the server sent it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
    Bytes(Vec<u8>),
}

impl<'a> FromSql<'a> for Val {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Val, BoxError> {
        Ok(match *ty {
            Type::INT8 => Val::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => Val::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => Val::Int(i16::from_sql(ty, raw)?.into()),
            Type::BOOL => Val::Bool(bool::from_sql(ty, raw)?),
            Type::FLOAT8 => Val::Float(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Val::Float(f32::from_sql(ty, raw)?.into()),
            Type::BYTEA => Val::Bytes(raw.to_vec()),
            Type::NUMERIC => numeric(raw)?,
            _ => Val::Text(std::str::from_utf8(raw)?.to_owned()),
        })
    }

    fn from_sql_null(_: &Type) -> Result<Val, BoxError> {
        Ok(Val::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// A `numeric` in the binary format (what `SUM` of a `bigint` gives): digits in base
/// 10000 with a weight. Hand-written because the driver decodes `numeric` only with a
/// decimal crate, and roost's sums are whole counts.
fn numeric(raw: &[u8]) -> Result<Val, BoxError> {
    let word = |i: usize| -> Result<i16, BoxError> {
        let b = raw.get(i..i + 2).ok_or("short numeric")?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    };
    let ndigits = word(0)? as usize;
    let weight = word(2)? as i32;
    let sign = word(4)? as u16;
    if sign == 0xC000 {
        return Ok(Val::Float(f64::NAN));
    }
    let negative = sign == 0x4000;
    if ndigits as i32 <= weight + 1 {
        // Whole (roost's sums are counts): exact, in integers.
        let mut v: i128 = 0;
        for i in 0..=weight.max(-1) {
            let d = if (i as usize) < ndigits {
                i128::from(word(8 + 2 * i as usize)?)
            } else {
                0
            };
            v = v * 10000 + d;
        }
        let v = if negative { -v } else { v };
        return Ok(i64::try_from(v).map_or(Val::Float(v as f64), Val::Int));
    }
    let mut v = 0f64;
    for i in 0..ndigits {
        let d = f64::from(word(8 + 2 * i)?);
        v += d * 10000f64.powi(weight - i as i32);
    }
    Ok(Val::Float(if negative { -v } else { v }))
}

/// The Rust types a column decodes into, with SQLite's conversions (integer 0/1 to
/// `bool`, range-checked integer narrowing).
pub(crate) trait FromVal: Sized {
    fn from_val(v: Val) -> Result<Self, String>;
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl FromVal for $t {
            fn from_val(v: Val) -> Result<$t, String> {
                match v {
                    Val::Int(i) => <$t>::try_from(i).map_err(|_| format!("{i} out of range")),
                    Val::Bool(b) => Ok(<$t>::from(b)),
                    other => Err(format!("expected an integer, got {other:?}")),
                }
            }
        }
    )*};
}
from_int!(i64, i32, i16, u64, u32, u16, u8, usize);

impl FromVal for bool {
    fn from_val(v: Val) -> Result<bool, String> {
        match v {
            Val::Bool(b) => Ok(b),
            Val::Int(i) => Ok(i != 0),
            other => Err(format!("expected a flag, got {other:?}")),
        }
    }
}
impl FromVal for f64 {
    fn from_val(v: Val) -> Result<f64, String> {
        match v {
            Val::Float(f) => Ok(f),
            Val::Int(i) => Ok(i as f64),
            other => Err(format!("expected a number, got {other:?}")),
        }
    }
}
impl FromVal for f32 {
    fn from_val(v: Val) -> Result<f32, String> {
        f64::from_val(v).map(|f| f as f32)
    }
}
impl FromVal for String {
    fn from_val(v: Val) -> Result<String, String> {
        match v {
            Val::Text(s) => Ok(s),
            Val::Int(i) => Ok(i.to_string()),
            other => Err(format!("expected text, got {other:?}")),
        }
    }
}
impl FromVal for Vec<u8> {
    fn from_val(v: Val) -> Result<Vec<u8>, String> {
        match v {
            Val::Bytes(b) => Ok(b),
            Val::Text(s) => Ok(s.into_bytes()),
            other => Err(format!("expected bytes, got {other:?}")),
        }
    }
}
impl<T: FromVal> FromVal for Option<T> {
    fn from_val(v: Val) -> Result<Option<T>, String> {
        match v {
            Val::Null => Ok(None),
            v => T::from_val(v).map(Some),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("column {0}: {1}")]
struct BadColumn(String, String);

fn decode<T: FromVal, I: tokio_postgres::row::RowIndex + std::fmt::Display>(
    row: &Row,
    i: I,
) -> StoreResult<T> {
    let v: Val = row.try_get(&i).map_err(backend)?;
    T::from_val(v).map_err(|e| backend(BadColumn(i.to_string(), e)))
}

/// Decodes a column by position.
pub(crate) fn at<T: FromVal>(row: &Row, i: usize) -> StoreResult<T> {
    decode(row, i)
}

/// Decodes a column by name.
pub(crate) fn get<T: FromVal>(row: &Row, col: &str) -> StoreResult<T> {
    decode(row, col)
}

fn bound(args: &[&dyn Bind]) -> Vec<Arg> {
    args.iter().map(|a| a.arg()).collect()
}

fn refs(args: &[Arg]) -> Vec<&(dyn ToSql + Sync)> {
    args.iter().map(|a| a as &(dyn ToSql + Sync)).collect()
}

/// The parameter types a statement is prepared with: each value's own kind (a placeholder
/// the server cannot type from its context alone, as in `INSERT ... SELECT $1, $2` or
/// `$3 IS NULL`, then still has one; an integer binds to `INTEGER` and `BIGINT` columns
/// alike by PostgreSQL's implicit casts), an untyped NULL left to the server (OID 0).
fn types(args: &[Arg]) -> Vec<Type> {
    args.iter()
        .map(|a| match a {
            Arg::Int(_) | Arg::OptInt(_) => Type::INT8,
            Arg::Float(_) => Type::FLOAT8,
            Arg::Text(_) | Arg::NullText => Type::TEXT,
            Arg::Bytes(_) => Type::BYTEA,
            Arg::Null => unspecified(),
        })
        .collect()
}

fn unspecified() -> Type {
    static T: std::sync::OnceLock<Type> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        Type::new(
            "unspecified".into(),
            0,
            tokio_postgres::types::Kind::Pseudo,
            "pg_catalog".into(),
        )
    })
    .clone()
}

/// Statements with at most this many placeholders stay prepared on their connection.
/// Longer ones are ID lists (`IN ($1, ..., $n)`), whose every length would be a statement
/// of its own in a cache that never forgets; they are prepared for the one use.
const CACHED_ARGS: usize = 24;

async fn prepare(
    c: &impl Db,
    sql: &str,
    args: &[Arg],
) -> Result<tokio_postgres::Statement, tokio_postgres::Error> {
    if args.len() <= CACHED_ARGS {
        c.prepare_typed_cached(sql, &types(args)).await
    } else {
        c.prepare_typed(sql, &types(args)).await
    }
}

/// Runs a statement already bound; the number of rows changed.
pub(crate) async fn exec_args(
    c: &impl Db,
    sql: &str,
    args: &[Arg],
) -> Result<usize, tokio_postgres::Error> {
    let st = prepare(c, sql, args).await?;
    let n = c.execute(&st, &refs(args)).await?;
    Ok(n as usize)
}

/// Every row of a statement already bound.
pub(crate) async fn query_args(
    c: &impl Db,
    sql: &str,
    args: &[Arg],
) -> Result<Vec<Row>, tokio_postgres::Error> {
    let st = prepare(c, sql, args).await?;
    c.query(&st, &refs(args)).await
}

/// Runs a statement that returns no rows; the number of rows changed.
pub(crate) async fn exec(
    c: &impl Db,
    sql: &str,
    args: &[&dyn Bind],
) -> Result<usize, tokio_postgres::Error> {
    let args = bound(args);
    exec_args(c, sql, &args).await
}

/// Every row, decoded by `f`.
pub(crate) async fn rows<T>(
    c: &impl Db,
    sql: &str,
    args: &[&dyn Bind],
    f: impl FnMut(&Row) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let args = bound(args);
    let rs = query_args(c, sql, &args).await.map_err(backend)?;
    rs.iter().map(f).collect()
}

/// The first row, if any, decoded by `f`.
pub(crate) async fn row<T>(
    c: &impl Db,
    sql: &str,
    args: &[&dyn Bind],
    f: impl FnOnce(&Row) -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    let args = bound(args);
    let rs = query_args(c, sql, &args).await.map_err(backend)?;
    rs.first().map(f).transpose()
}

/// The first column of the first row, if there is a row.
pub(crate) async fn scalar<T: FromVal>(
    c: &impl Db,
    sql: &str,
    args: &[&dyn Bind],
) -> StoreResult<Option<T>> {
    row(c, sql, args, |r| at::<T>(r, 0)).await
}

/// The SQL builder's statements, run on PostgreSQL (an inherent impl beside the SQLite
/// one in `sql.rs`).
impl crate::sql::Sql {
    /// Every row, decoded by `f`.
    pub(crate) async fn fetch<T>(
        &self,
        c: &impl Db,
        f: impl FnMut(&Row) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        let rs = query_args(c, &self.text, self.args())
            .await
            .map_err(backend)?;
        rs.iter().map(f).collect()
    }

    /// Runs a statement that returns no rows; the number of rows changed.
    pub(crate) async fn run(&self, c: &impl Db) -> Result<usize, tokio_postgres::Error> {
        exec_args(c, &self.text, self.args()).await
    }
}

/// Runs a list query once per chunk of `ids` (bound lists stay short); `build` writes the
/// query for one chunk, `IN` list included.
pub(crate) async fn per_chunk<T>(
    c: &impl Db,
    ids: &[Id],
    build: impl Fn(&[Id]) -> crate::sql::Sql,
    mut decode: impl FnMut(&Row) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(crate::sql::ID_CHUNK) {
        out.extend(build(chunk).fetch(c, &mut decode).await?);
    }
    Ok(out)
}

/// A write's failure: a unique violation becomes `Conflict(conflict)`, a foreign-key
/// violation `Missing(missing)`, anything else a backend failure (as the SQLite store's
/// `write_err`).
pub(crate) fn write_err(
    e: tokio_postgres::Error,
    conflict: &'static str,
    missing: &'static str,
) -> StoreError {
    use tokio_postgres::error::SqlState;
    match e.code() {
        Some(c) if *c == SqlState::UNIQUE_VIOLATION => StoreError::Conflict(conflict),
        Some(c) if *c == SqlState::FOREIGN_KEY_VIOLATION => StoreError::Missing(missing),
        _ => backend(e),
    }
}

/// A column named `id`, as an ID.
pub(crate) fn id_of(r: &Row) -> StoreResult<Id> {
    get::<i64>(r, "id").map(Id)
}

/// A row of a cursored list: columns `cursor` and `item`.
pub(crate) fn cursored_of(r: &Row) -> StoreResult<roost_core::model::Cursored<Id>> {
    Ok(roost_core::model::Cursored {
        cursor: Id(get(r, "cursor")?),
        item: Id(get(r, "item")?),
    })
}

/// A row the statement must have returned was not there.
pub(crate) fn no_row() -> StoreError {
    super::corrupt("a row the statement must return is missing")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A connection to the local test server, or `None` (outside CI) when there is none.
    async fn server() -> Option<tokio_postgres::Client> {
        let url = std::env::var("ROOST_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        match tokio_postgres::connect(&url, tokio_postgres::NoTls).await {
            Ok((c, conn)) => {
                tokio::spawn(conn);
                Some(c)
            }
            Err(e) if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0") => {
                panic!("CI is set and there is no PostgreSQL at {url}: {e}")
            }
            Err(_) => {
                println!("SKIPPED: no PostgreSQL at {url}");
                None
            }
        }
    }

    async fn one(c: &tokio_postgres::Client, sql: &str) -> Val {
        c.query_one(sql, &[]).await.unwrap().get::<_, Val>(0)
    }

    #[tokio::test]
    async fn numerics_flags_and_nulls_decode_as_sqlite_gives_them() {
        let Some(c) = server().await else { return };
        assert_eq!(
            one(
                &c,
                "SELECT SUM(x) FROM (VALUES (9007199254740993::bigint), (7)) t(x)"
            )
            .await,
            Val::Int(9_007_199_254_741_000)
        );
        assert_eq!(
            one(&c, "SELECT -123456789012::numeric").await,
            Val::Int(-123_456_789_012)
        );
        assert_eq!(one(&c, "SELECT 0::numeric").await, Val::Int(0));
        assert_eq!(one(&c, "SELECT 2.5::numeric").await, Val::Float(2.5));
        assert_eq!(
            one(
                &c,
                "SELECT SUM(x) FROM (VALUES (1::bigint)) t(x) WHERE false"
            )
            .await,
            Val::Null
        );
        assert!(bool::from_val(one(&c, "SELECT 1::int4").await).unwrap());
        assert_eq!(u32::from_val(one(&c, "SELECT 7::int8").await), Ok(7));
        assert!(u32::from_val(one(&c, "SELECT (-1)::int8").await).is_err());
        assert_eq!(i64::from_val(one(&c, "SELECT true").await), Ok(1));
        assert_eq!(
            Option::<String>::from_val(one(&c, "SELECT NULL::text").await),
            Ok(None)
        );
    }

    #[tokio::test]
    async fn values_bind_to_the_inferred_column_types() {
        let Some(c) = server().await else { return };
        c.batch_execute(
            "CREATE TEMP TABLE t (i INTEGER, b BIGINT, s TEXT, f DOUBLE PRECISION, y BYTEA)",
        )
        .await
        .unwrap();
        let args = bound(&[&true, &(1i64 << 40), &"x", &0.5f64, &[1u8, 2].as_slice()]);
        let st = c
            .prepare_typed("INSERT INTO t VALUES ($1, $2, $3, $4, $5)", &types(&args))
            .await
            .unwrap();
        c.execute(&st, &refs(&args)).await.unwrap();
        // A NULL of a known kind lets the server type `$1 IS NULL`.
        let none: Option<&str> = None;
        let args = bound(&[&none]);
        let st = c
            .prepare_typed(
                "SELECT i, b FROM t WHERE $1 IS NULL OR s = $1",
                &types(&args),
            )
            .await
            .unwrap();
        let r = c.query_one(&st, &refs(&args)).await.unwrap();
        assert_eq!(r.get::<_, Val>(0), Val::Int(1));
        assert_eq!(r.get::<_, Val>(1), Val::Int(1 << 40));
        // An integer too large for an INTEGER column is refused, not truncated.
        let args = bound(&[&(1i64 << 40)]);
        let st = c.prepare("UPDATE t SET i = $1").await.unwrap();
        assert!(c.execute(&st, &refs(&args)).await.is_err());
    }
}
