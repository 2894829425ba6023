//! TODO(helper): `idle-timeout` defense module.
