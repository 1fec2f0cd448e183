//! An independent MVT decoder for tests: the vector_tile.proto 2.1 messages declared here with
//! prost (not the mvt crate's types, which are private to it), and a geometry command decoder
//! written from the spec. Gives absolute tile coordinates and a readable text form.

use std::fmt::Write;

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Tile {
    #[prost(message, repeated, tag = "3")]
    pub layers: Vec<Layer>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Value {
    #[prost(string, optional, tag = "1")]
    pub string_value: Option<String>,
    #[prost(float, optional, tag = "2")]
    pub float_value: Option<f32>,
    #[prost(double, optional, tag = "3")]
    pub double_value: Option<f64>,
    #[prost(int64, optional, tag = "4")]
    pub int_value: Option<i64>,
    #[prost(uint64, optional, tag = "5")]
    pub uint_value: Option<u64>,
    #[prost(sint64, optional, tag = "6")]
    pub sint_value: Option<i64>,
    #[prost(bool, optional, tag = "7")]
    pub bool_value: Option<bool>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Feature {
    #[prost(uint64, optional, tag = "1")]
    pub id: Option<u64>,
    #[prost(uint32, repeated, tag = "2")]
    pub tags: Vec<u32>,
    #[prost(int32, optional, tag = "3")]
    pub r#type: Option<i32>,
    #[prost(uint32, repeated, tag = "4")]
    pub geometry: Vec<u32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Layer {
    #[prost(uint32, optional, tag = "15")]
    pub version: Option<u32>,
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    #[prost(message, repeated, tag = "2")]
    pub features: Vec<Feature>,
    #[prost(string, repeated, tag = "3")]
    pub keys: Vec<String>,
    #[prost(message, repeated, tag = "4")]
    pub values: Vec<Value>,
    #[prost(uint32, optional, tag = "5")]
    pub extent: Option<u32>,
}

pub(crate) fn decode(bytes: &[u8]) -> Tile {
    <Tile as prost::Message>::decode(bytes).expect("tile decodes as vector_tile.proto")
}

/// One decoded path: MoveTo + LineTos, and whether a ClosePath ended it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Path {
    pub points: Vec<(i64, i64)>,
    pub closed: bool,
}

fn zigzag(v: u32) -> i64 {
    i64::from(v >> 1) ^ -i64::from(v & 1)
}

/// Decodes geometry commands (spec 4.3) into absolute tile coordinates, checking the command
/// grammar as it goes: every path starts with MoveTo, ClosePath has count 1, no stray data.
pub(crate) fn paths(geometry: &[u32]) -> Result<Vec<Path>, String> {
    let mut out: Vec<Path> = Vec::new();
    let (mut x, mut y) = (0i64, 0i64);
    let mut i = 0;
    while i < geometry.len() {
        let (id, count) = (geometry[i] & 7, (geometry[i] >> 3) as usize);
        i += 1;
        match id {
            1 | 2 => {
                if i + 2 * count > geometry.len() {
                    return Err(format!("command at {} runs past the end", i - 1));
                }
                if id == 2 && out.last().is_none_or(|p| p.closed) {
                    return Err("LineTo without a current path".into());
                }
                for k in 0..count {
                    x += zigzag(geometry[i + 2 * k]);
                    y += zigzag(geometry[i + 2 * k + 1]);
                    if id == 1 {
                        out.push(Path {
                            points: vec![(x, y)],
                            closed: false,
                        });
                    } else if let Some(p) = out.last_mut() {
                        p.points.push((x, y));
                    }
                }
                i += 2 * count;
            }
            7 => {
                if count != 1 {
                    return Err(format!("ClosePath with count {count}"));
                }
                match out.last_mut() {
                    Some(p) if !p.closed => p.closed = true,
                    _ => return Err("ClosePath without an open path".into()),
                }
            }
            _ => return Err(format!("unknown command {id}")),
        }
    }
    Ok(out)
}

/// Twice the surveyor's-formula area of a closed path in tile coordinates (y down).
pub(crate) fn twice_area(p: &[(i64, i64)]) -> i64 {
    let n = p.len();
    (0..n)
        .map(|i| p[i].0 * p[(i + 1) % n].1 - p[(i + 1) % n].0 * p[i].1)
        .sum()
}

pub(crate) fn value_text(v: &Value) -> String {
    if let Some(s) = &v.string_value {
        format!("{s:?}")
    } else if let Some(f) = v.float_value {
        format!("{f}f32")
    } else if let Some(d) = v.double_value {
        format!("{d}f64")
    } else if let Some(i) = v.int_value {
        format!("{i}i")
    } else if let Some(u) = v.uint_value {
        format!("{u}u")
    } else if let Some(s) = v.sint_value {
        format!("{s}s")
    } else if let Some(b) = v.bool_value {
        format!("{b}")
    } else {
        "<empty value>".into()
    }
}

/// Readable text of a whole tile: layers, features (id, type, tags), and each path's commands
/// in absolute tile coordinates, with ring areas so winding is visible in the snapshot.
pub(crate) fn to_text(bytes: &[u8]) -> String {
    let tile = decode(bytes);
    let mut s = String::new();
    for l in &tile.layers {
        let _ = writeln!(
            s,
            "layer {:?} version={} extent={} features={}",
            l.name.as_deref().unwrap_or(""),
            l.version.unwrap_or(1),
            l.extent.unwrap_or(4096),
            l.features.len()
        );
        for f in &l.features {
            let kind = match f.r#type {
                Some(1) => "POINT",
                Some(2) => "LINESTRING",
                Some(3) => "POLYGON",
                _ => "UNKNOWN",
            };
            let tags: Vec<String> = f
                .tags
                .chunks(2)
                .map(|kv| {
                    let k = l
                        .keys
                        .get(kv[0] as usize)
                        .map(String::as_str)
                        .unwrap_or("<bad key>");
                    let v = kv
                        .get(1)
                        .and_then(|&vi| l.values.get(vi as usize))
                        .map(value_text)
                        .unwrap_or_else(|| "<bad value>".into());
                    format!("{k}={v}")
                })
                .collect();
            let _ = writeln!(s, "  feature id={:?} {kind} {{{}}}", f.id, tags.join(", "));
            match paths(&f.geometry) {
                Ok(ps) => {
                    for p in ps {
                        let pts: Vec<String> =
                            p.points.iter().map(|(x, y)| format!("{x},{y}")).collect();
                        if p.closed {
                            let a = twice_area(&p.points);
                            let role = if a > 0 { "exterior" } else { "interior" };
                            let _ = writeln!(s, "    M {} Z  ({role}, 2A={a})", pts.join(" L "));
                        } else {
                            let _ = writeln!(s, "    M {}", pts.join(" L "));
                        }
                    }
                }
                Err(e) => {
                    let _ = writeln!(s, "    INVALID GEOMETRY: {e}");
                }
            }
        }
    }
    s
}
