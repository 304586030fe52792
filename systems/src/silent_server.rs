//! For unit tests: an in-process fake server that accepts every
//! connection and never answers, so a client's timeouts can be tested
//! without a real database.

/// Listens on a loopback port, holding every connection open unanswered;
/// the port, and the task to abort when done.
pub async fn silent_server() -> (u16, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (port, hold)
}
