//! Demo accounts. (Contract stub.)
#[derive(Debug, Clone, serde::Serialize)]
pub struct DemoAccount {
    pub username: String,
    pub password: String,
}
