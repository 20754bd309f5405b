//! Authentication and authorisation: bearer JWTs (`token`), the principal and the actions it
//! can see (`principal`), and what each role may change (`policy`).
mod policy;
mod principal;
mod token;

pub use policy::{reach, Operation, Reach};
pub use principal::{Principal, Role};
pub use token::{
    now_secs, parse_ttl, AuthSettings, Claims, Issuer, KeySource, TokenRequest, Verifier,
    LEEWAY_SECONDS, SECRET_FILE,
};
