//! TODO(helper): `password-check` defense module.
