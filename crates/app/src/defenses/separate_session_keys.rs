//! TODO(helper): `separate-session-keys` defense module.
