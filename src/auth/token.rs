//! JSON Web Tokens: verifying the bearer token of each request, and issuing tokens for local
//! use (`plan-api token`).
//!
//! One key is configured: an HS256 shared secret, or a PEM public key (RSA → RS256,
//! EC P-256 → ES256) from the council's identity provider. Only that key's algorithm is
//! accepted, so an `alg` swap (HS256 signed with the public key, or `none`) never verifies.
use std::path::{Path, PathBuf};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::principal::{Principal, Role};
use crate::error::{AppError, AppResult};

/// Seconds of clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECONDS: u64 = 30;
/// The shortest shared secret accepted: HS256 keys shorter than its hash are guessable.
pub const MIN_SECRET_BYTES: usize = 32;
/// File (in the data folder) holding the generated secret when none is configured.
pub const SECRET_FILE: &str = "jwt-secret";

/// The claims plan-api reads. Any standard JWT library can produce them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Person codes (`KOM`): actions they lead are in scope.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leads: Vec<String>,
    /// Work-stream names, `*` for all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workstreams: Vec<String>,
    /// Plan slugs, `*` for all; absent means all plans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plans: Option<Vec<String>>,
    pub exp: u64,
    pub iat: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    pub iss: String,
    pub aud: AudienceClaim,
}

/// `aud` may be one string or a list (RFC 7519 §4.1.3).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AudienceClaim {
    One(String),
    Many(Vec<String>),
}

/// Where the verification key comes from, as configured. A secret is redacted from `Debug`.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// `PLAN_API_JWT_SECRET`.
    Secret(SecretString),
    /// `PLAN_API_JWT_PUBLIC_KEY`: path to a PEM public key.
    PublicKeyFile(PathBuf),
    /// Neither: a secret generated once and kept in the data folder.
    GeneratedSecret { data_dir: PathBuf },
}

#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub key: KeySource,
    pub issuer: String,
    pub audience: String,
}

/// Verifies bearer tokens; built once at startup.
pub struct Verifier {
    key: DecodingKey,
    validation: Validation,
    algorithm: Algorithm,
}

/// Signs tokens with the shared secret (local use, tests, scripts).
pub struct Issuer {
    key: EncodingKey,
    issuer: String,
    audience: String,
}

impl AuthSettings {
    /// A key built from the HS256 secret (configured, or read from, first created in, the data
    /// folder); `None` with a public key. The one place the secret is exposed.
    fn hs256_key<K>(&self, build: fn(&[u8]) -> K) -> AppResult<Option<K>> {
        let generated;
        let secret = match &self.key {
            KeySource::Secret(s) => s,
            KeySource::PublicKeyFile(_) => return Ok(None),
            KeySource::GeneratedSecret { data_dir } => {
                generated = generated_secret(data_dir)?;
                &generated
            }
        };
        let secret = secret.expose_secret().as_bytes();
        // A generated secret is never short (checked as it is read).
        if secret.len() < MIN_SECRET_BYTES {
            return Err(AppError::bad_input(format!(
                "PLAN_API_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long"
            )));
        }
        Ok(Some(build(secret)))
    }

    pub fn verifier(&self) -> AppResult<Verifier> {
        let (key, algorithm) = match &self.key {
            KeySource::PublicKeyFile(path) => public_key(path)?,
            _ => {
                let key = self
                    .hs256_key(DecodingKey::from_secret)?
                    .ok_or_else(|| AppError::Internal("BUG: no HS256 secret".into()))?;
                (key, Algorithm::HS256)
            }
        };
        let mut validation = Validation::new(algorithm);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        Ok(Verifier {
            key,
            validation,
            algorithm,
        })
    }

    /// An issuer, when the server verifies with a shared secret (else tokens come from the
    /// identity provider that holds the private key).
    pub fn issuer(&self) -> AppResult<Issuer> {
        let key = self.hs256_key(EncodingKey::from_secret)?.ok_or_else(|| {
            AppError::bad_input(
                "the server verifies tokens with PLAN_API_JWT_PUBLIC_KEY; tokens come from the \
                 identity provider holding its private key",
            )
        })?;
        Ok(Issuer {
            key,
            issuer: self.issuer.clone(),
            audience: self.audience.clone(),
        })
    }
}

/// Reads the generated secret, creating it (owner-only) on first use.
fn generated_secret(data_dir: &Path) -> AppResult<SecretString> {
    let path = data_dir.join(SECRET_FILE);
    match std::fs::read_to_string(&path) {
        Ok(s) if s.trim().len() >= MIN_SECRET_BYTES => return Ok(s.trim().into()),
        Ok(_) => {
            return Err(AppError::bad_input(format!(
                "{} is too short to be a secret; delete it to generate a new one",
                path.display()
            )))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(AppError::Internal(
                format!("cannot read {}: {e}", path.display()).into(),
            ))
        }
    }
    std::fs::create_dir_all(data_dir).map_err(|e| {
        AppError::Internal(format!("cannot create {}: {e}", data_dir.display()).into())
    })?;
    let mut bytes = [0u8; 48];
    getrandom::fill(&mut bytes)
        .map_err(|e| AppError::Internal(format!("no system randomness: {e}").into()))?;
    use base64::Engine as _;
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    use std::io::Write as _;
    match opts.open(&path) {
        Ok(mut f) => f.write_all(secret.as_bytes()).map_err(|e| {
            AppError::Internal(format!("cannot write {}: {e}", path.display()).into())
        })?,
        // Another process created it between our read and create: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return generated_secret(data_dir)
        }
        Err(e) => {
            return Err(AppError::Internal(
                format!("cannot create {}: {e}", path.display()).into(),
            ))
        }
    }
    tracing::info!(path = %path.display(), "generated a JWT signing secret");
    Ok(secret.into())
}

/// Loads a PEM public key; its type decides the algorithm.
fn public_key(path: &Path) -> AppResult<(DecodingKey, Algorithm)> {
    let pem = std::fs::read(path).map_err(|e| {
        AppError::bad_input(format!(
            "cannot read PLAN_API_JWT_PUBLIC_KEY {}: {e}",
            path.display()
        ))
    })?;
    if let Ok(key) = DecodingKey::from_rsa_pem(&pem) {
        return Ok((key, Algorithm::RS256));
    }
    if let Ok(key) = DecodingKey::from_ec_pem(&pem) {
        return Ok((key, Algorithm::ES256));
    }
    Err(AppError::bad_input(format!(
        "{} is not a PEM RSA or EC (P-256) public key",
        path.display()
    )))
}

impl Verifier {
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Checks a bearer token and returns who it speaks for. Every failure is UNAUTHENTICATED
    /// with a short reason; nothing about the key or the token's contents is echoed back.
    pub fn verify(&self, token: &str) -> AppResult<Principal> {
        self.verify_until(token).map(|(p, _)| p)
    }

    /// Like `verify`, with the token's expiry (seconds since the epoch), for connections that
    /// outlive a request (subscriptions end when their token does).
    pub fn verify_until(&self, token: &str) -> AppResult<(Principal, u64)> {
        use jsonwebtoken::errors::ErrorKind as K;
        let data = jsonwebtoken::decode::<Claims>(token.trim(), &self.key, &self.validation)
            .map_err(|e| {
                let why = match e.kind() {
                    K::ExpiredSignature => "the token has expired",
                    K::ImmatureSignature => "the token is not valid yet (nbf)",
                    K::InvalidIssuer => "the token's issuer is not accepted",
                    K::InvalidAudience => "the token's audience is not accepted",
                    K::InvalidAlgorithm => "the token's algorithm is not accepted",
                    K::InvalidSignature => "the token's signature does not verify",
                    K::MissingRequiredClaim(_) | K::InvalidClaimFormat(_) | K::Json(_) => {
                        "the token's claims are missing or malformed"
                    }
                    _ => "the token is malformed",
                };
                AppError::Unauthenticated(why.to_string())
            })?;
        let claims = data.claims;
        let role = Role::parse(&claims.role).ok_or_else(|| {
            AppError::Unauthenticated(format!(
                "unknown role {:?}; roles are admin, viewer, lead, integration, partner",
                claims.role
            ))
        })?;
        if claims.sub.trim().is_empty() {
            return Err(AppError::Unauthenticated(
                "the token's `sub` is empty".into(),
            ));
        }
        Ok((
            Principal::new(
                claims.sub,
                role,
                claims.name,
                claims.leads,
                claims.workstreams,
                claims.plans,
            ),
            claims.exp,
        ))
    }
}

/// What `plan-api token` (and tests) ask for.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub sub: String,
    pub role: Role,
    pub name: Option<String>,
    pub leads: Vec<String>,
    pub workstreams: Vec<String>,
    pub plans: Vec<String>,
    pub ttl: std::time::Duration,
}

impl Issuer {
    pub fn issue(&self, req: &TokenRequest) -> AppResult<String> {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: req.sub.clone(),
            role: req.role.as_str().to_string(),
            name: req.name.clone(),
            leads: req.leads.clone(),
            workstreams: req.workstreams.clone(),
            plans: (!req.plans.is_empty()).then(|| req.plans.clone()),
            exp: now + req.ttl.as_secs(),
            iat: now,
            nbf: Some(now),
            iss: self.issuer.clone(),
            aud: AudienceClaim::One(self.audience.clone()),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.key)
            .map_err(AppError::internal)
    }
}

/// Parses `8h`, `30m`, `7d`, `90s` or plain seconds.
pub fn parse_ttl(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 8h, 30m, 7d"))?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(format!("{s:?}: the unit must be s, m, h or d")),
    };
    if secs == 0 || secs > 366 * 86_400 {
        return Err(format!("{s:?}: a token lives between 1 second and a year"));
    }
    Ok(std::time::Duration::from_secs(secs))
}

/// Now, in seconds since the epoch, as token expiries are written.
pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls_parse() {
        assert_eq!(parse_ttl("8h").map(|d| d.as_secs()), Ok(28_800));
        assert_eq!(parse_ttl("90").map(|d| d.as_secs()), Ok(90));
        assert_eq!(parse_ttl("7d").map(|d| d.as_secs()), Ok(604_800));
        assert!(parse_ttl("0s").is_err());
        assert!(parse_ttl("5y").is_err());
        assert!(parse_ttl("h").is_err());
    }

    #[test]
    fn short_secrets_are_refused() {
        let s = AuthSettings {
            key: KeySource::Secret("short".into()),
            issuer: "plan-api".into(),
            audience: "plan-api".into(),
        };
        assert!(s.verifier().is_err());
    }

    #[test]
    fn generated_secret_is_kept_owner_only() {
        let dir = std::env::temp_dir().join(format!("plan-api-secret-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let a = generated_secret(&dir).expect("generate");
        let b = generated_secret(&dir).expect("reread");
        assert_eq!(a.expose_secret(), b.expose_secret());
        assert!(a.expose_secret().len() >= MIN_SECRET_BYTES);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(SECRET_FILE))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
