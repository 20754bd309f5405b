//! Which URLs a webhook may call. A webhook is a request the server makes on an admin's
//! behalf, so it must not reach what only the server can reach: itself (loopback, its own
//! listening address) or link-local addresses, where clouds serve instance metadata and
//! credentials. Checked when a webhook is registered and again for every connection (the
//! resolver below), so a name that later resolves elsewhere is refused too.
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;

use crate::error::{AppError, AppResult};

#[derive(Debug, Clone)]
pub struct TargetGuard {
    /// Hosts exempt from the checks (lower-cased).
    allowed_hosts: Vec<String>,
    /// The server's own listening address.
    own: Option<SocketAddr>,
}

impl TargetGuard {
    pub fn new(allowed_hosts: &[String], own: Option<SocketAddr>) -> Self {
        Self {
            allowed_hosts: allowed_hosts
                .iter()
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect(),
            own,
        }
    }

    fn exempt(&self, host: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.allowed_hosts.iter().any(|h| h == "*" || h == host)
    }

    /// Why `ip` may not be called, if it may not.
    fn forbidden(&self, ip: IpAddr) -> Option<&'static str> {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        if ip.is_loopback() || ip.is_unspecified() {
            return Some("it is this machine (loopback)");
        }
        if self.own.is_some_and(|own| own.ip() == ip) {
            return Some("it is this server's own address");
        }
        let link_local = match ip {
            IpAddr::V4(v4) => v4.is_link_local(),
            IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80 || v6 == AWS_V6_METADATA,
        };
        if link_local {
            return Some("it is a link-local address, where cloud metadata services answer");
        }
        if ip.is_multicast() {
            return Some("it is a multicast address");
        }
        None
    }

    /// Parses and checks a webhook URL now (registration): http(s), no credentials, and
    /// every address its host resolves to allowed.
    pub async fn check(&self, raw: &str) -> AppResult<Url> {
        let url = Url::parse(raw.trim())
            .map_err(|e| AppError::bad_input(format!("`url` is not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(AppError::bad_input("`url` must be http:// or https://"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(AppError::bad_input(
                "`url` must not carry credentials; the signature authenticates deliveries",
            ));
        }
        let host = url
            .host_str()
            .ok_or_else(|| AppError::bad_input("`url` has no host"))?
            .to_string();
        if self.exempt(&host) {
            return Ok(url);
        }
        let port = url.port_or_known_default().unwrap_or(443);
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let addrs: Vec<IpAddr> = match bare.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => tokio::net::lookup_host((bare, port))
                .await
                .map_err(|_| {
                    AppError::bad_input(format!("`url`: the host {host} does not resolve"))
                })?
                .map(|a| a.ip())
                .collect(),
        };
        for ip in addrs {
            if let Some(why) = self.forbidden(ip) {
                return Err(AppError::bad_input(format!(
                    "`url` may not point at {host} ({ip}): {why}; set PLAN_API_WEBHOOK_ALLOWED_HOSTS to allow it"
                )));
            }
        }
        Ok(url)
    }

    /// A resolver for the delivery client that leaves out forbidden addresses.
    pub fn resolver(self: &Arc<Self>) -> Arc<impl Resolve> {
        Arc::new(Guarded(self.clone()))
    }
}

const AWS_V6_METADATA: std::net::Ipv6Addr =
    std::net::Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254);

struct Guarded(Arc<TargetGuard>);

impl Resolve for Guarded {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = self.0.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = if guard.exempt(&host) {
                found
            } else {
                found
                    .into_iter()
                    .filter(|a| guard.forbidden(a.ip()).is_none())
                    .collect()
            };
            if allowed.is_empty() {
                return Err(format!("{host} resolves to no address webhooks may call").into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refuses_loopback_metadata_and_self() {
        let own: SocketAddr = "10.1.2.3:8000".parse().unwrap();
        let g = TargetGuard::new(&[], Some(own));
        for bad in [
            "http://127.0.0.1:9000/hook",
            "http://localhost:9000/hook",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/x",
            "http://[fe80::1]/x",
            "http://10.1.2.3:8000/graphql",
            "ftp://example.org/x",
            "http://user:pw@example.org/x",
        ] {
            assert!(g.check(bad).await.is_err(), "{bad} was accepted");
        }
        assert!(g.check("http://10.9.9.9:9000/hook").await.is_ok());
        let open = TargetGuard::new(&["127.0.0.1".into()], None);
        assert!(open.check("http://127.0.0.1:9000/hook").await.is_ok());
    }
}
