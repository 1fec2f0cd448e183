//! wangge's vector tiles, martin-style: pure tile logic with no I/O, no web, no database.
//!
//! Table of contents:
//! - [`math`]: z/x/y validation, tile bounds, lon/lat → tile pixels, tile ranges over a bbox.
//! - [`clip`]: clipping rings and lines to the buffered tile square (Sutherland–Hodgman).
//! - [`simplify`]: arc topology so neighbours stay exactly adjacent after simplification.
//! - [`encode`]: layers of features → MVT 2.1 bytes; [`PreparedFeature`]s are projected once
//!   for many tiles.
//! - `pbf`: the protobuf writer for MVT messages and geometry commands.
//! - [`cache`]: a bounded tile cache with ETags and exact bbox eviction.

#![forbid(unsafe_code)]

pub mod cache;
pub mod clip;
pub mod encode;
pub mod math;
mod pbf;
pub mod simplify;

pub use cache::{CachedTile, TileCache, TileKey};
pub use encode::{
    encode_prepared, encode_tile, EncodeError, EncodeOptions, Feature, Layer, PreparedFeature,
    PreparedLayer, PropValue,
};
pub use math::{TileError, TileId, TileRange};
pub use simplify::{tolerance_for_zoom, Topology};
