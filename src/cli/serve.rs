//! `wangge serve`: the HTTP service.

use super::source::demo_dir;
use super::CliResult;
use crate::server::{self, Config};
use crate::store::Store;
use anyhow::Context;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// PostgreSQL/PostGIS URL (postgres://…); default: the DATABASE_URL environment variable,
    /// then the embedded GeoPackage store in --data-dir
    #[arg(long, value_name = "URL")]
    pub database: Option<String>,
    /// Folder of the embedded GeoPackage store (wangge.gpkg), created when missing
    #[arg(long, value_name = "DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Dataset folder imported into an empty store (default: the demo district 屯溪区)
    #[arg(long, value_name = "DIR")]
    pub seed: Option<PathBuf>,
    /// Let anonymous users read (GET); `--anonymous-read false` requires a token for everything
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub anonymous_read: bool,
    /// Largest request body in bytes
    #[arg(long, default_value_t = 64 * 1024 * 1024, value_name = "BYTES")]
    pub max_body_bytes: usize,
    /// Most positions one edit's geometry, split line or reroute path may have (413 above)
    #[arg(long, default_value_t = crate::server::state::DEFAULT_MAX_VERTICES, value_name = "N",
          value_parser = clap::builder::TypedValueParser::map(clap::value_parser!(u32).range(4..), |n| n as usize))]
    pub max_vertices: usize,
    /// Folder of TTF/OTF/TTC fonts for the map's labels, searched recursively (default: the
    /// system's fonts, /usr/share/fonts, where Debian's CJK fonts are)
    #[arg(long, value_name = "DIR")]
    pub fonts: Option<PathBuf>,
    /// A reference layer drawn thin and grey under the grids (roads, rivers, railways), from any
    /// format the import reads, in its own CRS: NAME=FILE; repeat for several
    #[arg(long = "reference", value_name = "NAME=FILE")]
    pub reference: Vec<String>,
    /// File holding the bootstrap admin token's secret; created with a fresh secret if missing.
    /// The environment variable WANGGE_ADMIN_TOKEN gives the secret directly. It creates an
    /// admin only while the store has none: once revoked it is not re-created (a warning says so)
    #[arg(long, value_name = "PATH")]
    pub admin_token_file: Option<PathBuf>,
    /// The service's address as clients reach it, for absolute links (OGC API, TileJSON);
    /// default http://<bind address>
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// Largest request line plus headers, in bytes (431 above it)
    #[arg(long, default_value_t = 16 * 1024, value_name = "BYTES")]
    pub max_header_bytes: usize,
    /// Seconds a request may take until its response starts (408 after)
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    pub request_timeout: u64,
    /// Seconds a connection may take to send a request's headers, or stay idle between requests
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub idle_timeout: u64,
    /// The district's language for problems and errors when a client's Accept-Language names
    /// neither zh-CN nor en
    #[arg(long, default_value = "zh-CN", value_name = "zh-CN|en",
          value_parser = clap::builder::TypedValueParser::try_map(clap::builder::StringValueParser::new(),
              |s: String| crate::server::i18n::Lang::parse(&s).ok_or("expected zh-CN or en")))]
    pub language: crate::server::i18n::Lang,
    /// Connections served at once; more wait to be accepted
    #[arg(long, default_value_t = 1024, value_name = "N")]
    pub max_connections: usize,
}

/// Where the service's data lives: PostGIS when a URL is given (flag or DATABASE_URL), else the
/// embedded GeoPackage in the data folder.
pub(super) async fn open_store(args: &Args) -> anyhow::Result<Store> {
    let url = match &args.database {
        Some(url) => Some(url.clone()),
        None => super::env_var("DATABASE_URL")?,
    };
    Ok(Store::open(url.as_deref(), &args.data_dir).await?)
}

fn admin_secret(args: &Args) -> anyhow::Result<Option<String>> {
    if let Some(path) = &args.admin_token_file {
        if path.exists() {
            let s = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let s = s.trim().to_string();
            if s.len() < 16 {
                return Err(anyhow::anyhow!(
                    "{}: the admin token must be at least 16 characters",
                    path.display()
                ));
            }
            return Ok(Some(s));
        }
        let (secret, _) = crate::server::auth::new_secret()
            .map_err(crate::server::BootstrapError::from)
            .context("cannot make an admin token")?;
        write_private(path, &secret)?;
        eprintln!("wangge: wrote a new admin token to {}", path.display());
        return Ok(Some(secret));
    }
    match super::env_var("WANGGE_ADMIN_TOKEN")? {
        Some(s) if s.trim().len() >= 16 => Ok(Some(s.trim().to_string())),
        Some(_) => Err(anyhow::anyhow!(
            "WANGGE_ADMIN_TOKEN must be at least 16 characters"
        )),
        None => Ok(None),
    }
}

/// `--public-url`, checked: an absolute http(s) URL; links are built by appending paths to it.
/// `--fonts DIR`, checked at start: a folder given explicitly that cannot be read or holds no
/// font is a mistake to report now, not a map without labels later.
fn fonts_dir(args: &Args) -> anyhow::Result<Option<PathBuf>> {
    let Some(dir) = &args.fonts else {
        return Ok(None);
    };
    let cat = server::glyphs::Catalogue::scan(dir)
        .with_context(|| format!("--fonts {}", dir.display()))?;
    if cat.faces.is_empty() {
        return Err(anyhow::anyhow!(
            "--fonts {}: no TTF, OTF or TTC font FreeType can open",
            dir.display()
        ));
    }
    Ok(Some(dir.clone()))
}

/// `--reference NAME=FILE`, each read once now: a file that cannot be read stops the start.
fn reference_layers(args: &Args) -> anyhow::Result<Vec<server::reference::ReferenceLayer>> {
    let mut out = Vec::new();
    for spec in &args.reference {
        let (name, file) = spec
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--reference {spec}: write NAME=FILE"))?;
        let layer = server::reference::ReferenceLayer::read(name, std::path::Path::new(file))?;
        tracing::info!(name, features = layer.features, "reference layer read");
        out.push(layer);
    }
    Ok(out)
}

fn public_url(args: &Args) -> anyhow::Result<Option<String>> {
    let Some(u) = &args.public_url else {
        return Ok(None);
    };
    let u = u.trim().trim_end_matches('/');
    let ok = (u.starts_with("http://") || u.starts_with("https://"))
        && u.parse::<axum::http::Uri>()
            .is_ok_and(|p| p.host().is_some());
    if !ok {
        return Err(anyhow::anyhow!(
            "--public-url {u}: must be an absolute http:// or https:// URL"
        ));
    }
    Ok(Some(u.to_string()))
}

fn write_private(path: &std::path::Path, secret: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    writeln!(f, "{secret}").with_context(|| format!("cannot write {}", path.display()))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
}

pub(super) fn run(args: Args) -> CliResult {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let config = Config {
        anonymous_read: args.anonymous_read,
        max_body_bytes: args.max_body_bytes,
        max_vertices: args.max_vertices,
        fonts: fonts_dir(&args)?,
        reference: std::sync::Arc::new(reference_layers(&args)?),
        language: args.language,
        seed_dir: Some(args.seed.clone().unwrap_or_else(demo_dir)),
        admin_secret: admin_secret(&args)?,
        public_url: public_url(&args)?,
        limits: server::Limits {
            max_header_bytes: args.max_header_bytes,
            request_timeout: Duration::from_secs(args.request_timeout.max(1)),
            idle_timeout: Duration::from_secs(args.idle_timeout.max(1)),
            max_connections: args.max_connections.max(1),
        },
        ..Config::default()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let store = open_store(&args).await?;
        let running = server::start(store, config, args.bind, shutdown_signal()).await?;
        println!("wangge: serving on http://{}/", running.addr);
        running
            .task
            .await
            .context("the server task failed")?
            .context("serving failed")
    })?;
    Ok(ExitCode::SUCCESS)
}
