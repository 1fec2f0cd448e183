//! Request extractors whose every failure is an [`ApiError`] naming the field, instead of axum's
//! plain-text rejections.

use super::error::{ApiError, ApiResult, FieldError};
use crate::io::features::position;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts, HeaderMap};
use chrono::NaiveDate;
use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::HashMap;
use std::str::FromStr;

/// Query parameters, read one by one so that a bad value names its parameter.
#[derive(Debug, Clone, Default)]
pub struct Params(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> ApiResult<Self> {
        let q = parts.uri.query().unwrap_or("");
        let mut map = HashMap::new();
        for (k, v) in form_urlencoded_pairs(q) {
            map.insert(k, v);
        }
        Ok(Params(map))
    }
}

/// `a=b&c=d` with `+` and `%XX` decoded; invalid escapes are kept literally.
fn form_urlencoded_pairs(q: &str) -> Vec<(String, String)> {
    fn decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    // Bytes, not a str slice: a multi-byte character after '%' must not panic.
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                    match u8::from_str_radix(hex, 16) {
                        Ok(b) => {
                            out.push(b);
                            i += 2;
                        }
                        Err(_) => out.push(b'%'),
                    }
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

impl Params {
    pub fn str(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }

    pub fn parse<T: FromStr>(&self, name: &str, what: &str) -> ApiResult<Option<T>> {
        match self.str(name) {
            None => Ok(None),
            Some(s) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| ApiError::field(name, format!("\"{s}\" is not {what}"))),
        }
    }

    pub fn required<T: FromStr>(&self, name: &str, what: &str) -> ApiResult<T> {
        self.parse(name, what)?
            .ok_or_else(|| ApiError::field(name, "is required"))
    }

    pub fn bool(&self, name: &str) -> ApiResult<bool> {
        match self.str(name) {
            None => Ok(false),
            Some("true" | "1" | "yes") => Ok(true),
            Some("false" | "0" | "no") => Ok(false),
            Some(s) => Err(ApiError::field(
                name,
                format!("\"{s}\" is not true or false"),
            )),
        }
    }

    pub fn date(&self, name: &str) -> ApiResult<Option<NaiveDate>> {
        self.str(name).map(|s| parse_date(name, s)).transpose()
    }

    /// `bbox=minLon,minLat,maxLon,maxLat` in WGS84.
    pub fn bbox(&self, name: &str) -> ApiResult<Option<geo::Rect<f64>>> {
        let Some(s) = self.str(name) else {
            return Ok(None);
        };
        let nums: Result<Vec<f64>, _> = s.split(',').map(|v| v.trim().parse::<f64>()).collect();
        let nums = nums.map_err(|_| {
            ApiError::field(
                name,
                format!("\"{s}\" is not four numbers minLon,minLat,maxLon,maxLat"),
            )
        })?;
        if nums.len() != 4 {
            return Err(ApiError::field(
                name,
                format!(
                    "needs four numbers minLon,minLat,maxLon,maxLat, found {}",
                    nums.len()
                ),
            ));
        }
        let (a, b) = (
            check_position(name, nums[0], nums[1])?,
            check_position(name, nums[2], nums[3])?,
        );
        if a.x > b.x || a.y > b.y {
            return Err(ApiError::field(
                name,
                "the minimum corner must come first (minLon,minLat,maxLon,maxLat)",
            ));
        }
        Ok(Some(geo::Rect::new(a, b)))
    }
}

pub fn parse_date(field: &str, s: &str) -> ApiResult<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::field(field, format!("\"{s}\" is not a date YYYY-MM-DD")))
}

pub fn check_position(field: &str, lon: f64, lat: f64) -> ApiResult<Coord<f64>> {
    position(&geojson::Position::from(vec![lon, lat]))
        .map_err(|e| ApiError::field(field, e.to_string()))
}

/// A JSON body deserialised into `T`; a failure names the JSON path of the bad value.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> ApiResult<Self> {
        require_json(req.headers())?;
        let bytes = Bytes::from_request(req, state).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

pub fn require_json(headers: &HeaderMap) -> ApiResult<()> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json" || essence.ends_with("+json") {
        Ok(())
    } else if essence.is_empty() {
        Err(ApiError::unsupported_media(
            "send the body as JSON with Content-Type: application/json",
        ))
    } else {
        Err(ApiError::unsupported_media(format!(
            "Content-Type {ct} is not accepted here; send application/json"
        )))
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let field = if path == "." || path == "?" || path.is_empty() {
            "body".to_string()
        } else {
            path
        };
        let reason = if inner.is_syntax() || inner.is_eof() {
            format!("malformed JSON: {inner}")
        } else {
            inner.to_string()
        };
        ApiError::field(field, reason)
    })?;
    // Only whitespace may follow the value: `{…} garbage` is not one JSON document.
    de.end().map_err(|e| {
        ApiError::field(
            "body",
            format!("malformed JSON: text after the JSON value ({e})"),
        )
    })?;
    Ok(value)
}

/// The refusal of a request geometry with more than `limit` positions: 413, naming the field
/// and the limit (`--max-vertices`).
pub fn too_many_vertices(field: &str, count: usize, limit: usize) -> ApiError {
    let mut e = ApiError::field(
        field,
        format!(
            "has {count} positions, more than the limit of {limit} per geometry (--max-vertices)"
        ),
    );
    e.status = axum::http::StatusCode::PAYLOAD_TOO_LARGE;
    e.slug = "geometry-too-large";
    e.title = "Geometry too large";
    e
}

/// A GeoJSON Polygon or MultiPolygon (or a Feature holding one), checked: at most `max_vertices`
/// positions in all (counted before anything else is read: 413), known type, positions in
/// range, closed rings of at least four positions, and valid by OGC rules (no
/// self-intersection, checked in O(n log n) by [`wangge_engine::validity`]) so that nothing
/// broken reaches the engine.
pub fn polygonal(field: &str, v: &Value, max_vertices: usize) -> ApiResult<MultiPolygon<f64>> {
    let v = if v.get("type").and_then(Value::as_str) == Some("Feature") {
        v.get("geometry").unwrap_or(&Value::Null)
    } else {
        v
    };
    let bad = |reason: String| ApiError::field(field, reason);
    let ty = v
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("must be a GeoJSON Polygon or MultiPolygon".into()))?;
    let coords = v
        .get("coordinates")
        .ok_or_else(|| bad("has no coordinates".into()))?;
    let polys: Vec<&Value> = match ty {
        "Polygon" => vec![coords],
        "MultiPolygon" => coords
            .as_array()
            .ok_or_else(|| bad("coordinates must be an array of polygons".into()))?
            .iter()
            .collect(),
        other => {
            return Err(bad(format!(
                "geometry type {other} is not a Polygon or MultiPolygon"
            )))
        }
    };
    // Count first: the limit bounds every later step (parsing, the validity check, planning).
    let count: usize = polys
        .iter()
        .filter_map(|p| p.as_array())
        .flatten()
        .filter_map(Value::as_array)
        .map(Vec::len)
        .sum();
    if count > max_vertices {
        return Err(too_many_vertices(field, count, max_vertices));
    }
    let mut out = Vec::with_capacity(polys.len());
    for (pi, rings) in polys.into_iter().enumerate() {
        let rings = rings
            .as_array()
            .ok_or_else(|| bad(format!("polygon {pi} must be an array of rings")))?;
        let mut lines = Vec::with_capacity(rings.len());
        for (ri, ring) in rings.iter().enumerate() {
            let ls = line(&format!("{field} polygon {pi} ring {ri}"), ring)?;
            if ls.0.len() < 4 {
                return Err(bad(format!(
                    "polygon {pi} ring {ri} has {} positions; a ring needs at least 4",
                    ls.0.len()
                )));
            }
            if ls.0.first() != ls.0.last() {
                return Err(bad(format!(
                    "polygon {pi} ring {ri} is not closed (first and last positions differ)"
                )));
            }
            lines.push(ls);
        }
        let mut it = lines.into_iter();
        let ext = it
            .next()
            .ok_or_else(|| bad(format!("polygon {pi} has no rings")))?;
        out.push(Polygon::new(ext, it.collect()));
    }
    if out.is_empty() {
        return Err(bad("the geometry is empty".into()));
    }
    let mp = MultiPolygon(out);
    if let Some(e) = wangge_engine::validity::first_error(&mp) {
        return Err(bad(format!("invalid polygon: {e}")));
    }
    Ok(mp)
}

/// A GeoJSON LineString (the geometry object or its bare coordinate array) of at most
/// `max_vertices` positions (more: 413, before the positions are read).
pub fn linestring(field: &str, v: &Value, max_vertices: usize) -> ApiResult<LineString<f64>> {
    let coords = match v.get("type").and_then(Value::as_str) {
        Some("LineString") => v.get("coordinates").unwrap_or(&Value::Null),
        Some(other) => {
            return Err(ApiError::field(
                field,
                format!("geometry type {other} is not a LineString"),
            ))
        }
        None => v,
    };
    if let Some(count) = coords.as_array().map(Vec::len) {
        if count > max_vertices {
            return Err(too_many_vertices(field, count, max_vertices));
        }
    }
    let ls = line(field, coords)?;
    if ls.0.len() < 2 {
        return Err(ApiError::field(
            field,
            "a line needs at least two positions",
        ));
    }
    Ok(ls)
}

fn line(field: &str, v: &Value) -> ApiResult<LineString<f64>> {
    let arr = v
        .as_array()
        .ok_or_else(|| ApiError::field(field, "must be an array of [lon, lat] positions"))?;
    arr.iter()
        .enumerate()
        .map(|(i, p)| point(&format!("{field}[{i}]"), p))
        .collect::<ApiResult<Vec<_>>>()
        .map(LineString)
}

/// `[lon, lat]`, in range.
pub fn point(field: &str, v: &Value) -> ApiResult<Coord<f64>> {
    let arr = v
        .as_array()
        .filter(|a| a.len() >= 2)
        .ok_or_else(|| ApiError::field(field, "must be a position [lon, lat]"))?;
    let num = |x: &Value| {
        x.as_f64()
            .ok_or_else(|| ApiError::field(field, "positions must hold numbers"))
    };
    check_position(field, num(&arr[0])?, num(&arr[1])?)
}

/// Collects field errors; used where several fields are checked together.
#[derive(Default)]
pub struct Errors(pub Vec<FieldError>);

impl Errors {
    pub fn push(&mut self, field: &str, reason: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            reason: reason.into(),
        });
    }

    pub fn finish(self) -> ApiResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::fields(self.0))
        }
    }
}

/// The raw body, with the body-size limit's refusal as a problem (413) instead of plain text.
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> ApiResult<Self> {
        Ok(RawBody(Bytes::from_request(req, state).await?))
    }
}
