//! TODO(helper): `revoke-on-password-change` defense module.
