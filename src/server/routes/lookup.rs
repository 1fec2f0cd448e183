//! `GET /lookup` (one point, the full chain) and `POST /lookup` (a batch, streamed).
//!
//! The batch body is first read whole, on a blocking thread through a synchronous bridge, into
//! a spooled temporary file ([`SPOOL_IN_MEMORY`] bytes in memory, the rest on disk). Only then
//! is it parsed: every [`CHUNK`] points go through the engine's [`base_batch`] and the rendered
//! answers are sent to the response body through a small bounded channel. Reading everything
//! first matters: many clients (python-requests, curl without `Expect`) write the whole body
//! before they read any of the answer, and a server that starts answering while still reading
//! stops reading when the unread answer fills the socket — both sides then wait for ever.
//! Memory stays bounded by the spool's in-memory part, one chunk of input, one of output and the
//! channel's few chunks, whatever the number of points.

use super::super::auth::Caller;
use super::super::error::{ApiError, ApiResult};
use super::super::extract::{check_position, Params};
use super::super::state::SharedState;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::NaiveDate;
use futures_util::StreamExt;
use geo::{Coord, Point};
use serde::de::{DeserializeSeed, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Seek};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc;
use wangge_engine::datum::{InputCrs, INVERSE_ERROR_BOUND_M};
use wangge_engine::lookup::{base_batch, lookup, Lookup};
use wangge_engine::measure::distance_to_boundary_m;

/// Points per call of the engine's batch lookup.
pub const CHUNK: usize = 65_536;

fn crs_param(p: &Params) -> ApiResult<InputCrs> {
    match p.str("crs") {
        None => Ok(InputCrs::Wgs84),
        Some(s) => InputCrs::parse(s).ok_or_else(|| {
            ApiError::field(
                "crs",
                format!("unknown CRS \"{s}\" (use {})", InputCrs::NAMES),
            )
        }),
    }
}

/// How far from a boundary the converted point may really lie, in metres.
/// - WGS84 input is not converted: 0.
/// - CGCS2000 is taken as WGS84; the frames differ by a few centimetres: 0.05 m.
/// - GCJ-02/BD-09 are inverted iteratively to [`INVERSE_ERROR_BOUND_M`], but the published
///   forward formula itself only reproduces the official obfuscation to about a metre, so the
///   honest bound is 1 m.
pub fn uncertainty_m(crs: InputCrs) -> f64 {
    match crs {
        InputCrs::Wgs84 => 0.0,
        InputCrs::Cgcs2000 => 0.05,
        InputCrs::Gcj02 | InputCrs::Bd09 => INVERSE_ERROR_BOUND_M.max(1.0),
    }
}

#[derive(Debug, Serialize)]
pub struct LookupAnswer {
    #[serde(flatten)]
    pub lookup: Lookup,
    /// The position looked up, in WGS84/CGCS2000 (after datum conversion).
    pub position: [f64; 2],
    pub crs: &'static str,
    /// Distance from the position to its base grid's boundary (or the nearest grid).
    pub boundary_distance_m: Option<f64>,
    pub uncertainty_m: f64,
    /// The position is within the datum conversion's error of a grid boundary: the true point
    /// may lie in the neighbouring grid.
    pub uncertain: bool,
}

fn crs_name(c: InputCrs) -> &'static str {
    match c {
        InputCrs::Wgs84 => "wgs84",
        InputCrs::Cgcs2000 => "cgcs2000",
        InputCrs::Gcj02 => "gcj02",
        InputCrs::Bd09 => "bd09",
    }
}

#[utoipa::path(get, path = "/api/v1/lookup", tag = "lookup",
    params(
        ("lon" = f64, Query, minimum = -180, maximum = 180), ("lat" = f64, Query, minimum = -90, maximum = 90),
        ("crs" = Option<super::super::schemas::CrsName>, Query, description = "wgs84 (default), cgcs2000, gcj02 or bd09"),
        ("as_of" = Option<chrono::NaiveDate>, Query, description = "YYYY-MM-DD: the grids valid that day"),
    ),
    responses((status = 200, description = "The base grid, its micro/special grid, composites and admin chain; `uncertain` near boundaries", body = super::super::schemas::LookupAnswer),
        (status = 400, description = "Bad parameter", body = super::super::error::Problem)))]
pub async fn one(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Json<LookupAnswer>> {
    caller.require_read(&state)?;
    state.ensure_ready()?;
    let lon: f64 = params.required("lon", "a number")?;
    let lat: f64 = params.required("lat", "a number")?;
    let crs = crs_param(&params)?;
    let as_of = params.date("as_of")?;
    // Checked one at a time so that the error names the parameter that is out of range.
    check_position("lon", lon, 0.0)?;
    check_position("lat", 0.0, lat)?;
    let input = Coord { x: lon, y: lat };
    let p = crs.to_wgs84(input);
    let d = state.district();
    let result = lookup(&d, p, as_of);
    let distance = match &result.base {
        Some(b) => d
            .grid(&b.id.as_str().into(), as_of)
            .and_then(|g| distance_to_boundary_m(&g.geometry, Point(p))),
        None => result.nearest.as_ref().map(|n| n.distance_m),
    };
    let bound = uncertainty_m(crs);
    Ok(Json(LookupAnswer {
        uncertain: bound > 0.0 && distance.is_some_and(|x| x <= bound),
        boundary_distance_m: distance,
        uncertainty_m: bound,
        position: [p.x, p.y],
        crs: crs_name(crs),
        lookup: result,
    }))
}

// ----- batch -----

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// JSON array of {id?, lon, lat} or a FeatureCollection of points → NDJSON.
    Json,
    /// CSV with a header → CSV.
    Csv,
}

type Sender = mpsc::Sender<Result<Bytes, ApiError>>;

#[utoipa::path(post, path = "/api/v1/lookup", tag = "lookup",
    params(
        ("crs" = Option<super::super::schemas::CrsName>, Query, description = "wgs84 (default), cgcs2000, gcj02 or bd09"),
        ("as_of" = Option<chrono::NaiveDate>, Query, description = "YYYY-MM-DD: the grids valid that day"),
        ("lon_field" = Option<String>, Query, description = "CSV longitude column (default lon)"),
        ("lat_field" = Option<String>, Query, description = "CSV latitude column (default lat)"),
    ),
    request_body(description = "JSON array [{id?, lon, lat}], a GeoJSON FeatureCollection of points, or CSV with lon/lat columns",
        content((super::super::schemas::LookupBatchJson = "application/json"), (super::super::schemas::LookupBatchJson = "application/geo+json"), (String = "text/csv"))),
    responses((status = 200, description = "Streamed: NDJSON (one {index,id,grid_id,grid_code,on_boundary[,error]} per point) for JSON input, CSV (input columns + grid_id,grid_code,on_boundary,error) for CSV input",
            content((String = "application/x-ndjson"), (String = "text/csv"))),
        (status = 400, description = "Bad input", body = super::super::error::Problem),
        (status = 413, description = "Body over --max-body-bytes", body = super::super::error::Problem),
        (status = 415, description = "Unsupported Content-Type", body = super::super::error::Problem)))]
pub async fn batch(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    caller.require_read(&state)?;
    state.ensure_ready()?;
    let crs = crs_param(&params)?;
    let as_of = params.date("as_of")?;
    let lon_field = params.str("lon_field").unwrap_or("lon").to_string();
    let lat_field = params.str("lat_field").unwrap_or("lat").to_string();
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let kind = match ct.as_str() {
        "application/json" | "application/geo+json" => Kind::Json,
        "text/csv" => Kind::Csv,
        "" => {
            return Err(ApiError::unsupported_media(
                "send application/json, application/geo+json or text/csv",
            ))
        }
        other => {
            return Err(ApiError::unsupported_media(format!(
                "Content-Type {other} is not accepted; send application/json, application/geo+json or text/csv"
            )))
        }
    };
    let limit = state.config.max_body_bytes;
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
    {
        if len > limit {
            return Err(ApiError::too_large(limit));
        }
    }
    // Count bytes as they arrive: a chunked body has no Content-Length to check up front.
    let too_large = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(AtomicUsize::new(0));
    let flag = too_large.clone();
    let (tx, mut rx) = mpsc::channel::<Result<Bytes, ApiError>>(4);
    // When this handler is dropped (the client went away, or --request-timeout answered for
    // it), the receiver is gone: stop reading, so that the blocking thread ends and the
    // connection is released instead of waiting for a body that may never come.
    let gone = tx.clone();
    let stream = body
        .into_data_stream()
        .take_until(Box::pin(async move { gone.closed().await }))
        .map(move |r| {
            let b = r.map_err(std::io::Error::other)?;
            if seen.fetch_add(b.len(), Ordering::Relaxed) + b.len() > limit {
                flag.store(true, Ordering::Relaxed);
                return Err(std::io::Error::other("request body over the limit"));
            }
            Ok(b)
        });
    let reader = tokio_util::io::SyncIoBridge::new(tokio_util::io::StreamReader::new(stream));
    let st = state.clone();
    tokio::task::spawn_blocking(move || {
        let mut out = Out {
            state: st,
            tx: tx.clone(),
            crs,
            as_of,
            kind,
            pending: Vec::with_capacity(CHUNK),
            index: 0,
            sent_any: false,
        };
        let result = spool(reader, &tx)
            .and_then(|body| {
                let reader = BufReader::with_capacity(256 * 1024, body);
                match kind {
                    Kind::Json => read_json(reader, &mut out),
                    Kind::Csv => read_csv(reader, &mut out, &lon_field, &lat_field),
                }
            })
            .and_then(|()| out.flush());
        if let Err(mut e) = result {
            if too_large.load(Ordering::Relaxed) {
                e = ApiError::too_large(limit);
            }
            if out.sent_any && kind == Kind::Json {
                // The 200 is already on its way: say why the stream stops, then break it so
                // that no client mistakes a truncated answer for a complete one.
                let line = serde_json::json!({ "error": e.to_problem() }).to_string() + "\n";
                let _ = tx.blocking_send(Ok(Bytes::from(line)));
            }
            let _ = tx.blocking_send(Err(e));
        }
    });
    // The status is decided by the first chunk: bad input found before any answer is a 4xx.
    let first = match rx.recv().await {
        None => return Err(ApiError::internal("batch lookup ended without an answer")),
        Some(Err(e)) => return Err(e),
        Some(Ok(b)) => b,
    };
    let rest = tokio_stream::wrappers::ReceiverStream::new(rx).map(|r| {
        r.map_err(|e| {
            tracing::warn!(error = %e, "batch lookup stopped mid-stream");
            std::io::Error::other(e.detail.clone())
        })
    });
    let stream =
        futures_util::stream::once(async move { Ok::<_, std::io::Error>(first) }).chain(rest);
    let media = match kind {
        Kind::Json => "application/x-ndjson",
        Kind::Csv => "text/csv; charset=utf-8",
    };
    let mut resp = Body::from_stream(stream).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    Ok(resp)
}

/// Bytes of a batch body kept in memory while it is read; the rest goes to a temporary file.
pub const SPOOL_IN_MEMORY: usize = 8 * 1024 * 1024;

/// Reads the whole body before anything is answered (see the module comment), into memory up
/// to [`SPOOL_IN_MEMORY`] and a temporary file beyond; returns it rewound.
fn spool(mut body: impl Read, tx: &Sender) -> ApiResult<tempfile::SpooledTempFile> {
    let mut file = tempfile::SpooledTempFile::new(SPOOL_IN_MEMORY);
    std::io::copy(&mut body, &mut file)
        .map_err(|e| ApiError::field("body", format!("could not read the body: {e}")))?;
    drop(body);
    if tx.is_closed() {
        // The body stream was cut short because nobody waits for the answer any more.
        return Err(ApiError::internal(
            "the client went away during a batch lookup",
        ));
    }
    file.seek(std::io::SeekFrom::Start(0))
        .map_err(|e| ApiError::internal(format!("cannot rewind the spooled batch body: {e}")))?;
    Ok(file)
}

/// One input point: its id (JSON) or its CSV record, and its position or why it has none.
struct Pending {
    id: Option<String>,
    record: Option<csv::StringRecord>,
    position: Result<Coord<f64>, PointError>,
}

/// Why one point of a batch has no position: answered in that point's row, the batch goes on.
#[derive(Debug, thiserror::Error)]
enum PointError {
    #[error("the feature has no geometry")]
    NoGeometry,
    #[error("geometry type {0} is not a Point")]
    NotAPoint(String),
    #[error("a Point needs [lon, lat] numbers")]
    NotLonLat,
    #[error("{what} \"{given}\" is not a number")]
    NotANumber {
        what: &'static str,
        given: String,
        #[source]
        source: std::num::ParseFloatError,
    },
    /// Out of range (the position's own message).
    #[error("{0}")]
    Position(#[source] crate::io::InputError),
    /// Out of range, in a GeoJSON feature's coordinates.
    #[error("coordinates: {0}")]
    Coordinates(#[source] crate::io::InputError),
}

/// `[lon, lat]`, in range.
fn in_range(lon: f64, lat: f64) -> Result<Coord<f64>, crate::io::InputError> {
    crate::io::features::position(&geojson::Position::from(vec![lon, lat]))
}

/// Collects points and answers them a chunk at a time.
struct Out {
    state: SharedState,
    tx: Sender,
    crs: InputCrs,
    as_of: Option<NaiveDate>,
    kind: Kind,
    pending: Vec<Pending>,
    index: usize,
    sent_any: bool,
}

impl Out {
    fn push(&mut self, p: Pending) -> ApiResult<()> {
        self.pending.push(p);
        if self.pending.len() >= CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    fn send(&mut self, b: Vec<u8>) -> ApiResult<()> {
        self.sent_any = true;
        self.tx
            .blocking_send(Ok(Bytes::from(b)))
            .map_err(|_| ApiError::internal("the client went away during a batch lookup"))
    }

    /// Answers the pending points; always sends (possibly empty) output so the first message
    /// decides the status.
    fn flush(&mut self) -> ApiResult<()> {
        let batch = std::mem::take(&mut self.pending);
        let coords: Vec<Coord<f64>> = batch
            .iter()
            .map(|p| match &p.position {
                Ok(c) => self.crs.to_wgs84(*c),
                // An invalid point is answered with its error; NaN finds no grid.
                Err(_) => Coord {
                    x: f64::NAN,
                    y: f64::NAN,
                },
            })
            .collect();
        let mut buf = Vec::with_capacity(batch.len() * 80);
        {
            let d = self.state.district();
            let hits = base_batch(&d, &coords, self.as_of);
            match self.kind {
                Kind::Json => {
                    for (p, hit) in batch.iter().zip(&hits) {
                        let g = hit.slot.map(|s| d.slot(s));
                        let mut line = serde_json::json!({
                            "index": self.index,
                            "id": p.id,
                            "grid_id": g.map(|g| g.id.0.as_str()),
                            "grid_code": g.map(|g| g.code.as_str()),
                            "on_boundary": hit.on_boundary,
                        });
                        if let Err(e) = &p.position {
                            line["error"] = e.to_string().into();
                        }
                        // Writing to a Vec cannot fail.
                        let _ = serde_json::to_writer(&mut buf, &line);
                        buf.push(b'\n');
                        self.index += 1;
                    }
                }
                Kind::Csv => {
                    let mut w = csv::WriterBuilder::new()
                        .has_headers(false)
                        .from_writer(&mut buf);
                    for (p, hit) in batch.iter().zip(&hits) {
                        let g = hit.slot.map(|s| d.slot(s));
                        let mut rec = p.record.clone().unwrap_or_default();
                        rec.push_field(g.map_or("", |g| g.id.0.as_str()));
                        rec.push_field(g.map_or("", |g| g.code.as_str()));
                        rec.push_field(if hit.on_boundary { "true" } else { "false" });
                        let error = p.position.as_ref().err().map(ToString::to_string);
                        rec.push_field(error.as_deref().unwrap_or(""));
                        w.write_record(&rec)
                            .map_err(|e| ApiError::internal(format!("csv output: {e}")))?;
                        self.index += 1;
                    }
                    w.flush()
                        .map_err(|e| ApiError::internal(format!("csv output: {e}")))?;
                }
            }
        }
        self.send(buf)
    }
}

// ----- JSON input: an array of points, or a FeatureCollection, visited element by element -----

fn id_string(v: Option<Value>) -> Option<String> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
    }
}

#[derive(Deserialize)]
struct InPoint {
    id: Option<Value>,
    lon: f64,
    lat: f64,
}

#[derive(Deserialize)]
struct InFeature {
    id: Option<Value>,
    geometry: Option<InGeometry>,
}

#[derive(Deserialize)]
struct InGeometry {
    #[serde(rename = "type")]
    type_: String,
    coordinates: Value,
}

fn position_of(g: Option<InGeometry>) -> Result<Coord<f64>, PointError> {
    let g = g.ok_or(PointError::NoGeometry)?;
    if g.type_ != "Point" {
        return Err(PointError::NotAPoint(g.type_));
    }
    let nums = g
        .coordinates
        .as_array()
        .filter(|a| a.len() >= 2)
        .and_then(|a| Some((a[0].as_f64()?, a[1].as_f64()?)))
        .ok_or(PointError::NotLonLat)?;
    in_range(nums.0, nums.1).map_err(PointError::Coordinates)
}

/// Visits the top-level value: a sequence of points, or a FeatureCollection's members.
struct TopVisitor<'a> {
    out: &'a mut Out,
}

/// Carries the first fatal error out of serde (which only knows its own error type).
fn stop<E: serde::de::Error>(e: ApiError) -> E {
    E::custom(format!(
        "\u{1}{}",
        serde_json::to_string(&e.to_problem()).unwrap_or_default()
    ))
}

impl<'de> Visitor<'de> for TopVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON array of {id, lon, lat} or a GeoJSON FeatureCollection of points")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        loop {
            match seq.next_element::<InPoint>() {
                Ok(Some(p)) => {
                    let position = in_range(p.lon, p.lat).map_err(PointError::Position);
                    self.out
                        .push(Pending {
                            id: id_string(p.id),
                            record: None,
                            position,
                        })
                        .map_err(stop)?;
                }
                Ok(None) => return Ok(()),
                Err(e) => return Err(A::Error::custom(format!("item {i}: {e}"))),
            }
            i += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut saw_features = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "type" => {
                    let t: String = map.next_value()?;
                    if t != "FeatureCollection" {
                        return Err(A::Error::custom(format!(
                            "expected a FeatureCollection, found type \"{t}\""
                        )));
                    }
                }
                "features" => {
                    map.next_value_seed(Features { out: self.out })?;
                    saw_features = true;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if saw_features {
            Ok(())
        } else {
            Err(A::Error::custom(
                "the FeatureCollection has no \"features\"",
            ))
        }
    }
}

struct Features<'a> {
    out: &'a mut Out,
}

impl<'de> DeserializeSeed<'de> for Features<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Features<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of features")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        loop {
            match seq.next_element::<InFeature>() {
                Ok(Some(f)) => {
                    self.out
                        .push(Pending {
                            id: id_string(f.id),
                            record: None,
                            position: position_of(f.geometry),
                        })
                        .map_err(stop)?;
                }
                Ok(None) => return Ok(()),
                Err(e) => return Err(A::Error::custom(format!("features[{i}]: {e}"))),
            }
            i += 1;
        }
    }
}

fn read_json<R: Read>(reader: BufReader<R>, out: &mut Out) -> ApiResult<()> {
    let mut de = serde_json::Deserializer::from_reader(reader);
    let r = de
        .deserialize_any(TopVisitor { out })
        .and_then(|()| de.end());
    r.map_err(|e| {
        let msg = e.to_string();
        // A fatal error of our own, smuggled through serde: restore it.
        if let Some(rest) = msg.strip_prefix('\u{1}') {
            let text = rest.split(" at line ").next().unwrap_or(rest);
            if let Ok(v) = serde_json::from_str::<Value>(text) {
                let detail = v["detail"].as_str().unwrap_or("failed").to_string();
                return ApiError::internal(detail);
            }
        }
        if e.is_io() {
            return ApiError::field("body", format!("could not read the body: {msg}"));
        }
        ApiError::field("body", msg)
    })
}

fn read_csv<R: Read>(
    mut reader: BufReader<R>,
    out: &mut Out,
    lon_field: &str,
    lat_field: &str,
) -> ApiResult<()> {
    // An empty body has no header to find columns in.
    if reader
        .fill_buf()
        .map_err(|e| ApiError::field("body", format!("could not read the body: {e}")))?
        .is_empty()
    {
        return Err(ApiError::field("body", "the CSV is empty (no header line)"));
    }
    let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let headers = r
        .headers()
        .map_err(|e| ApiError::field("body", format!("CSV header: {e}")))?
        .clone();
    let col = |name: &str, field: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| ApiError::field(field, format!("the CSV has no column \"{name}\"")))
    };
    let (lon_c, lat_c) = (col(lon_field, "lon_field")?, col(lat_field, "lat_field")?);
    let mut head = headers.clone();
    for extra in ["grid_id", "grid_code", "on_boundary", "error"] {
        head.push_field(extra);
    }
    let mut buf = Vec::new();
    {
        let mut w = csv::Writer::from_writer(&mut buf);
        w.write_record(&head)
            .map_err(|e| ApiError::internal(format!("csv output: {e}")))?;
        w.flush()
            .map_err(|e| ApiError::internal(format!("csv output: {e}")))?;
    }
    // The header goes out with the first chunk so that bad input in it still gets a 4xx.
    let mut header = Some(buf);
    for (row, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| {
            if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                ApiError::field("body", format!("could not read the body: {e}"))
            } else {
                ApiError::field(format!("row {}", row + 2), e.to_string())
            }
        })?;
        let num = |c: usize, what: &'static str| -> Result<f64, PointError> {
            let s = rec.get(c).unwrap_or("").trim();
            s.parse::<f64>().map_err(|source| PointError::NotANumber {
                what,
                given: s.to_string(),
                source,
            })
        };
        let position = num(lon_c, "lon").and_then(|x| {
            num(lat_c, "lat").and_then(|y| in_range(x, y).map_err(PointError::Position))
        });
        if let Some(h) = header.take() {
            out.sent_any = true;
            out.tx
                .blocking_send(Ok(Bytes::from(h)))
                .map_err(|_| ApiError::internal("the client went away during a batch lookup"))?;
        }
        out.push(Pending {
            id: None,
            record: Some(rec),
            position,
        })?;
    }
    if let Some(h) = header.take() {
        out.send(h)?;
    }
    Ok(())
}
