//! Brute-force protections: per account (shared by every instance through
//! PostgreSQL) and per client address.

use crate::helpers::{TestApp, error_of};

fn strict(env: &mut gokart_edge::Env) {
    env.set("LOGIN_FAILURE_LIMIT", "3");
    env.set("LOGIN_LOCKOUT_BASE", "30s");
}

#[tokio::test]
async fn repeated_failures_slow_the_account_across_two_instances() {
    let first = TestApp::spawn_with(strict, Default::default()).await;
    let second = first.spawn_sibling(strict).await;
    let user = first.register_user().await;

    // Failures alternate between the two instances; the count is shared.
    assert_eq!(first.login(&user.email, "wrong one").await.status(), 401);
    assert_eq!(second.login(&user.email, "wrong two").await.status(), 401);
    assert_eq!(first.login(&user.email, "wrong three").await.status(), 401);
    let locked = second.login(&user.email, &user.password).await;

    let retry_after: u64 = locked.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=31).contains(&retry_after), "{retry_after}");
    assert_eq!(error_of(locked, 429).await.code, "rate_limited");
    assert_eq!(
        first.login(&user.email, &user.password).await.status(),
        429,
        "even the right password waits"
    );
}

#[tokio::test]
async fn the_delay_grows_with_each_further_failure() {
    let app = TestApp::spawn_with(strict, Default::default()).await;
    let user = app.register_user().await;
    for _ in 0..3 {
        app.login(&user.email, "wrong").await;
    }
    // Let the first lockout lapse, then fail once more.
    sqlx::query("UPDATE login_failures SET locked_until = now() - interval '1 second'")
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(app.login(&user.email, "wrong again").await.status(), 401);

    let locked = app.login(&user.email, &user.password).await;

    let retry_after: u64 = locked.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((31..=61).contains(&retry_after), "the second delay doubles: {retry_after}");
}

#[tokio::test]
async fn unknown_emails_are_locked_out_the_same_way() {
    let app = TestApp::spawn_with(strict, Default::default()).await;
    for _ in 0..3 {
        assert_eq!(app.login("nobody@example.com", "guess").await.status(), 401);
    }

    let locked = app.login("nobody@example.com", "guess").await;

    assert_eq!(locked.status(), 429, "lockouts do not reveal which emails have accounts");
}

#[tokio::test]
async fn a_successful_login_resets_the_count() {
    let app = TestApp::spawn_with(strict, Default::default()).await;
    let user = app.register_user().await;
    app.login(&user.email, "wrong").await;
    app.login(&user.email, "wrong").await;
    assert_eq!(app.login(&user.email, &user.password).await.status(), 200);

    app.login(&user.email, "wrong").await;
    app.login(&user.email, "wrong").await;

    assert_eq!(app.login(&user.email, &user.password).await.status(), 200);
}

#[tokio::test]
async fn bursts_from_one_address_are_limited() {
    let app =
        TestApp::spawn_with(|env| env.set("AUTH_RATE_LIMIT_PER_MINUTE", "3"), Default::default())
            .await;
    for attempt in 0..3 {
        let email = format!("burst-{attempt}@example.com");
        assert_eq!(app.register("Burst", &email, "correct horse battery").await.status(), 201);
    }

    let fourth = app.login("burst-0@example.com", "correct horse battery").await;

    assert!(fourth.headers().contains_key("retry-after"));
    assert_eq!(error_of(fourth, 429).await.code, "rate_limited");
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_address_counts_alone() {
    let app = TestApp::spawn_with(
        |env| {
            env.set("AUTH_RATE_LIMIT_PER_MINUTE", "2");
            env.set("TRUSTED_PROXY_HOPS", "1");
        },
        Default::default(),
    )
    .await;
    let login_from = |forwarded: &'static str| {
        app.client
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", forwarded)
            .json(&serde_json::json!({"email": "a@example.com", "password": "whatever it is"}))
            .send()
    };
    assert_eq!(login_from("203.0.113.1").await.unwrap().status(), 401);
    assert_eq!(login_from("203.0.113.1").await.unwrap().status(), 401);

    let spoofed = login_from("198.51.100.9, 203.0.113.1").await.unwrap();
    let other_client = login_from("203.0.113.2").await.unwrap();

    assert_eq!(
        spoofed.status(),
        429,
        "a client cannot escape by writing its own X-Forwarded-For entry"
    );
    assert_eq!(other_client.status(), 401, "another client is not limited");
}
