//! TODO(helper): `log-out-everywhere` defense module.
