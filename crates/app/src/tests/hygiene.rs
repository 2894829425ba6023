//! Form fields that are not UTF-8 get a 400 naming the field, in every
//! profile, instead of being read with U+FFFD in place of their bytes.

use axum::http::StatusCode;

use super::*;

#[tokio::test]
async fn a_new_password_that_is_not_utf8_is_refused_by_name_not_collapsed() {
    for name in ProfileName::ALL {
        let (router, info) = app(&builtin(name));
        let mut alice = Visitor::new(&router, &info);
        alice.log_in_as_alice().await;
        alice.get("/account/password").await;
        let reply = alice
            .post(
                "/account/password",
                "current_password=wonderland&new_password=%FF%FE%FD%FC%FB%FA%F9%F8",
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{name}: {}",
            reply.body
        );
        assert!(
            reply.body.contains("`new_password` is not valid UTF-8"),
            "{name}: {}",
            reply.body
        );
        // The password is unchanged: the old one still signs in.
        let mut again = Visitor::new(&router, &info);
        again.log_in_as_alice().await;
    }
}

#[tokio::test]
async fn a_login_field_that_is_not_utf8_is_named() {
    for name in ProfileName::ALL {
        let (router, info) = app(&builtin(name));
        let mut visitor = Visitor::new(&router, &info);
        visitor.get("/login").await;
        let reply = visitor.post("/login", "username=alice&password=%C3").await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{name}: {}",
            reply.body
        );
        assert!(reply.body.contains("`password`"), "{name}: {}", reply.body);
    }
}
