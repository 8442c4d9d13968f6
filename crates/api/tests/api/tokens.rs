//! Access tokens: every claim is checked, and the algorithm is pinned.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TEST_JWT_SECRET, TestApp, TestUser, error_of};

fn claims_of(user: &TestUser) -> Value {
    let payload = user.access_token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn sign(claims: &Value, algorithm: Algorithm, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

async fn profile_status(app: &TestApp, token: &str) -> u16 {
    app.authed(Method::GET, "/api/v1/users/profile", token).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn a_token_re_signed_with_the_real_key_and_claims_is_accepted() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let claims = claims_of(&user);

    let token = sign(&claims, Algorithm::HS256, TEST_JWT_SECRET);

    assert_eq!(profile_status(&app, &token).await, 200, "the forging below is faithful");
    for claim in ["sub", "sid", "role", "iat", "exp", "iss", "aud"] {
        assert!(claims.get(claim).is_some(), "claim {claim} is present");
    }
}

#[tokio::test]
async fn each_tampered_claim_is_refused() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let now = chrono::Utc::now().timestamp();
    let tamper = |field: &str, value: Value| {
        let mut claims = claims_of(&user);
        claims[field] = value;
        sign(&claims, Algorithm::HS256, TEST_JWT_SECRET)
    };
    let without = |field: &str| {
        let mut claims = claims_of(&user);
        claims.as_object_mut().unwrap().remove(field);
        sign(&claims, Algorithm::HS256, TEST_JWT_SECRET)
    };

    let cases = [
        ("expired", tamper("exp", json!(now - 60))),
        ("wrong issuer", tamper("iss", json!("someone-else"))),
        ("wrong audience", tamper("aud", json!("another-api"))),
        ("another user", tamper("sub", json!(uuid::Uuid::new_v4()))),
        ("unknown session", tamper("sid", json!(uuid::Uuid::new_v4()))),
        ("no expiry", without("exp")),
        ("no audience", without("aud")),
        ("no issuer", without("iss")),
    ];

    for (case, token) in cases {
        assert_eq!(profile_status(&app, &token).await, 401, "{case}");
    }
}

#[tokio::test]
async fn a_wrong_key_or_algorithm_or_alg_none_is_refused() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let claims = claims_of(&user);
    let header_none = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    let mut flipped = user.access_token.clone().into_bytes();
    let last = flipped.len() - 2;
    flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };

    let cases = [
        ("alg none", format!("{header_none}.{payload}.")),
        ("HS512 with the right key", sign(&claims, Algorithm::HS512, TEST_JWT_SECRET)),
        ("another key", sign(&claims, Algorithm::HS256, "some-other-secret-of-enough-length")),
        ("altered signature", String::from_utf8(flipped).unwrap()),
        ("garbage", "not.a.token".to_owned()),
    ];

    for (case, token) in cases {
        let response =
            app.authed(Method::GET, "/api/v1/users/profile", &token).send().await.unwrap();
        assert_eq!(error_of(response, 401).await.code, "unauthorized", "{case}");
    }
}

#[tokio::test]
async fn a_role_claim_is_not_trusted_over_the_database() {
    let app = TestApp::spawn().await;
    let admin = app.create_admin().await;
    let user = app.register_user().await;
    let mut claims = claims_of(&user);
    claims["role"] = json!("admin");
    let forged = sign(&claims, Algorithm::HS256, TEST_JWT_SECRET);
    let demoted_token = admin.access_token.clone();
    sqlx::query("UPDATE users SET role = 'user' WHERE email = $1")
        .bind(&admin.email)
        .execute(&app.db)
        .await
        .unwrap();

    let with_forged_role =
        app.authed(Method::GET, "/api/v1/admin/users", &forged).send().await.unwrap();
    let after_demotion =
        app.authed(Method::GET, "/api/v1/admin/users", &demoted_token).send().await.unwrap();

    assert_eq!(with_forged_role.status(), 403);
    assert_eq!(after_demotion.status(), 403);
}
