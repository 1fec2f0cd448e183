//! The OpenAPI 3.1 document, generated from the handlers' annotations (`/api/openapi.json`).
//!
//! What every operation shares is added here, by [`Contract`], from rules rather than repeated
//! on each handler:
//! - security: the `bearer` scheme; reads (GET, and the batch lookup) may be anonymous when the
//!   service allows anonymous reading (`--anonymous-read`), every other operation needs a token;
//! - the RFC 9457 problems (`application/problem+json`, schema `Problem`) each operation can
//!   answer: 401 (a missing, malformed or unknown token), 500 and 503 (still loading) for all;
//!   400 where the operation takes a query or header parameter, a non-text path parameter or a
//!   body; 403 where it needs a token (a viewer, or a planner outside their areas); 404 where
//!   the path names a resource (not the tile numbers); 413 for a body; 415 for a JSON body. Codes only some operations
//!   answer (409, 412, 422, 304) are in their own annotations; an annotated error response keeps
//!   its description and gets the problem media type and schema.

use super::{glyphs, ogc, reference, routes, schemas, tiles};
use utoipa::openapi::path::{HttpMethod, Operation, ParameterIn};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, HeaderBuilder, Ref, RefOr, Response, ResponseBuilder, Schema,
};
use utoipa::{Modify, OpenApi};

/// The name of the bearer-token security scheme.
pub const BEARER: &str = "bearer";

/// The problem responses, by status code, and what each means in general.
pub const PROBLEMS: [(u16, &str, &str); 12] = [
    (
        400,
        "BadInput",
        "Bad input: the problem names the field and the reason",
    ),
    (
        401,
        "Unauthorized",
        "No token, a malformed Authorization header or an unknown token",
    ),
    (
        403,
        "Forbidden",
        "The token's role or areas do not allow this",
    ),
    (404, "NotFound", "No such resource"),
    (
        405,
        "MethodNotAllowed",
        "The resource does not support the method",
    ),
    (
        409,
        "Conflict",
        "Someone else's change was stored first, or the id is in use",
    ),
    (
        412,
        "PreconditionFailed",
        "If-Match named a version that is no longer current",
    ),
    (
        413,
        "TooLarge",
        "The body is larger than the limit (--max-body-bytes)",
    ),
    (
        415,
        "UnsupportedMediaType",
        "The body's Content-Type is not accepted here",
    ),
    (
        422,
        "Refused",
        "The edit is understood but refused by the rules",
    ),
    (500, "Internal", "The server failed; the cause is logged"),
    (503, "Unavailable", "The grids are still loading"),
];

#[derive(OpenApi)]
#[openapi(
    info(title = "wangge", description = "Governance grids (网格化服务管理): read, look up, validate, edit, audit; vector tiles and OGC API – Features. Errors are RFC 9457 application/problem+json. Problems and errors are answered in the language of the Accept-Language header (zh-CN or en, q-values honoured; otherwise the district default, `wangge serve --language`), with the same machine-readable `type`, `kind` and field names in both; translated answers carry Content-Language and Vary: Accept-Language."),
    paths(
        super::health, super::openapi_json,
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
        routes::tokens::list, routes::tokens::create, routes::tokens::remove, routes::tokens::me,
        tiles::tilejson, tiles::tile, glyphs::glyph_range, reference::list, reference::one,
        ogc::landing, ogc::conformance, ogc::collections, ogc::collection, ogc::items, ogc::item,
    ),
    components(schemas(super::error::Problem, super::error::FieldError,
        schemas::LayerName, schemas::StatusName, schemas::CrsName, schemas::ExportFormat,
        schemas::ExportWhat, schemas::ImportLayer, schemas::PersonRoleName, schemas::TokenRoleName,
        schemas::Position)),
    modifiers(&Contract),
    tags((name = "grids"), (name = "areas"), (name = "lookup"), (name = "validation"), (name = "edits"),
        (name = "people"), (name = "audit"), (name = "tokens"), (name = "import"), (name = "tiles"),
        (name = "ogc", description = "OGC API – Features, Part 1"), (name = "service")),
)]
pub struct ApiDoc;

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No token is looked at (`/health`, the document itself).
    Public,
    /// Anonymous when the service allows anonymous reading, else any token.
    Read,
    /// A planner or admin token (an admin token for tokens and imports).
    Token,
}

/// The access rule of an operation: reads are GETs and the batch lookup (a POST only because a
/// million points do not fit in a URL); everything else changes state and needs a token.
pub fn access(method: &HttpMethod, path: &str) -> Access {
    if path == "/health" || path == "/api/openapi.json" {
        return Access::Public;
    }
    let admin_only = path.starts_with("/api/v1/tokens") || path.starts_with("/api/v1/import");
    match method {
        HttpMethod::Get | HttpMethod::Head if !admin_only => Access::Read,
        HttpMethod::Post if path == "/api/v1/lookup" => Access::Read,
        _ => Access::Token,
    }
}

/// Adds the security scheme, each operation's security requirement and its problem responses.
pub struct Contract;

impl Modify for Contract {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.security_schemes.insert(
            BEARER.into(),
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        for (code, name, description) in PROBLEMS {
            components
                .responses
                .insert(name.into(), RefOr::T(problem_response(code, description)));
        }
        // `/ogc/` is the same landing page as `/ogc` for clients that add the slash.
        if let Some(landing) = doc.paths.paths.get("/ogc").cloned() {
            doc.paths.paths.insert("/ogc/".into(), landing);
        }
        for (path, item) in doc.paths.paths.iter_mut() {
            let ops = [
                (HttpMethod::Get, &mut item.get),
                (HttpMethod::Put, &mut item.put),
                (HttpMethod::Post, &mut item.post),
                (HttpMethod::Delete, &mut item.delete),
                (HttpMethod::Patch, &mut item.patch),
            ];
            for (method, op) in ops {
                if let Some(op) = op.as_mut() {
                    op.operation_id = Some(operation_id(&method, path));
                    apply(path, &method, op);
                }
            }
        }
    }
}

/// A unique operation id from the method and the path (`get_grids_id_history`): the handlers'
/// function names repeat across modules (`list`, `one`, `remove`…), and operation ids must be
/// unique in a document.
pub fn operation_id(method: &HttpMethod, path: &str) -> String {
    let method = match method {
        HttpMethod::Get => "get",
        HttpMethod::Put => "put",
        HttpMethod::Post => "post",
        HttpMethod::Delete => "delete",
        HttpMethod::Patch => "patch",
        HttpMethod::Head => "head",
        HttpMethod::Options => "options",
        HttpMethod::Trace => "trace",
    };
    let path = path.strip_prefix("/api/v1").unwrap_or(path);
    let words: Vec<&str> = path
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let mut id = method.to_string();
    for w in words {
        id.push('_');
        id.push_str(w);
    }
    if path.ends_with('/') && path.len() > 1 {
        id.push_str("_slash");
    }
    id
}

fn problem_response(code: u16, description: &str) -> Response {
    let mut r = ResponseBuilder::new().description(description).content(
        super::error::PROBLEM_JSON,
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build(),
    );
    if code == 401 {
        r = r.header(
            "WWW-Authenticate",
            HeaderBuilder::new()
                .schema(Schema::Object(
                    utoipa::openapi::ObjectBuilder::new()
                        .schema_type(utoipa::openapi::schema::Type::String)
                        .build(),
                ))
                .description(Some("Bearer"))
                .build(),
        );
    }
    r.build()
}

/// The problem codes the rules give an operation (see the module documentation).
pub fn rule_codes(path: &str, method: &HttpMethod, op: &Operation) -> Vec<u16> {
    let access = access(method, path);
    let mut codes = vec![500];
    if access == Access::Public {
        return codes;
    }
    codes.extend([401, 503]);
    let params = op.parameters.as_deref().unwrap_or_default();
    let typed_path = |p: &&utoipa::openapi::path::Parameter| {
        !matches!(
            &p.schema,
            Some(RefOr::T(Schema::Object(o)))
                if o.schema_type == utoipa::openapi::schema::SchemaType::Type(utoipa::openapi::schema::Type::String)
        )
    };
    let inputs = params.iter().any(|p| p.parameter_in != ParameterIn::Path)
        || params
            .iter()
            .filter(|p| p.parameter_in == ParameterIn::Path)
            .any(|p| typed_path(&p));
    if inputs || op.request_body.is_some() {
        codes.push(400);
    }
    if access == Access::Token {
        codes.push(403);
    }
    // A path naming a resource by id, code or collection may name none; tile numbers out of
    // range are bad input (400) instead.
    let numeric = |p: &&utoipa::openapi::path::Parameter| {
        matches!(
            &p.schema,
            Some(RefOr::T(Schema::Object(o)))
                if o.schema_type == utoipa::openapi::schema::SchemaType::Type(utoipa::openapi::schema::Type::Integer)
        )
    };
    if params
        .iter()
        .any(|p| p.parameter_in == ParameterIn::Path && !numeric(&p))
    {
        codes.push(404);
    }
    if let Some(body) = &op.request_body {
        codes.push(413);
        if body
            .content
            .keys()
            .any(|m| m == "application/json" || m.ends_with("+json"))
        {
            codes.push(415);
        }
    }
    codes
}

fn apply(path: &str, method: &HttpMethod, op: &mut Operation) {
    op.security = Some(match access(method, path) {
        Access::Public => vec![SecurityRequirement::default()],
        Access::Read => vec![
            SecurityRequirement::default(),
            SecurityRequirement::new(BEARER, Vec::<String>::new()),
        ],
        Access::Token => vec![SecurityRequirement::new(BEARER, Vec::<String>::new())],
    });
    let rules = rule_codes(path, method, op);
    // After the rules: no value of it is refused, so it adds no 400.
    if path.starts_with("/api/v1") {
        op.parameters
            .get_or_insert_with(Vec::new)
            .push(accept_language());
    }
    let responses = &mut op.responses.responses;
    // Annotated error responses keep their description and get the problem media type.
    for (code, r) in responses.iter_mut() {
        // Keys that are not a status number ("default", ranges such as "4XX") are left as
        // annotated: they name no single status to describe as a problem.
        let Ok(n) = code.parse::<u16>() else { continue };
        if n < 400 {
            continue;
        }
        let description = match r {
            RefOr::T(resp) => resp.description.clone(),
            RefOr::Ref(_) => continue,
        };
        *r = RefOr::T(problem_response(n, &description));
    }
    for code in rules {
        let Some((_, name, _)) = PROBLEMS.iter().find(|(c, _, _)| *c == code) else {
            continue;
        };
        responses
            .entry(code.to_string())
            .or_insert_with(|| RefOr::Ref(Ref::from_response_name(*name)));
    }
}

/// The `Accept-Language` header every API operation honours for its problem and error texts.
fn accept_language() -> utoipa::openapi::path::Parameter {
    utoipa::openapi::path::ParameterBuilder::new()
        .name("Accept-Language")
        .parameter_in(ParameterIn::Header)
        .required(utoipa::openapi::Required::False)
        .description(Some(
            "zh-CN or en (q-values honoured): the language of problem messages and error titles \
             and details; anything else gets the district default (`wangge serve --language`). \
             The answer says its language in Content-Language and varies on Accept-Language.",
        ))
        .schema(Some(
            utoipa::openapi::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::String)
                .examples([serde_json::json!("zh-CN")]),
        ))
        .build()
}
