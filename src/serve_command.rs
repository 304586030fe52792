//! `faultline serve`: browse a store's runs and files over HTTP. Only GET
//! and HEAD; every path is decoded, stripped of `.` and refused on `..`,
//! then resolved on disk (symbolic links too) and refused unless it is still
//! inside the store.

use crate::exit::Failure;
use anyhow::anyhow;
use clap::Args;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

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

/// The status line and headers of a response of `length` bytes.
fn write_head(
    stream: &mut TcpStream,
    status: u16,
    kind: &str,
    extra: &str,
    length: u64,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        301 => "Moved Permanently",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Error",
    };
    write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {kind}\r\nContent-Length: {length}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n{extra}\r\n"
    )
}

fn respond(
    stream: &mut TcpStream,
    status: u16,
    kind: &str,
    extra: &str,
    body: &[u8],
    head_only: bool,
) -> std::io::Result<()> {
    write_head(stream, status, kind, extra, body.len() as u64)?;
    if !head_only {
        stream.write_all(body)?;
    }
    stream.flush()
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

fn handle(root: &Path, mut stream: TcpStream) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?.take(16 * 1024));
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // The headers are read and ignored: nothing in them changes the answer.
    let mut header = String::new();
    while reader.read_line(&mut header)? > 2 {
        header.clear();
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let head_only = method == "HEAD";
    let text = "text/plain; charset=utf-8";
    if method != "GET" && !head_only {
        return respond(
            &mut stream,
            405,
            text,
            "Allow: GET, HEAD\r\n",
            b"only GET and HEAD\n",
            false,
        );
    }
    let resolved = resolve(root, target);
    let status = match &resolved {
        Resolved::Refused(status, _) => *status,
        Resolved::AddSlash => 301,
        _ => 200,
    };
    eprintln!("{method} {target} {status}");
    match resolved {
        Resolved::Refused(status, why) => respond(
            &mut stream,
            status,
            text,
            "",
            format!("{why}\n").as_bytes(),
            head_only,
        ),
        Resolved::AddSlash => {
            let location = target.split(['?', '#']).next().unwrap_or("/");
            respond(
                &mut stream,
                301,
                text,
                &format!("Location: {location}/\r\n"),
                b"",
                head_only,
            )
        }
        Resolved::Directory(dir) => {
            let index = dir.join("index.html");
            if index.is_file() {
                let body = std::fs::read(&index)?;
                respond(&mut stream, 200, content_type(&index), "", &body, head_only)
            } else {
                let body = listing(root, &dir);
                respond(
                    &mut stream,
                    200,
                    "text/html; charset=utf-8",
                    "",
                    body.as_bytes(),
                    head_only,
                )
            }
        }
        Resolved::File(path) => {
            // Streamed: a history can be hundreds of megabytes.
            let mut file = std::fs::File::open(&path)?;
            let length = file.metadata()?.len();
            write_head(&mut stream, 200, content_type(&path), "", length)?;
            if !head_only {
                std::io::copy(&mut file, &mut stream)?;
            }
            stream.flush()
        }
    }
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
    let listener = TcpListener::bind(&args.bind).map_err(|e| {
        Failure::bad_input(anyhow!(
            "cannot listen on {}: {e} (pick another with --bind 127.0.0.1:PORT; port 0 takes any free one)",
            args.bind
        ))
    })?;
    let address = listener
        .local_addr()
        .map_err(|e| Failure::bad_input(anyhow!("cannot read the bound address: {e}")))?;
    println!(
        "serving {} at http://{address}/ (Ctrl-C stops)",
        root.display()
    );
    let _ = std::io::stdout().flush();
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let root = root.clone();
        std::thread::spawn(move || {
            if let Err(e) = handle(&root, stream) {
                eprintln!("connection: {e}");
            }
        });
    }
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
