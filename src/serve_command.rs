//! `faultline serve`: browse a store's runs and files over HTTP (axum on
//! hyper; files streamed by tower-http). Only GET and HEAD; every path is
//! decoded, stripped of `.` and refused on `..`, then resolved on disk
//! (symbolic links too) and refused unless it is still inside the store.

use crate::exit::Failure;
use anyhow::anyhow;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::Router;
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower::ServiceExt;
use tower_http::services::ServeFile;

/// Arguments of `faultline serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The store to browse.
    #[arg(long, default_value = "store")]
    store: PathBuf,
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: String,
}

/// What a request resolved to.
#[derive(Debug, PartialEq)]
pub enum Resolved {
    /// A file inside the store.
    File(PathBuf),
    /// A directory inside the store (the URL ends with `/`).
    Directory(PathBuf),
    /// A directory asked for without its `/`: relative links need it.
    AddSlash,
    /// Refused, with the status and why.
    Refused(u16, &'static str),
}

/// Decodes `%xx` escapes; None when one is malformed.
fn percent_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

/// Where the request target `target` leads inside `root` (canonical).
pub fn resolve(root: &Path, target: &str) -> Resolved {
    let path = target.split(['?', '#']).next().unwrap_or("");
    if !path.starts_with('/') {
        return Resolved::Refused(400, "the path must start with /");
    }
    let Some(decoded) = percent_decode(path) else {
        return Resolved::Refused(400, "malformed %-escape in the path");
    };
    let Ok(decoded) = String::from_utf8(decoded) else {
        return Resolved::Refused(400, "the path is not UTF-8");
    };
    if decoded.contains('\0') || decoded.contains('\\') {
        return Resolved::Refused(400, "NUL or backslash in the path");
    }
    let mut on_disk = root.to_path_buf();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => return Resolved::Refused(403, "`..` is not allowed: only the store is served"),
            name => on_disk.push(name),
        }
    }
    // Symbolic links are followed, then the result must still be inside.
    let Ok(real) = on_disk.canonicalize() else {
        return Resolved::Refused(404, "no such file in the store");
    };
    if !real.starts_with(root) {
        return Resolved::Refused(403, "outside the store (a link leads out of it)");
    }
    if real.is_dir() {
        if decoded.ends_with('/') {
            Resolved::Directory(real)
        } else {
            Resolved::AddSlash
        }
    } else {
        Resolved::File(real)
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "css" => "text/css; charset=utf-8",
        "xml" => "application/xml",
        // History, logs and the rest: readable in the browser.
        _ => "text/plain; charset=utf-8",
    }
}

fn listing(root: &Path, dir: &Path) -> String {
    let mut names: Vec<(bool, String)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| {
            (
                e.path().is_dir(),
                e.file_name().to_string_lossy().into_owned(),
            )
        })
        .collect();
    names.sort();
    use faultline_reports::{escape, url_segment};
    let shown = dir.strip_prefix(root).unwrap_or(dir).display().to_string();
    let mut html = format!(
        "<!doctype html><meta charset=\"utf-8\"><title>/{0}</title><h1>/{0}</h1><ul><li><a href=\"../\">../</a></li>",
        escape(&shown)
    );
    for (is_dir, name) in names {
        let slash = if is_dir { "/" } else { "" };
        html += &format!(
            "<li><a href=\"{}{slash}\">{}{slash}</a></li>",
            escape(&url_segment(&name)),
            escape(&name)
        );
    }
    html + "</ul>"
}

/// A file, streamed by tower-http (HEAD, ranges and conditional requests
/// included) with faultline's content type.
async fn file(path: PathBuf, request: Request) -> Response {
    let mime: mime::Mime = content_type(&path)
        .parse()
        .unwrap_or(mime::TEXT_PLAIN_UTF_8);
    match ServeFile::new_with_mime(&path, &mime)
        .oneshot(request)
        .await
    {
        Ok(response) => response.into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
    }
}

/// Every request: only GET and HEAD, and only what [`resolve`] allows.
async fn serve_store(State(root): State<Arc<PathBuf>>, request: Request) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
            "only GET and HEAD\n",
        )
            .into_response();
    }
    // The path as sent, still %-encoded: `resolve` decodes it once.
    let target = request.uri().path().to_owned();
    match resolve(&root, &target) {
        Resolved::Refused(status, why) => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("{why}\n"),
        )
            .into_response(),
        Resolved::AddSlash => (
            StatusCode::MOVED_PERMANENTLY,
            [(header::LOCATION, format!("{target}/"))],
        )
            .into_response(),
        Resolved::Directory(dir) => {
            let index = dir.join("index.html");
            if index.is_file() {
                file(index, request).await
            } else {
                Html(listing(&root, &dir)).into_response()
            }
        }
        Resolved::File(path) => file(path, request).await,
    }
}

/// Logs each request with its status; no response is sniffed, and every
/// connection closes after its response (as curl and scripts expect).
async fn log_and_harden(request: Request, next: Next) -> Response {
    let (method, target) = (request.method().clone(), request.uri().clone());
    let mut response = next.run(request).await;
    eprintln!("{method} {target} {}", response.status().as_u16());
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Runs `faultline serve` until interrupted.
pub fn run(args: &ServeArgs) -> Result<i32, Failure> {
    let root = args.store.canonicalize().map_err(|e| {
        Failure::bad_input(anyhow!(
            "{}: cannot serve it: {e} (give the store a test wrote, with --store DIR)",
            args.store.display()
        ))
    })?;
    if !root.is_dir() {
        return Err(Failure::bad_input(anyhow!(
            "{}: not a directory",
            root.display()
        )));
    }
    let listener = std::net::TcpListener::bind(&args.bind).map_err(|e| {
        Failure::bad_input(anyhow!(
            "cannot listen on {}: {e} (pick another with --bind 127.0.0.1:PORT; port 0 takes any free one)",
            args.bind
        ))
    })?;
    let address = listener
        .local_addr()
        .map_err(|e| Failure::bad_input(anyhow!("cannot read the bound address: {e}")))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::bad_input(anyhow!("cannot start the server's runtime: {e}")))?;
    println!(
        "serving {} at http://{address}/ (Ctrl-C stops)",
        root.display()
    );
    let _ = std::io::stdout().flush();
    let app = Router::new()
        .fallback(serve_store)
        .layer(middleware::from_fn(log_and_harden))
        .with_state(Arc::new(root));
    runtime
        .block_on(async move {
            listener.set_nonblocking(true)?;
            let listener = tokio::net::TcpListener::from_std(listener)?;
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await
        })
        .map_err(|e| Failure::bad_input(anyhow!("the server stopped: {e}")))?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_decoded_and_kept_inside_the_store() {
        let base =
            std::env::temp_dir().join(format!("faultline-serve-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(base.join("store/run")).unwrap();
        std::fs::write(base.join("store/run/index.html"), "x").unwrap();
        std::fs::write(base.join("secret"), "s").unwrap();
        std::os::unix::fs::symlink(base.join("secret"), base.join("store/out")).unwrap();
        std::os::unix::fs::symlink("run", base.join("store/latest")).unwrap();
        let root = base.join("store").canonicalize().unwrap();
        assert_eq!(
            resolve(&root, "/run/index.html"),
            Resolved::File(root.join("run/index.html"))
        );
        assert_eq!(resolve(&root, "/run"), Resolved::AddSlash);
        assert_eq!(
            resolve(&root, "/run/"),
            Resolved::Directory(root.join("run"))
        );
        assert_eq!(
            resolve(&root, "/latest/index.html"),
            Resolved::File(root.join("run/index.html"))
        );
        for bad in [
            "/../secret",
            "/run/../../secret",
            "/%2e%2e/secret",
            "/%2E%2E%2Fsecret",
            "/run/%2e%2e/%2e%2e/secret",
        ] {
            assert!(
                matches!(resolve(&root, bad), Resolved::Refused(403, _)),
                "{bad}"
            );
        }
        assert!(
            matches!(resolve(&root, "/out"), Resolved::Refused(403, _)),
            "a link out of the store"
        );
        assert!(matches!(resolve(&root, "/%zz"), Resolved::Refused(400, _)));
        assert!(matches!(
            resolve(&root, "/a%00b"),
            Resolved::Refused(400, _)
        ));
        assert!(matches!(
            resolve(&root, "/..%5csecret"),
            Resolved::Refused(400, _)
        ));
        assert!(matches!(resolve(&root, "/nope"), Resolved::Refused(404, _)));
        assert!(matches!(
            resolve(&root, "secret"),
            Resolved::Refused(400, _)
        ));
        let _ = std::fs::remove_dir_all(&base);
    }
}
