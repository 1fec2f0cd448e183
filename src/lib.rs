//! wangge: keeps a district's governance grids correct, fast to query and easy to redraw.
//!
//! The spatial engine ([`engine`], the `wangge-engine` crate) holds the geometry and the rules
//! and depends on nothing web or database. Everything in this crate depends on it:
//! - [`io`]: GeoJSON/CSV ↔ engine model, dataset folders;
//! - [`demo`]: the deterministic generator of the demo district (屯溪区);
//! - [`gis`]: GIS files in and out through GDAL (import, export formats);
//! - [`store`]: storage backends behind one interface;
//! - [`server`]: the HTTP service (`wangge serve`);
//! - [`cli`]: the command-line interface.

pub use wangge_engine as engine;

pub mod cli;
pub mod demo;
pub mod gis;
pub mod io;
pub mod server;
pub mod store;
