//! TODO(helper): `origin-check` defense module.
