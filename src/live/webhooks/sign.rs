//! `X-Plan-Api-Signature: sha256=<hex HMAC-SHA256 of the body with the webhook's secret>`.
//!
//! The body carries the same `timestamp` as the `X-Plan-Api-Timestamp` header, so the
//! signature covers it: a receiver that refuses old timestamps refuses replays.
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SIGNATURE_HEADER: &str = "x-plan-api-signature";
pub const TIMESTAMP_HEADER: &str = "x-plan-api-timestamp";
pub const EVENT_ID_HEADER: &str = "x-plan-api-event-id";
pub const EVENT_HEADER: &str = "x-plan-api-event";
pub const WEBHOOK_ID_HEADER: &str = "x-plan-api-webhook-id";

/// The header value for `body`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_known_hmac() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
