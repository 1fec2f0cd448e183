//! A validator for the MVT 2.1 specification's own rules, kept apart from `decode.rs`, whose
//! checks are *our* conventions (every feature has an id, coordinates stay in the buffer, …).
//! Here a tile is judged only by what the specification says a valid tile is, so the same
//! code can judge third-party tiles (the @mapbox/mvt-fixtures suite) and ours.
//!
//! It reads the protobuf wire format itself instead of using prost: prost quietly skips unknown
//! fields, fills in defaults for missing ones and cannot say which wire type a field came with,
//! and those are exactly what several rules are about (a missing `type`, a `version` written as
//! a string, a value with an unknown field).
//!
//! Rules follow the 2.1 README (section numbers in the `Rule` docs); a v2 reader applies them to
//! version 1 layers too, which is how the fixtures label them. Not checked: the geometric MUSTs
//! of 4.3.4.4 (rings without self-intersection, holes inside their exterior, holes not
//! crossing), which need a geometry engine and which no fixture exercises.

use std::collections::HashSet;
use std::fmt;

/// Which rule a tile broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rule {
    /// Not a well-formed protobuf message: truncated field, over-long varint, field number 0,
    /// a group, a string that is not UTF-8, or a number too large for its uint32 field.
    Protobuf,
    /// A field of the schema arrived with another wire type (e.g. `version` as a string).
    WireType,
    /// 4.1: a layer MUST contain a `version`; we know versions 1 and 2.
    Version,
    /// 4.1: a layer MUST contain a `name`.
    LayerName,
    /// 4.1: no two layers with byte-for-byte identical names.
    DuplicateLayerName,
    /// 4.1: the extent is the tile's width in integer units, so 0 cannot describe a tile.
    Extent,
    /// 4.1: a value MUST contain exactly one of the seven typed fields (and no other field:
    /// the fixtures label an extension value fatal for 2.x).
    Value,
    /// 4.2: a feature MUST contain a `type` field.
    MissingType,
    /// 4.3.4: `type` MUST be a value of the GeomType enum.
    UnknownType,
    /// 4.2: a feature MUST contain a `geometry` field.
    MissingGeometry,
    /// 4.4: a feature MUST have an even number of tag integers.
    OddTags,
    /// 4.4: a key index MUST be below the number of keys.
    KeyIndex,
    /// 4.4: a value index MUST be below the number of values.
    ValueIndex,
    /// 4.4: every key index MUST be unique within a feature.
    RepeatedKey,
    /// 4.3.1: command ids are MoveTo (1), LineTo (2) and ClosePath (7).
    UnknownCommand,
    /// 4.3.2 / 4.3.3.1–2: a MoveTo/LineTo of count n MUST be followed by n pairs.
    MissingParameters,
    /// 4.3.3.3: a ClosePath MUST have a command count of 1.
    ClosePathCount,
    /// 4.3.4.2–4: the command sequence is not the one the geometry type prescribes (a single
    /// MoveTo for points; MoveTo(1) LineTo(≥1) repeated for lines; MoveTo(1) LineTo(≥2)
    /// ClosePath repeated for polygons), or a zero command count where one is required.
    CommandSequence,
    /// 4.3.3.2: a LineTo's dX and dY MUST NOT both be 0.
    ZeroLengthLineTo,
    /// 4.3.4.4: the cursor before ClosePath SHALL NOT repeat the ring's first point.
    RepeatedClosingPoint,
    /// 4.3.4.4: a polygon starts with an exterior ring (positive surveyor's area, y down);
    /// a ring of zero area is neither exterior nor interior.
    Winding,
}

/// A rule broken, where, and the particulars.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Violation {
    pub rule: Rule,
    pub at: String,
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} at {}: {}", self.rule, self.at, self.detail)
    }
}

/// A property value as stored, keeping its wire type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SpecValue {
    String(String),
    Float(f32),
    Double(f64),
    Int(i64),
    Uint(u64),
    Sint(i64),
    Bool(bool),
}

/// A feature that passed: geometry decoded to absolute tile coordinates. `parts` holds one
/// entry per point (points), per line (lines) or per ring without its closing point
/// (polygons); it is empty for UNKNOWN, whose geometry the spec leaves uninterpreted.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SpecFeature {
    pub id: Option<u64>,
    pub geom_type: u32,
    pub properties: Vec<(String, SpecValue)>,
    pub parts: Vec<Vec<(i64, i64)>>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SpecLayer {
    pub name: String,
    pub version: u32,
    pub extent: u32,
    pub features: Vec<SpecFeature>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct SpecTile {
    pub layers: Vec<SpecLayer>,
}

pub(crate) const POINT: u32 = 1;
pub(crate) const LINESTRING: u32 = 2;
pub(crate) const POLYGON: u32 = 3;

/// Validates a whole tile; on success returns its decoded content, otherwise every violation
/// found. Layer-level faults do not stop the features from being checked; within one feature
/// (or one layer's wire data) checking stops at the first fault, since what follows a broken
/// command cannot be read reliably.
pub(crate) fn validate(bytes: &[u8]) -> Result<SpecTile, Vec<Violation>> {
    let raw = parse_tile(bytes).map_err(|(rule, detail)| {
        vec![Violation {
            rule,
            at: "tile".into(),
            detail,
        }]
    })?;
    let mut names = HashSet::new();
    let mut layers = Vec::new();
    let mut violations = Vec::new();
    for (li, l) in raw.into_iter().enumerate() {
        match l {
            Ok(raw_layer) => {
                if let Some(layer) = check_layer(li, raw_layer, &mut names, &mut violations) {
                    layers.push(layer);
                }
            }
            Err((rule, detail)) => violations.push(Violation {
                rule,
                at: format!("layer {li}"),
                detail,
            }),
        }
    }
    if violations.is_empty() {
        Ok(SpecTile { layers })
    } else {
        Err(violations)
    }
}

/// The rules broken, in the order found (for tests that expect particular faults).
pub(crate) fn rules(violations: &[Violation]) -> Vec<Rule> {
    violations.iter().map(|v| v.rule).collect()
}

// ---- wire format --------------------------------------------------------------------------

type Fail = (Rule, String);

enum Wire<'a> {
    Varint(u64),
    Fixed64([u8; 8]),
    Bytes(&'a [u8]),
    Fixed32([u8; 4]),
}

impl Wire<'_> {
    fn name(&self) -> &'static str {
        match self {
            Wire::Varint(_) => "varint",
            Wire::Fixed64(_) => "64-bit",
            Wire::Bytes(_) => "length-delimited",
            Wire::Fixed32(_) => "32-bit",
        }
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    fn done(&self) -> bool {
        self.pos >= self.buf.len()
    }

    fn varint(&mut self) -> Result<u64, Fail> {
        let mut v = 0u64;
        for shift in (0..70).step_by(7) {
            let Some(&b) = self.buf.get(self.pos) else {
                return Err((Rule::Protobuf, "varint runs past the end".into()));
            };
            self.pos += 1;
            if shift == 63 && b > 1 {
                return Err((Rule::Protobuf, "varint overflows 64 bits".into()));
            }
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err((Rule::Protobuf, "varint longer than 10 bytes".into()))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Fail> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or((
                Rule::Protobuf,
                format!("field of {n} bytes runs past the end"),
            ))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// The next (field number, value). Groups (wire types 3 and 4) are refused: the schema has
    /// none, and no encoder of this format writes them.
    fn field(&mut self) -> Result<(u64, Wire<'a>), Fail> {
        let key = self.varint()?;
        let (num, wt) = (key >> 3, key & 7);
        if num == 0 {
            return Err((Rule::Protobuf, "field number 0".into()));
        }
        let w = match wt {
            0 => Wire::Varint(self.varint()?),
            1 => Wire::Fixed64(self.take(8)?.try_into().expect("8 bytes")),
            2 => {
                let n = usize::try_from(self.varint()?).unwrap_or(usize::MAX);
                Wire::Bytes(self.take(n)?)
            }
            5 => Wire::Fixed32(self.take(4)?.try_into().expect("4 bytes")),
            _ => return Err((Rule::Protobuf, format!("wire type {wt} in field {num}"))),
        };
        Ok((num, w))
    }
}

fn wrong(field: &str, w: &Wire) -> Fail {
    (
        Rule::WireType,
        format!("{field} arrived as {} data", w.name()),
    )
}

fn utf8(field: &str, b: &[u8]) -> Result<String, Fail> {
    String::from_utf8(b.to_vec()).map_err(|_| (Rule::Protobuf, format!("{field} is not UTF-8")))
}

fn u32_of(field: &str, v: u64) -> Result<u32, Fail> {
    u32::try_from(v).map_err(|_| (Rule::Protobuf, format!("{field} {v} does not fit uint32")))
}

/// A repeated uint32 field, packed (length-delimited) or not (one varint per occurrence);
/// proto2 readers must take both, and occurrences concatenate.
fn push_u32s(field: &str, w: &Wire, out: &mut Vec<u32>) -> Result<(), Fail> {
    match w {
        Wire::Varint(v) => out.push(u32_of(field, *v)?),
        Wire::Bytes(b) => {
            let mut r = Reader::new(b);
            while !r.done() {
                out.push(u32_of(field, r.varint()?)?);
            }
        }
        _ => return Err(wrong(field, w)),
    }
    Ok(())
}

struct RawFeature {
    id: Option<u64>,
    tags: Vec<u32>,
    geom_type: Option<u64>,
    geometry: Option<Vec<u32>>,
}

struct RawLayer {
    version: Option<u32>,
    name: Option<String>,
    features: Vec<Result<RawFeature, Fail>>,
    keys: Vec<String>,
    values: Vec<Result<SpecValue, Fail>>,
    extent: Option<u32>,
}

/// Layers are parsed lazily so a broken layer is reported with its index.
fn parse_tile(bytes: &[u8]) -> Result<Vec<Result<RawLayer, Fail>>, Fail> {
    let mut r = Reader::new(bytes);
    let mut layers = Vec::new();
    while !r.done() {
        match r.field()? {
            (3, Wire::Bytes(b)) => layers.push(parse_layer(b)),
            (3, w) => return Err(wrong("layers", &w)),
            // Unknown fields (the schema reserves 16..8191 for extensions) are skipped, as
            // protobuf readers do.
            _ => {}
        }
    }
    Ok(layers)
}

fn parse_layer(bytes: &[u8]) -> Result<RawLayer, Fail> {
    let mut l = RawLayer {
        version: None,
        name: None,
        features: Vec::new(),
        keys: Vec::new(),
        values: Vec::new(),
        extent: None,
    };
    let mut r = Reader::new(bytes);
    while !r.done() {
        match r.field()? {
            (15, Wire::Varint(v)) => l.version = Some(u32_of("version", v)?),
            (15, w) => return Err(wrong("version", &w)),
            (1, Wire::Bytes(b)) => l.name = Some(utf8("name", b)?),
            (1, w) => return Err(wrong("name", &w)),
            (2, Wire::Bytes(b)) => l.features.push(parse_feature(b)),
            (2, w) => return Err(wrong("features", &w)),
            (3, Wire::Bytes(b)) => l.keys.push(utf8("key", b)?),
            (3, w) => return Err(wrong("keys", &w)),
            (4, Wire::Bytes(b)) => l.values.push(parse_value(b)),
            (4, w) => return Err(wrong("values", &w)),
            (5, Wire::Varint(v)) => l.extent = Some(u32_of("extent", v)?),
            (5, w) => return Err(wrong("extent", &w)),
            _ => {}
        }
    }
    Ok(l)
}

fn parse_feature(bytes: &[u8]) -> Result<RawFeature, Fail> {
    let mut f = RawFeature {
        id: None,
        tags: Vec::new(),
        geom_type: None,
        geometry: None,
    };
    let mut r = Reader::new(bytes);
    while !r.done() {
        match r.field()? {
            (1, Wire::Varint(v)) => f.id = Some(v),
            (1, w) => return Err(wrong("id", &w)),
            (2, w) => push_u32s("tags", &w, &mut f.tags)?,
            (3, Wire::Varint(v)) => f.geom_type = Some(v),
            (3, w) => return Err(wrong("type", &w)),
            (4, w) => push_u32s("geometry", &w, f.geometry.get_or_insert_with(Vec::new))?,
            _ => {}
        }
    }
    Ok(f)
}

fn parse_value(bytes: &[u8]) -> Result<SpecValue, Fail> {
    let mut r = Reader::new(bytes);
    let mut seen = HashSet::new();
    let mut value = None;
    while !r.done() {
        let (num, w) = r.field()?;
        let v = match (num, &w) {
            (1, Wire::Bytes(b)) => SpecValue::String(utf8("string_value", b)?),
            (2, Wire::Fixed32(b)) => SpecValue::Float(f32::from_le_bytes(*b)),
            (3, Wire::Fixed64(b)) => SpecValue::Double(f64::from_le_bytes(*b)),
            // int64 is two's complement in a varint.
            (4, Wire::Varint(v)) => SpecValue::Int(*v as i64),
            (5, Wire::Varint(v)) => SpecValue::Uint(*v),
            (6, Wire::Varint(v)) => SpecValue::Sint((*v >> 1) as i64 ^ -((*v & 1) as i64)),
            (7, Wire::Varint(v)) => SpecValue::Bool(*v != 0),
            (1..=7, w) => return Err(wrong(&format!("value field {num}"), w)),
            _ => {
                return Err((
                    Rule::Value,
                    format!("value has field {num}, not one of the seven value types"),
                ))
            }
        };
        seen.insert(num);
        value = Some(v);
    }
    match (seen.len(), value) {
        (1, Some(v)) => Ok(v),
        (n, _) => Err((
            Rule::Value,
            format!("value has {n} typed fields, MUST have exactly one"),
        )),
    }
}

// ---- rules ----------------------------------------------------------------------------------

fn check_layer(
    li: usize,
    l: RawLayer,
    names: &mut HashSet<String>,
    out: &mut Vec<Violation>,
) -> Option<SpecLayer> {
    let before = out.len();
    let at = |s: String| format!("layer {li} ({:?}){s}", l.name.as_deref().unwrap_or(""));
    let mut fail = |rule, detail: String| {
        out.push(Violation {
            rule,
            at: at(String::new()),
            detail,
        })
    };
    match l.version {
        None => fail(Rule::Version, "no version field".into()),
        Some(v) if !(1..=2).contains(&v) => fail(Rule::Version, format!("unknown version {v}")),
        Some(_) => {}
    }
    match &l.name {
        None => fail(Rule::LayerName, "no name field".into()),
        Some(name) if !names.insert(name.clone()) => fail(
            Rule::DuplicateLayerName,
            format!("second layer named {name:?}"),
        ),
        Some(_) => {}
    }
    // proto2 default; fixture 009 (no extent) is labelled valid on that ground.
    let extent = l.extent.unwrap_or(4096);
    if extent == 0 {
        fail(Rule::Extent, "extent 0".into());
    }
    let mut values = Vec::new();
    for (vi, v) in l.values.iter().enumerate() {
        match v {
            Ok(v) => values.push(v.clone()),
            Err((rule, d)) => fail(*rule, format!("value {vi}: {d}")),
        }
    }
    let mut features = Vec::new();
    if values.len() == l.values.len() {
        for (fi, f) in l.features.iter().enumerate() {
            match f
                .as_ref()
                .map_err(Clone::clone)
                .and_then(|f| check_feature(f, &l.keys, &values))
            {
                Ok(f) => features.push(f),
                Err((rule, detail)) => out.push(Violation {
                    rule,
                    at: at(format!(" feature {fi}")),
                    detail,
                }),
            }
        }
    }
    (out.len() == before).then(|| SpecLayer {
        name: l.name.unwrap_or_default(),
        version: l.version.unwrap_or_default(),
        extent,
        features,
    })
}

fn check_feature(
    f: &RawFeature,
    keys: &[String],
    values: &[SpecValue],
) -> Result<SpecFeature, Fail> {
    let geom_type = f
        .geom_type
        .ok_or((Rule::MissingType, "no type field".into()))?;
    if geom_type > 3 {
        return Err((Rule::UnknownType, format!("type {geom_type}")));
    }
    let geom_type = geom_type as u32;
    let geometry = f
        .geometry
        .as_ref()
        .ok_or((Rule::MissingGeometry, "no geometry field".into()))?;
    if !f.tags.len().is_multiple_of(2) {
        return Err((Rule::OddTags, format!("{} tag integers", f.tags.len())));
    }
    let mut properties = Vec::new();
    let mut used = HashSet::new();
    for kv in f.tags.chunks(2) {
        let (k, v) = (kv[0] as usize, kv[1] as usize);
        let key = keys.get(k).ok_or((
            Rule::KeyIndex,
            format!("key index {k} of {} keys", keys.len()),
        ))?;
        let value = values.get(v).ok_or((
            Rule::ValueIndex,
            format!("value index {v} of {} values", values.len()),
        ))?;
        if !used.insert(k) {
            return Err((Rule::RepeatedKey, format!("key index {k} ({key:?}) twice")));
        }
        properties.push((key.clone(), value.clone()));
    }
    let parts = match geom_type {
        POINT | LINESTRING | POLYGON => check_geometry(geom_type, geometry)?,
        // 4.3.4.1: UNKNOWN geometry is experimental; the spec gives its integers no meaning.
        _ => Vec::new(),
    };
    Ok(SpecFeature {
        id: f.id,
        geom_type,
        properties,
        parts,
    })
}

/// Where a geometry's command sequence stands (4.3.4.2–4).
#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    /// Nothing yet, or (lines, polygons) a part just finished: a MoveTo(1) may start the next.
    Start,
    /// Points: the one MoveTo has been read, nothing may follow.
    PointsDone,
    /// A MoveTo(1) started a line or ring: a LineTo must follow.
    Moved,
    /// A line's LineTo: the line is complete; a MoveTo(1) may start the next.
    LineDone,
    /// A ring's LineTo: ClosePath must follow.
    RingOpen,
}

fn zigzag(v: u32) -> i64 {
    i64::from(v >> 1) ^ -i64::from(v & 1)
}

/// Twice the surveyor's-formula area of an open ring in tile coordinates (y down). i128: the
/// cursor may leave i32 (fixtures 049/050 are labelled valid with such overflow).
pub(crate) fn twice_area(r: &[(i64, i64)]) -> i128 {
    let n = r.len();
    (0..n)
        .map(|i| {
            let (a, b) = (r[i], r[(i + 1) % n]);
            i128::from(a.0) * i128::from(b.1) - i128::from(b.0) * i128::from(a.1)
        })
        .sum()
}

/// Reads the commands one at a time, checking each as it comes: its id, its place in the
/// sequence the geometry type prescribes, then its parameters. The first fault is reported,
/// so a stream that starts with ClosePath is a sequence fault, whatever the integers after it.
fn check_geometry(geom_type: u32, g: &[u32]) -> Result<Vec<Vec<(i64, i64)>>, Fail> {
    let name = ["", "point", "linestring", "polygon"][geom_type as usize];
    let seq = |what: String, state: State| {
        (
            Rule::CommandSequence,
            format!("{name}: {what} where the state is {state:?}"),
        )
    };
    let (mut x, mut y) = (0i64, 0i64);
    let mut parts: Vec<Vec<(i64, i64)>> = Vec::new();
    let mut state = State::Start;
    let mut i = 0;
    while i < g.len() {
        let (id, count) = (g[i] & 7, g[i] >> 3);
        i += 1;
        match id {
            1 | 2 => {
                let line_to = id == 2;
                let what = format!("{}({count})", if line_to { "LineTo" } else { "MoveTo" });
                state = match (geom_type, state, line_to, count) {
                    (POINT, State::Start, false, 1..) => State::PointsDone,
                    (LINESTRING | POLYGON, State::Start | State::LineDone, false, 1) => {
                        State::Moved
                    }
                    (LINESTRING, State::Moved, true, 1..) => State::LineDone,
                    (POLYGON, State::Moved, true, 2..) => State::RingOpen,
                    _ => return Err(seq(what, state)),
                };
                // Checked before reading: a count of 2^29 - 1 must not be trusted.
                let need = 2 * count as usize;
                if g.len() - i < need {
                    return Err((
                        Rule::MissingParameters,
                        format!("{what} needs {need} parameters, {} left", g.len() - i),
                    ));
                }
                for pair in g[i..i + need].chunks(2) {
                    let (dx, dy) = (zigzag(pair[0]), zigzag(pair[1]));
                    if line_to && dx == 0 && dy == 0 {
                        return Err((Rule::ZeroLengthLineTo, format!("LineTo (0,0) at ({x},{y})")));
                    }
                    x += dx;
                    y += dy;
                    if line_to {
                        if let Some(p) = parts.last_mut() {
                            p.push((x, y));
                        }
                    } else {
                        parts.push(vec![(x, y)]);
                    }
                }
                i += need;
            }
            7 => {
                // Place first, as for the other commands: a ClosePath in a linestring (061,
                // whose count also happens to be 0) is out of place whatever its count.
                if (geom_type, state) != (POLYGON, State::RingOpen) {
                    return Err(seq(format!("ClosePath({count})"), state));
                }
                if count != 1 {
                    return Err((Rule::ClosePathCount, format!("ClosePath count {count}")));
                }
                state = State::Start;
                let ring = parts.last().map(Vec::as_slice).unwrap_or_default();
                let k = parts.len() - 1;
                if ring.first() == ring.last() {
                    return Err((
                        Rule::RepeatedClosingPoint,
                        format!("ring {k} ends on its first point"),
                    ));
                }
                let area = twice_area(ring);
                if area == 0 || (k == 0 && area < 0) {
                    return Err((
                        Rule::Winding,
                        format!("ring {k} has 2A = {area}; the first ring must be exterior (> 0) and none may be 0"),
                    ));
                }
            }
            _ => return Err((Rule::UnknownCommand, format!("command id {id}"))),
        }
    }
    match (geom_type, state) {
        (POINT, State::PointsDone) | (LINESTRING, State::LineDone) => Ok(parts),
        (POLYGON, State::Start) if !parts.is_empty() => Ok(parts),
        _ => Err(seq("end of geometry".into(), state)),
    }
}
