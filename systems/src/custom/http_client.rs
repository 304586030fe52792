//! The built-in client for simple REST key-value APIs: read, write and
//! cas as request templates (`[client.http]`), answers classified by
//! status: `ok` statuses took effect, `absent` reads found nothing, `fail`
//! statuses and other 4xx certainly did not take effect, 5xx and time-outs
//! are unknown (except for reads, which change nothing).

use super::config::{render, HttpRequest, HttpSection};
use faultline_core::{Client, Completion, Value};
use std::time::Duration;

/// One node's HTTP client.
pub struct HttpClient {
    http: reqwest::Client,
    base: String,
    section: HttpSection,
}

impl HttpClient {
    /// A client of `base` (placeholders already filled).
    pub fn new(section: HttpSection, base: String, timeout: Duration) -> HttpClient {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(1))
            .build()
            .unwrap_or_default();
        HttpClient {
            http,
            base: base.trim_end_matches('/').to_owned(),
            section,
        }
    }

    async fn send(
        &self,
        f: &str,
        request: &HttpRequest,
        values: &[(&str, String)],
        echo: &Value,
    ) -> Completion {
        let read = f == "read";
        // A read that did not happen changed nothing: fail, never unknown.
        let unknown = |why: String| {
            if read {
                Completion::fail(echo.clone(), why)
            } else {
                Completion::info(echo.clone(), why)
            }
        };
        let url = format!("{}{}", self.base, render(&request.path, values));
        let Ok(method) = reqwest::Method::from_bytes(request.method.to_uppercase().as_bytes())
        else {
            return Completion::fail(echo.clone(), format!("bad HTTP method {}", request.method));
        };
        let mut builder = self.http.request(method, url);
        if let Some(body) = &request.body {
            builder = builder
                .header("content-type", "application/json")
                .body(render(body, values));
        }
        let response = match builder.send().await {
            Ok(r) => r,
            Err(e) if e.is_connect() => {
                return Completion::unavailable(echo.clone(), "connection refused")
            }
            Err(e) if e.is_timeout() => return unknown("timeout".into()),
            Err(e) => return unknown(format!("transport: {e}")),
        };
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        if read && request.absent.contains(&status) {
            return Completion::ok(Value::Null);
        }
        if request.ok.contains(&status) {
            if !read {
                return Completion::ok(echo.clone());
            }
            let body: Value = if text.trim().is_empty() {
                Value::Null
            } else {
                match serde_json::from_str(&text) {
                    Ok(v) => v,
                    Err(_) => Value::String(text.clone()),
                }
            };
            let value = match &request.value {
                Some(pointer) if !pointer.is_empty() => {
                    body.pointer(pointer).cloned().unwrap_or(Value::Null)
                }
                _ => body,
            };
            return Completion::ok(value);
        }
        let brief: String = text.chars().take(200).collect();
        if request.fail.contains(&status) || (400..500).contains(&status) {
            return Completion::fail(echo.clone(), format!("HTTP {status}: {brief}"));
        }
        unknown(format!("HTTP {status}: {brief}"))
    }
}

impl Client for HttpClient {
    async fn invoke(&self, f: &str, key: Option<&str>, value: &Value) -> Completion {
        let key = key.unwrap_or("faultline").to_owned();
        let mut values = vec![("key", key), ("value", value.to_string())];
        let request = match f {
            "read" => &self.section.read,
            "write" => &self.section.write,
            "cas" => {
                let Some(cas) = &self.section.cas else {
                    return Completion::fail(value.clone(), "no [client.http.cas] request");
                };
                values.push(("old", value.get(0).cloned().unwrap_or_default().to_string()));
                values.push(("new", value.get(1).cloned().unwrap_or_default().to_string()));
                cas
            }
            other => {
                return Completion::fail(
                    value.clone(),
                    format!("the HTTP client has no request for `{other}`"),
                )
            }
        };
        self.send(f, request, &values, value).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_core::OpType;
    use serde_json::json;
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// An in-process fake REST store: GET /kv/k, PUT /kv/k {"value": v},
    /// POST /kv/k/cas {"from": a, "to": b} (409 when it does not match),
    /// and /boom answers 500.
    async fn fake_store() -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let data: Arc<Mutex<HashMap<String, Value>>> = Arc::default();
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let data = data.clone();
                tokio::spawn(async move {
                    let mut buffer = vec![0u8; 8192];
                    let mut read = 0;
                    let (head, body) = loop {
                        let n = socket.read(&mut buffer[read..]).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        read += n;
                        let text = String::from_utf8_lossy(&buffer[..read]).into_owned();
                        if let Some(end) = text.find("\r\n\r\n") {
                            let head = text[..end].to_owned();
                            let length: usize = head
                                .lines()
                                .find_map(|l| {
                                    l.to_lowercase()
                                        .strip_prefix("content-length:")
                                        .map(|v| v.trim().parse().unwrap_or(0))
                                })
                                .unwrap_or(0);
                            if text.len() >= end + 4 + length {
                                break (head, text[end + 4..end + 4 + length].to_owned());
                            }
                        }
                    };
                    let mut words = head.split_whitespace();
                    let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
                    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                    let (status, reply) = {
                        let mut data = data.lock().unwrap();
                        let key = path
                            .trim_start_matches("/kv/")
                            .trim_end_matches("/cas")
                            .to_owned();
                        match (method, path.ends_with("/cas"), path) {
                            (_, _, "/boom") => (500, String::new()),
                            ("GET", _, _) => match data.get(&key) {
                                Some(v) => (200, json!({ "value": v }).to_string()),
                                None => (404, String::new()),
                            },
                            ("PUT", _, _) => {
                                data.insert(key, body["value"].clone());
                                (204, String::new())
                            }
                            ("POST", true, _) if data.get(&key) == Some(&body["from"]) => {
                                data.insert(key, body["to"].clone());
                                (200, String::new())
                            }
                            ("POST", true, _) => (409, "mismatch".into()),
                            _ => (400, String::new()),
                        }
                    };
                    let response = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}", reply.len());
                    let _ = socket.write_all(response.as_bytes()).await;
                });
            }
        });
        url
    }

    fn section(read_path: &str) -> HttpSection {
        let request = |method: &str, path: &str, body: Option<&str>| HttpRequest {
            method: method.into(),
            path: path.into(),
            body: body.map(str::to_owned),
            ok: vec![200, 201, 204],
            absent: vec![404],
            fail: vec![409],
            value: Some("/value".into()),
        };
        HttpSection {
            base: String::new(),
            read: request("GET", read_path, None),
            write: request("PUT", "/kv/{key}", Some(r#"{"value": {value}}"#)),
            cas: Some(request(
                "POST",
                "/kv/{key}/cas",
                Some(r#"{"from": {old}, "to": {new}}"#),
            )),
        }
    }

    #[tokio::test]
    async fn read_write_and_cas_map_statuses_to_outcomes() {
        let url = fake_store().await;
        let client = HttpClient::new(section("/kv/{key}"), url.clone(), Duration::from_secs(5));
        let read = client.invoke("read", Some("k"), &Value::Null).await;
        assert_eq!((read.kind, read.value), (OpType::Ok, Value::Null), "absent");
        assert_eq!(
            client.invoke("write", Some("k"), &json!(3)).await.kind,
            OpType::Ok
        );
        let read = client.invoke("read", Some("k"), &Value::Null).await;
        assert_eq!((read.kind, read.value), (OpType::Ok, json!(3)));
        assert_eq!(
            client.invoke("cas", Some("k"), &json!([3, 4])).await.kind,
            OpType::Ok
        );
        let cas = client.invoke("cas", Some("k"), &json!([3, 5])).await;
        assert_eq!(cas.kind, OpType::Fail, "409 is a definite failure");
        let read = client.invoke("read", Some("k"), &Value::Null).await;
        assert_eq!(read.value, json!(4));
        // A server error: a write is unknown, a read failed.
        let broken = HttpClient::new(
            HttpSection {
                write: section("/boom").read.clone(),
                ..section("/boom")
            },
            url,
            Duration::from_secs(5),
        );
        assert_eq!(
            broken.invoke("read", Some("k"), &Value::Null).await.kind,
            OpType::Fail
        );
        assert_eq!(
            broken.invoke("write", Some("k"), &json!(1)).await.kind,
            OpType::Info
        );
    }
}
