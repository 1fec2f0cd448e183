//! The OpenAPI 3 document, generated from the handlers' annotations (`/api/openapi.json`).

use super::routes;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(title = "wangge", description = "Governance grids (网格化服务管理): read, look up, validate, edit, audit. Errors are RFC 9457 application/problem+json."),
    paths(
        routes::layers::list,
        routes::areas::tree, routes::areas::one,
        routes::grids::list, routes::grids::one, routes::grids::history,
        routes::lookup::one, routes::lookup::batch,
        routes::validation::validation, routes::validation::stats,
        routes::edits::create, routes::edits::reshape, routes::edits::split, routes::edits::merge,
        routes::edits::move_boundary, routes::edits::reroute, routes::edits::set_status, routes::edits::retire,
        routes::export::export, routes::import::import,
        routes::people::list, routes::people::one, routes::people::create, routes::people::update,
        routes::people::remove, routes::people::staffing,
        routes::changes::list,
        routes::tokens::list, routes::tokens::create, routes::tokens::remove,
    ),
    components(schemas(super::error::Problem, super::error::FieldError)),
    tags((name = "grids"), (name = "areas"), (name = "lookup"), (name = "validation"), (name = "edits"),
        (name = "people"), (name = "audit"), (name = "tokens"), (name = "import")),
)]
pub struct ApiDoc;

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
