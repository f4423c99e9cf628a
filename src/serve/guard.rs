//! Who may talk to the playground: the checks every request passes before a handler sees it.
//!
//! - **The launch token**, as Jupyter does it: the URL printed at start carries `?token=…`;
//!   a request that shows it gets a cookie (`HttpOnly`, `SameSite=Strict`) that the page's
//!   later requests carry instead. The token may also come as an `X-Burnprop-Token` header.
//!   None: 401; a wrong one: 403. The page itself is behind it too.
//! - **The `Host` header** must name the loopback address or the `--host` address, with the
//!   server's port: a web page at another name that resolves to 127.0.0.1 (DNS rebinding)
//!   gets 421.
//! - **The `Origin` header**, where a request that changes something sends one, must be the
//!   server's own: another site's form or script gets 403.
//!
//! Tokens are compared in constant time.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{COOKIE, HOST, ORIGIN, SET_COOKIE};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::api::{ApiError, App};

/// The cookie that carries the token.
pub const COOKIE_NAME: &str = "burnprop_token";
/// The header that may carry it instead.
pub const HEADER: &str = "x-burnprop-token";

/// The addresses a request's `Host` may name, each with `port`: the loopback's names and,
/// if the server listens elsewhere, that address.
pub fn allowed_hosts(host: Option<&str>, port: u16) -> Vec<String> {
    let mut names = vec![
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
    ];
    if let Some(host) = host {
        if host.contains(':') && !host.starts_with('[') {
            names.push(format!("[{host}]:{port}"));
        } else {
            names.push(format!("{host}:{port}"));
        }
    }
    names
}

/// Whether `a` and `b` are equal, in time that depends on their lengths only.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0, |d, (x, y)| d | (x ^ y)) == 0
}

/// The value of `name` in a `k=v&k=v` or `k=v; k=v` list.
fn field<'a>(list: &'a str, separator: char, name: &str) -> Option<&'a str> {
    list.split(separator).find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

/// The middleware: host, token, origin; then the handler; then the cookie, where the token
/// came in the URL.
pub async fn guard(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if !app.hosts.iter().any(|allowed| allowed == host) {
        return ApiError::new(
            StatusCode::MISDIRECTED_REQUEST,
            format!("this server answers to {} only", app.hosts.join(", ")),
        )
        .into_response();
    }
    let from_url = request
        .uri()
        .query()
        .and_then(|q| field(q, '&', "token"))
        .map(str::to_string);
    let from_cookie = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|c| c.to_str().ok())
        .find_map(|c| field(c, ';', COOKIE_NAME));
    let from_header = headers.get(HEADER).and_then(|h| h.to_str().ok());
    let given = from_url.as_deref().or(from_header).or(from_cookie);
    match given {
        None => {
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "this request carries no token: open the URL burnprop serve printed, with its ?token=",
            )
            .into_response();
        }
        Some(token) if !same(token, &app.token) => {
            return ApiError::new(StatusCode::FORBIDDEN, "wrong token").into_response();
        }
        Some(_) => {}
    }
    let changes = !matches!(*request.method(), Method::GET | Method::HEAD);
    if changes && let Some(origin) = headers.get(ORIGIN) {
        let own = origin
            .to_str()
            .ok()
            .and_then(|o| o.strip_prefix("http://"))
            .is_some_and(|o| app.hosts.iter().any(|h| h == o));
        if !own {
            return ApiError::new(
                StatusCode::FORBIDDEN,
                "requests from another origin may not change anything here",
            )
            .into_response();
        }
    }
    let mut response = next.run(request).await;
    if from_url.is_some() {
        let cookie = format!(
            "{COOKIE_NAME}={}; HttpOnly; SameSite=Strict; Path=/",
            app.token
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_found_in_queries_and_cookies() {
        assert_eq!(field("a=1&token=abc", '&', "token"), Some("abc"));
        assert_eq!(
            field("x=1; burnprop_token=abc", ';', COOKIE_NAME),
            Some("abc")
        );
        assert_eq!(field("tokens=abc", '&', "token"), None);
    }

    #[test]
    fn comparison_needs_every_byte() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "abcd"));
    }

    #[test]
    fn the_loopback_and_the_given_host_are_allowed() {
        let hosts = allowed_hosts(Some("192.168.1.5"), 8080);
        assert!(hosts.contains(&"127.0.0.1:8080".to_string()));
        assert!(hosts.contains(&"localhost:8080".to_string()));
        assert!(hosts.contains(&"192.168.1.5:8080".to_string()));
        assert!(allowed_hosts(Some("::1"), 80).contains(&"[::1]:80".to_string()));
    }
}
