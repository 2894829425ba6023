//! TODO(helper): `absolute-timeout` defense module.
