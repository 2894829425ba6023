//! From a cookie value to the bytes the analysis measures: URL-unescaped,
//! the signature of a signed cookie stripped (it is derived from the ID, so
//! it adds no entropy), then hex or base64 decoded.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use serde::Serialize;

/// How a token was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    Hex,
    Base64,
    Base64Url,
    /// Not hex or base64: the characters' own bytes.
    Text,
}

/// A signed-cookie format whose signature was stripped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Signed {
    /// express / cookie-signature: `s:<id>.<base64 HMAC>`.
    Express,
    /// The lab's tower-sessions signed cookie: a 44-character HMAC, then the 22-character ID.
    TowerSessions,
}

/// One token, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The part of the value that is the ID (signature stripped).
    pub id: String,
    pub bytes: Vec<u8>,
    pub encoding: Encoding,
    pub signed: Option<Signed>,
}

/// Percent-decodes `%XX` (cookie values are often URL-encoded: `s%3A...`).
fn unescape(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(byte) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The ID inside a signed cookie, and which format it was.
fn strip_signature(value: &str) -> (&str, Option<Signed>) {
    if let Some(rest) = value.strip_prefix("s:")
        && let Some((id, _signature)) = rest.rsplit_once('.')
    {
        return (id, Some(Signed::Express));
    }
    if value.len() == 66 && value.is_ascii() && URL_SAFE_NO_PAD.decode(&value[44..]).is_ok() {
        return (&value[44..], Some(Signed::TowerSessions));
    }
    (value, None)
}

/// Decodes one cookie value on its own (the encoding its characters allow,
/// hex first). A sample is decoded with [`decode_all`], one encoding for all.
pub fn decode(value: &str) -> Decoded {
    decode_all(std::slice::from_ref(&value.to_string()))
        .pop()
        .expect("one token in, one out")
}

/// The encodings tried, in order: the first that reads every token wins, so
/// base64 IDs that happen to use only hex digits are not read as hex.
const ENCODINGS: [Encoding; 3] = [Encoding::Hex, Encoding::Base64Url, Encoding::Base64];

fn decode_as(encoding: Encoding, id: &str) -> Option<Vec<u8>> {
    match encoding {
        Encoding::Hex => (id.len() >= 2
            && id.len().is_multiple_of(2)
            && id.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| hex(id)),
        Encoding::Base64Url => URL_SAFE_NO_PAD
            .decode(id)
            .or_else(|_| URL_SAFE.decode(id))
            .ok(),
        Encoding::Base64 => STANDARD_NO_PAD
            .decode(id)
            .or_else(|_| STANDARD.decode(id))
            .ok(),
        Encoding::Text => Some(id.as_bytes().to_vec()),
    }
}

/// Decodes a sample of cookie values with one encoding: the first of hex,
/// base64url and base64 that reads them all, else their text.
pub fn decode_all(values: &[String]) -> Vec<Decoded> {
    let stripped: Vec<(String, Option<Signed>)> = values
        .iter()
        .map(|value| {
            let unescaped = unescape(value.trim());
            let (id, signed) = strip_signature(&unescaped);
            (id.to_string(), signed)
        })
        .collect();
    let encoding = ENCODINGS
        .into_iter()
        .find(|&encoding| {
            stripped
                .iter()
                .all(|(id, _)| decode_as(encoding, id).is_some())
        })
        .unwrap_or(Encoding::Text);
    stripped
        .into_iter()
        .map(|(id, signed)| Decoded {
            bytes: decode_as(encoding, &id).expect("the encoding reads every token"),
            id,
            encoding,
            signed,
        })
        .collect()
}

/// `bytes` encoded as `sample`'s ID is (case, padding): how an attacker
/// writes an ID he computed. `None` for a signed cookie, whose signature
/// cannot be computed without the key.
pub fn encode_like(sample: &Decoded, bytes: &[u8]) -> Option<String> {
    if sample.signed.is_some() {
        return None;
    }
    let padded = sample.id.ends_with('=');
    Some(match sample.encoding {
        Encoding::Hex => {
            let lower: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            if sample.id.bytes().any(|b| b.is_ascii_uppercase()) {
                lower.to_ascii_uppercase()
            } else {
                lower
            }
        }
        Encoding::Base64Url if padded => URL_SAFE.encode(bytes),
        Encoding::Base64Url => URL_SAFE_NO_PAD.encode(bytes),
        Encoding::Base64 if padded => STANDARD.encode(bytes),
        Encoding::Base64 => STANDARD_NO_PAD.encode(bytes),
        Encoding::Text => String::from_utf8(bytes.to_vec()).ok()?,
    })
}

fn hex(text: &str) -> Vec<u8> {
    text.as_bytes()
        .chunks_exact(2)
        .map(|pair| {
            let digit = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
            digit(pair[0]) << 4 | digit(pair[1])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_express_cookie_loses_its_prefix_and_signature() {
        let token = "s%3AJ9Vq0Xb3u5l8Zp2yK1nQ4rT6wE7aS0dF.Zx1%2Fabc%2Bdef";
        let decoded = decode(token);
        assert_eq!(decoded.signed, Some(Signed::Express));
        assert_eq!(decoded.id, "J9Vq0Xb3u5l8Zp2yK1nQ4rT6wE7aS0dF");
        assert_eq!(decoded.encoding, Encoding::Base64Url);
        assert_eq!(decoded.bytes.len(), 24);
    }

    #[test]
    fn hex_base64_and_the_labs_signed_ids_decode() {
        assert_eq!(decode("00ff10").bytes, [0, 255, 16]);
        assert_eq!(decode("00ff10").encoding, Encoding::Hex);
        let id = URL_SAFE_NO_PAD.encode(1000u128.to_le_bytes());
        assert_eq!(decode(&id).bytes, 1000u128.to_le_bytes());
        assert_eq!(
            encode_like(&decode(&id), &1000u128.to_le_bytes()).as_deref(),
            Some(id.as_str())
        );
        let signed = format!("{}{id}", "a".repeat(44));
        let decoded = decode(&signed);
        assert_eq!(decoded.signed, Some(Signed::TowerSessions));
        assert_eq!(decoded.bytes, 1000u128.to_le_bytes());
        assert_eq!(encode_like(&decoded, &decoded.bytes), None);
        assert_eq!(decode("not base64 !").encoding, Encoding::Text);
        // A base64 ID made of hex digits only stays base64 beside the others.
        let sample = ["6AMAAAAAAAAAAAAAAAAAAA".to_string(), id.clone()];
        assert!(
            decode_all(&sample)
                .iter()
                .all(|d| d.encoding == Encoding::Base64Url)
        );
    }
}
