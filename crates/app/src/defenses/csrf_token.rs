//! TODO(helper): `csrf-token` defense module.
