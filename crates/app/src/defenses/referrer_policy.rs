//! TODO(helper): `referrer-policy` defense module.
