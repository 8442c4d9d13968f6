//! Brute-force protections: password attempts per account and source
//! (shared by every instance through PostgreSQL), and bursts per client
//! address.

use crate::helpers::{TestApp, cookie_value, error_of};

fn strict(env: &mut gokart_edge::Env) {
    env.set("LOGIN_FAILURE_LIMIT", "3");
    env.set("LOGIN_ACCOUNT_FAILURE_LIMIT", "5");
    env.set("TRUSTED_PROXY_HOPS", "1");
    env.set("AUTH_RATE_LIMIT_PER_MINUTE", "1000");
}

/// `POST /api/v1/auth/login` as a client at `from`, with an optional
/// `device_token` cookie.
async fn login_from(
    app: &TestApp,
    from: &str,
    device: Option<&str>,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", from)
        .json(&serde_json::json!({"email": email, "password": password}));
    if let Some(device) = device {
        request = request.header("cookie", format!("device_token={device}"));
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn concurrent_guesses_never_get_past_the_limit() {
    let app = TestApp::spawn_with(
        |env| {
            env.set("LOGIN_FAILURE_LIMIT", "5");
            env.set("AUTH_RATE_LIMIT_PER_MINUTE", "1000");
            env.set("PASSWORD_MAX_IN_FLIGHT", "100");
        },
        Default::default(),
    )
    .await;
    let user = app.register_user().await;

    let mut attempts = tokio::task::JoinSet::new();
    for i in 0..24 {
        let (client, url) = (app.client.clone(), app.url("/api/v1/auth/login"));
        let body = serde_json::json!({"email": user.email, "password": format!("guess {i}")});
        attempts.spawn(async move {
            client.post(url).json(&body).send().await.unwrap().status().as_u16()
        });
    }
    let statuses = attempts.join_all().await;
    let right_password = app.login(&user.email, &user.password).await;

    let verified = statuses.iter().filter(|status| **status == 401).count();
    assert_eq!(verified, 5, "exactly the limit is verified: {statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 19, "{statuses:?}");
    assert_eq!(right_password.status(), 429, "this source has used its attempts");
}

#[tokio::test]
async fn repeated_failures_from_one_source_are_refused_across_two_instances() {
    let first = TestApp::spawn_with(strict, Default::default()).await;
    let second = first.spawn_sibling(strict).await;
    let user = first.register_user().await;

    // Failures alternate between the two instances; the count is shared.
    assert_eq!(login_from(&first, "203.0.113.1", None, &user.email, "wrong 1").await.status(), 401);
    assert_eq!(
        login_from(&second, "203.0.113.1", None, &user.email, "wrong 2").await.status(),
        401
    );
    assert_eq!(login_from(&first, "203.0.113.1", None, &user.email, "wrong 3").await.status(), 401);
    let locked = login_from(&second, "203.0.113.1", None, &user.email, &user.password).await;

    let retry_after: u64 = locked.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=15 * 60).contains(&retry_after), "{retry_after}");
    assert_eq!(error_of(locked, 429).await.code, "rate_limited");
}

#[tokio::test]
async fn someone_elses_failures_do_not_lock_the_owner_out() {
    let app = TestApp::spawn_with(strict, Default::default()).await;
    let user = app.register_user().await;
    for attempt in 0..4 {
        login_from(&app, "198.51.100.7", None, &user.email, &format!("guess {attempt}")).await;
    }
    let attacker = login_from(&app, "198.51.100.7", None, &user.email, &user.password).await;

    let owner = login_from(&app, "203.0.113.20", None, &user.email, &user.password).await;

    assert_eq!(attacker.status(), 429, "the guessing source is refused");
    assert_eq!(owner.status(), 200, "another source signs in");
}

#[tokio::test]
async fn a_browser_that_signed_in_before_passes_the_account_wide_ceiling() {
    let app = TestApp::spawn_with(strict, Default::default()).await;
    let user = app.register_user().await;
    let signed_in = login_from(&app, "203.0.113.20", None, &user.email, &user.password).await;
    let device = cookie_value(&signed_in, "device_token").expect("a device cookie is set");
    // A distributed guesser: two sources use up the account-wide ceiling of 5.
    for (source, guesses) in [("198.51.100.1", 3), ("198.51.100.2", 2)] {
        for guess in 0..guesses {
            let response = login_from(&app, source, None, &user.email, &format!("g{guess}")).await;
            assert_eq!(response.status(), 401);
        }
    }

    let fresh_source = login_from(&app, "198.51.100.3", None, &user.email, &user.password).await;
    let forged =
        login_from(&app, "198.51.100.3", Some("forged"), &user.email, &user.password).await;
    let owner = login_from(&app, "198.51.100.4", Some(&device), &user.email, &user.password).await;

    assert_eq!(error_of(fresh_source, 429).await.code, "rate_limited");
    assert_eq!(forged.status(), 429, "an unknown device cookie earns nothing");
    assert_eq!(owner.status(), 200, "the owner's browser is not held by the ceiling");
}

#[tokio::test]
async fn a_device_cookie_works_only_for_its_own_account() {
    let app = TestApp::spawn_with(strict, Default::default()).await;
    let owner = app.register_user().await;
    let victim = app.register_user().await;
    let signed_in = login_from(&app, "203.0.113.20", None, &owner.email, &owner.password).await;
    let device = cookie_value(&signed_in, "device_token").unwrap();
    for guess in 0..5 {
        let source = format!("198.51.100.{guess}");
        login_from(&app, &source, None, &victim.email, "guess").await;
    }

    let borrowed =
        login_from(&app, "203.0.113.20", Some(&device), &victim.email, &victim.password).await;

    assert_eq!(borrowed.status(), 429, "the ceiling holds for a device of another account");
}

#[tokio::test]
async fn the_count_starts_again_once_the_window_passes() {
    let app = TestApp::spawn_with(strict, Default::default()).await;
    let user = app.register_user().await;
    for _ in 0..4 {
        login_from(&app, "198.51.100.7", None, &user.email, "wrong").await;
    }
    sqlx::query("UPDATE login_throttle SET window_started_at = now() - interval '16 minutes'")
        .execute(&app.db)
        .await
        .unwrap();

    let later = login_from(&app, "198.51.100.7", None, &user.email, &user.password).await;

    assert_eq!(later.status(), 200);
}

#[tokio::test]
async fn unknown_emails_are_refused_the_same_way() {
    let app = TestApp::spawn_with(strict, Default::default()).await;
    for _ in 0..3 {
        assert_eq!(app.login("nobody@example.com", "guess").await.status(), 401);
    }

    let locked = app.login("nobody@example.com", "guess").await;

    assert_eq!(locked.status(), 429, "limits do not reveal which emails have accounts");
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

/// Two sign-in attempts per client a minute, behind one trusted proxy.
fn two_a_minute_behind_a_proxy(env: &mut gokart_edge::Env) {
    env.set("AUTH_RATE_LIMIT_PER_MINUTE", "2");
    env.set("TRUSTED_PROXY_HOPS", "1");
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_address_counts_alone() {
    let app = TestApp::spawn_with(two_a_minute_behind_a_proxy, Default::default()).await;
    let attempt = |forwarded: &'static str| {
        login_from(&app, forwarded, None, "a@example.com", "whatever it is")
    };
    assert_eq!(attempt("203.0.113.1").await.status(), 401);
    assert_eq!(attempt("203.0.113.1").await.status(), 401);

    let spoofed = attempt("198.51.100.9, 203.0.113.1").await;
    let other_client = attempt("203.0.113.2").await;

    assert_eq!(
        spoofed.status(),
        429,
        "a client cannot escape by writing its own X-Forwarded-For entry"
    );
    assert_eq!(other_client.status(), 401, "another client is not limited");
}

#[tokio::test]
async fn addresses_of_one_ipv6_64_count_as_one_client() {
    let app = TestApp::spawn_with(two_a_minute_behind_a_proxy, Default::default()).await;
    for host in ["2001:db8:7:7::1", "2001:db8:7:7::2"] {
        assert_eq!(
            login_from(&app, host, None, "a@example.com", "whatever it is").await.status(),
            401
        );
    }

    let same_64 =
        login_from(&app, "2001:db8:7:7:ffff::3", None, "a@example.com", "whatever it is").await;
    let other_64 =
        login_from(&app, "2001:db8:7:8::1", None, "a@example.com", "whatever it is").await;

    assert_eq!(same_64.status(), 429, "rotating through a /64 is one client");
    assert_eq!(other_64.status(), 401);
}
