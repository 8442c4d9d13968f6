//! The `api` binary itself: start-up errors, migrations, SIGTERM.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{TestDatabase, free_port};

fn api() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_api"));
    // Only what each test sets: no developer api.env, no inherited variables.
    command.env_clear().current_dir(std::env::temp_dir());
    command
}

fn run(command: &mut Command) -> (bool, String) {
    let output = command.output().expect("api runs");
    (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn help_explains_each_command() {
    let output = api().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);

    assert!(output.status.success());
    for command in ["serve", "migrate", "seed"] {
        assert!(help.contains(command), "--help does not mention {command}:\n{help}");
    }
}

#[test]
fn a_missing_database_url_stops_start_up_with_one_line_naming_it() {
    let (ok, stderr) = run(api().arg("serve"));

    assert!(!ok);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
}

#[test]
fn a_malformed_value_is_named() {
    let (ok, stderr) =
        run(api().arg("serve").env("DATABASE_URL", "postgres://x/y").env("PORT", "eighty"));

    assert!(!ok);
    assert!(stderr.contains("PORT") && stderr.contains("eighty"), "{stderr}");
}

#[test]
fn production_refuses_the_development_secret() {
    let (ok, stderr) =
        run(api().arg("serve").env("APP_ENV", "production").env("DATABASE_URL", "postgres://x/y"));

    assert!(!ok);
    assert!(stderr.contains("JWT_SECRET"), "{stderr}");
}

#[test]
fn an_explicit_env_file_is_read() {
    let file = std::env::temp_dir().join(format!("gokart-{}.env", uuid::Uuid::new_v4()));
    std::fs::write(&file, "DATABASE_URL=postgres://x/y\nPORT=not-a-port\n").unwrap();

    let (ok, stderr) = run(api().arg("--env-file").arg(&file).arg("serve"));
    std::fs::remove_file(&file).ok();

    assert!(!ok);
    assert!(stderr.contains("PORT"), "{stderr}");
}

#[tokio::test]
async fn migrate_applies_every_migration() {
    let database = TestDatabase::create().await;
    let fresh = format!("{}_fresh", database.name);
    let pool = sqlx::PgPool::connect(&database.url).await.unwrap();
    sqlx::query(&format!(r#"CREATE DATABASE "{fresh}""#)).execute(&pool).await.unwrap();
    let fresh_url = database.url.replace(&database.name, &fresh);

    let (ok, stderr) = run(api().arg("migrate").env("DATABASE_URL", &fresh_url));
    let fresh_pool = sqlx::PgPool::connect(&fresh_url).await.unwrap();
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&fresh_pool)
        .await
        .unwrap();
    fresh_pool.close().await;
    sqlx::query(&format!(r#"DROP DATABASE "{fresh}" WITH (FORCE)"#)).execute(&pool).await.unwrap();

    assert!(ok, "{stderr}");
    assert_eq!(applied as usize, gokart_api::db::MIGRATOR.iter().count());
}

#[tokio::test]
async fn seed_creates_the_demo_admin_catalog_and_photos_once() {
    let database = TestDatabase::create().await;
    let media = crate::media::TempDir::new();
    let seed = || {
        let mut command = api();
        command.arg("seed").env("DATABASE_URL", &database.url).env("MEDIA_DIR", &media.0);
        command
    };

    let (first, stderr) = run(&mut seed());
    let files = media.files().len();
    let (second, _) = run(&mut seed());
    let pool = sqlx::PgPool::connect(&database.url).await.unwrap();
    // Every product has a photo; a product sold in colours has one per
    // colour, each shown by exactly the variants of that colour.
    let without_photos: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM products p WHERE NOT EXISTS
             (SELECT 1 FROM product_media m WHERE m.product_id = p.id)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let mismatched: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM variant_media vm
         JOIN product_media m ON m.id = vm.media_id
         JOIN product_variants v ON v.id = vm.variant_id
         JOIN product_options o ON o.product_id = v.product_id AND o.name = 'Color'
         WHERE m.alt NOT LIKE '% in ' || v.option_values[o.position + 1]",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let photos: i64 =
        sqlx::query_scalar("SELECT count(*) FROM product_media").fetch_one(&pool).await.unwrap();
    let admins: Vec<(String, String)> =
        sqlx::query_as("SELECT email, role FROM users").fetch_all(&pool).await.unwrap();
    let catalog: (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM categories), (SELECT count(*) FROM products)")
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;

    assert!(first, "{stderr}");
    assert!(second, "seeding twice is harmless");
    assert_eq!(admins, [("admin@example.com".to_owned(), "admin".to_owned())]);
    assert_eq!(catalog, (10, 150), "the demo catalog, loaded once");
    assert_eq!(without_photos, 0);
    assert!(photos > 150, "colours have photos of their own: {photos}");
    assert_eq!(mismatched, 0);
    assert_eq!(media.files().len(), files, "photos, drawn once");
    // The original and the 200 and 600 px renditions of each.
    assert_eq!(files as i64, photos * 3);
}

#[test]
fn production_seeding_refuses_the_default_admin_password() {
    let strong = "k".repeat(40);
    let (ok, stderr) = run(api()
        .arg("seed")
        .env("APP_ENV", "production")
        .env("JWT_SECRET", &strong)
        .env("SERVICE_AUTH_SECRET", &strong)
        .env("DATABASE_URL", "postgres://x/y")
        .env("ADMIN_PASSWORD", "supersecretpassword"));

    assert!(!ok);
    assert!(stderr.contains("ADMIN_PASSWORD"), "{stderr}");
}

/// What production needs besides the database: strong secrets.
fn production(command: &mut Command, database_url: &str) {
    let strong = "k".repeat(40);
    command
        .env("APP_ENV", "production")
        .env("JWT_SECRET", &strong)
        .env("SERVICE_AUTH_SECRET", &strong)
        .env("DATABASE_URL", database_url)
        .env("HOST", "127.0.0.1");
}

#[tokio::test]
async fn production_will_not_serve_while_an_admin_has_the_demo_password() {
    let database = TestDatabase::create().await;
    let (seeded, stderr) =
        run(api().args(["seed", "--no-photos"]).env("DATABASE_URL", &database.url));
    assert!(seeded, "{stderr}");
    let mut serve = api();
    serve.arg("serve").env("PORT", free_port().to_string());
    production(&mut serve, &database.url);

    let (served, stderr) = run(&mut serve);

    assert!(!served);
    assert!(stderr.contains("admin@example.com"), "names the account: {stderr}");
    assert!(stderr.contains("api set-password admin@example.com"), "says how to fix it: {stderr}");
}

#[tokio::test]
async fn set_password_replaces_the_demo_password_so_production_serves() {
    let database = TestDatabase::create().await;
    let (seeded, stderr) =
        run(api().args(["seed", "--no-photos"]).env("DATABASE_URL", &database.url));
    assert!(seeded, "{stderr}");
    let set_password = |password: &str| {
        let mut child = api()
            .args(["set-password", "admin@example.com"])
            .env("DATABASE_URL", &database.url)
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        let output = child.wait_with_output().unwrap();
        (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
    };

    let (demo_again, refusal) = set_password("supersecretpassword");
    let (changed, stderr) = set_password("a much better admin passphrase");
    let port = free_port();
    let mut serve = api();
    serve.arg("serve").env("PORT", port.to_string()).stderr(Stdio::piped());
    production(&mut serve, &database.url);
    let mut server = serve.spawn().unwrap();
    let started = Instant::now();
    let mut ready = false;
    while started.elapsed() < Duration::from_secs(20) && !ready {
        ready = api().arg("healthcheck").env("PORT", port.to_string()).status().unwrap().success();
        if server.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    server.kill().ok();
    let output = server.wait_with_output().unwrap();

    assert!(!demo_again, "the demo password is refused: {refusal}");
    assert!(changed, "{stderr}");
    assert!(ready, "production serves: {}", String::from_utf8_lossy(&output.stderr));
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly() {
    let database = TestDatabase::create().await;
    let port = free_port();
    let mut child = api()
        .arg("serve")
        .env("DATABASE_URL", &database.url)
        .env("PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let ready = wait_until_ready(port).await;
    let startup = started.elapsed();

    let healthy = api().arg("healthcheck").env("PORT", port.to_string()).status().unwrap();

    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let status = wait_with_deadline(&mut child, Duration::from_secs(10));

    assert!(ready, "the API never became ready");
    assert!(healthy.success(), "`api healthcheck` reports a ready API");
    assert!(killed.success());
    assert_eq!(status.map(|s| s.code()), Some(Some(0)), "exit after SIGTERM");
    eprintln!("start-up to ready: {startup:?}");
}

#[test]
fn healthcheck_fails_when_nothing_answers() {
    let port = free_port();

    let status = api().arg("healthcheck").env("PORT", port.to_string()).status().unwrap();

    assert!(!status.success());
}

/// Polls `/readyz` until it answers 200, for at most ten seconds.
async fn wait_until_ready(port: u16) -> bool {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let answer = client.get(format!("http://127.0.0.1:{port}/readyz")).send().await;
        if answer.is_ok_and(|response| response.status() == 200) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

fn wait_with_deadline(
    child: &mut std::process::Child,
    limit: Duration,
) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().ok();
    None
}
