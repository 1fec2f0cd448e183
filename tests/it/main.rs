//! Every integration test of the `wangge` crate, in one test binary: one module per area (the
//! former `tests/*.rs` binaries) and the shared helpers in [`common`]. One binary links once
//! instead of once per file, and one process shares what is expensive to start (the demo
//! district, the PostGIS cluster).
//!
//! Run everything with `cargo test --test it`; one module with `cargo test --test it -- http_api::`;
//! the ignored tests (schemathesis, measurements) by name with
//! `cargo test --test it -- --ignored http_schemathesis::`.
//!
//! Snapshots (`insta`, in `tests/it/snapshots/`) sit next to the asserts for documents a reader
//! checks best whole (TileJSON, a lookup answer, a problem). A change to one fails the test; to
//! accept it on purpose, rerun the test with `INSTA_UPDATE=always` (or `cargo insta review`) and
//! commit the reviewed `.snap` diff. `scripts/test.sh` sets `INSTA_UPDATE=no`: CI never writes one.
//!
//! A new test file `tests/it/foo.rs` is one more line in the list below.

mod common;

mod assign_helsinki;
mod cli;
mod cli_check_failed;
mod demo_data;
mod demo_validation;
mod gis_bad_files;
mod gis_crs_encoding;
mod gis_import_safety;
mod gis_roundtrip;
mod gpkg_spatial_index;
mod http_api;
mod http_bad_input;
mod http_create_field;
mod http_edit_scope;
mod http_gis;
mod http_glyphs;
mod http_hardening;
mod http_heavy;
mod http_language;
mod http_ogc_gdal;
mod http_reference;
mod http_schemathesis;
mod http_tiles;
mod openapi_document;
mod reload_consistency;
mod reload_http;
mod serve_sync;
mod snapshot_figures;
mod store_behaviour;
mod store_concurrency;
mod store_load;
mod web_map;
