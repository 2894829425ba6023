//! One module per defense, each next to the weakness it replaces.
//!
//! Every module answers one question ("is this defense on in the running
//! profile?") with `profile.has(Defense::X)` and holds both behaviours, so the
//! handlers never look at a profile's name. Read them one at a time: each fits
//! on one screen.
//!
//! Two named exceptions also read the profile's name, because the tutorial
//! profile must do what the seed's Express code really does, which neither
//! the insecure nor the hardened behaviour is:
//! - `referrer_policy`, weak side: insecure sends `unsafe-url`, the tutorial
//!   sends no `Referrer-Policy` at all (Express sets none), so the browser's
//!   default applies;
//! - `signed_cookie`, where the key comes from: the tutorial derives it from
//!   `SESSION_SECRET` as the seed does (so it is only as strong as that
//!   secret), hardened takes 64 random bytes at every start.

pub mod absolute_timeout;
pub mod cookie_only_ids;
pub mod csp;
pub mod csrf_token;
pub mod escape_output;
pub mod host_prefix;
pub mod hsts;
pub mod http_only;
pub mod idle_timeout;
pub mod log_out_everywhere;
pub mod origin_check;
pub mod password_check;
pub mod random_ids;
pub mod referrer_policy;
pub mod revoke_on_password_change;
pub mod rotate_id_at_login;
pub mod same_site_strict;
pub mod secure_cookie;
pub mod separate_session_keys;
pub mod server_logout;
pub mod signed_cookie;
pub mod strict_ids;
pub mod tls;
