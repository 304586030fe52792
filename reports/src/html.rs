//! Small HTML helpers: escaping, and the page's frame (styles inline, so the
//! page works from disk with nothing fetched).

/// Escapes text for HTML content and attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out += "&amp;",
            '<' => out += "&lt;",
            '>' => out += "&gt;",
            '"' => out += "&quot;",
            '\'' => out += "&#39;",
            c => out.push(c),
        }
    }
    out
}

/// `text` cut to `max` characters, an ellipsis marking the cut.
pub(crate) fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        text.chars().take(max.saturating_sub(1)).collect::<String>() + "…"
    }
}

/// A file name as one segment of a URL path: the characters a browser
/// would read as escapes, query or fragment are %-escaped.
pub fn url_segment(name: &str) -> String {
    name.replace('%', "%25")
        .replace('#', "%23")
        .replace('?', "%3F")
}

/// A whole page around `body`.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style><script>{ERRORS}</script></head>\n<body>\n{body}\n</body></html>\n",
        escape(title)
    )
}

/// Errors in the page's scripts are kept on `<body data-errors>` too, so a
/// headless browser's DOM dump shows them.
const ERRORS: &str = "window.addEventListener('error',function(e){var b=document.body;if(b){b.dataset.errors=(b.dataset.errors||'')+e.message+'; ';}});";

const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:76em;padding:0 1em;color:#222}\
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ddd}\
.verdict{display:inline-block;padding:.15em .6em;border-radius:.3em;color:#fff;font-weight:600}\
.valid{background:#1b7f3b}.invalid{background:#b3261e}.unknown{background:#8a6d00}\
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}td:first-child{white-space:nowrap}\
th{background:#f4f4f4}code,pre{font:13px ui-monospace,monospace;background:#f6f6f6}pre{padding:.6em;overflow-x:auto}\
.muted{color:#666}.warning{background:#fff4d6;border-left:4px solid #c90;padding:.4em .7em}\
nav{margin:.6em 0}figure{margin:1em 0}figure svg,figure img{max-width:100%;height:auto;display:block}figcaption{color:#555;font-size:.9em}\
.drawing{overflow-x:auto;border:1px solid #eee;margin:.5em 0;width:fit-content;max-width:100%}.story{border-left:4px solid #b3261e;background:#fdf3f2;padding:.3em .9em;margin:.6em 0 1em}.story ul{margin:.3em 0;padding-left:1.2em}details{margin:.5em 0}summary{cursor:pointer;color:#2f5f9f}.cycle-steps{margin:.3em 0}.nowrap{white-space:nowrap}.drawing svg{max-width:none}.anomaly{margin:1em 0 1.6em}\
.chip{display:inline-block;width:.8em;height:.8em;border-radius:.15em;margin:0 .25em 0 .6em;vertical-align:-.05em}\
.timeline{position:relative;border:1px solid #ddd;padding:.3em}.tl-bar{font-size:.85em;margin-bottom:.3em}.tl-bar button{margin-right:.3em}\
.tl-canvas{display:block;cursor:grab}.tl-tip{position:absolute;z-index:2;max-width:40em;background:#222;color:#fff;font:12px ui-monospace,monospace;padding:.3em .5em;border-radius:.25em;pointer-events:none;white-space:pre-wrap}\
.tl-detail{margin:.3em 0 0;white-space:pre-wrap}\
.strip{margin-left:.6em}.cell{display:inline-block;width:.7em;height:1em;margin-right:1px;vertical-align:middle}.cell.valid{background:#1b7f3b}.cell.invalid{background:#b3261e}.cell.unknown,.cell.unchecked{background:#8a6d00}";

/// Whether a page loads nothing from elsewhere: no remote script, style,
/// image or link target (the SVG namespace is a name, not a fetch).
pub fn fetches_nothing(html: &str) -> bool {
    [
        "src=\"http",
        "src='http",
        "href=\"http",
        "href='http",
        "url(http",
        "@import",
    ]
    .iter()
    .all(|pattern| !html.contains(pattern))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert!(page("a<b", "").contains("<title>a&lt;b</title>"));
    }
}
