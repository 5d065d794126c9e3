//! Pathological input: a post of a URL followed by tens of thousands of `)`, two at once,
//! with `/health` probed meanwhile (text parsing on the request path can hold the
//! runtime's workers).

use super::launch::Launch;
use super::probe::{between, secs, summary, Prober};
use super::{Env, Figures};
use crate::dataset::Shape;
use std::time::{Duration, Instant};

pub async fn run(env: &Env, figs: &mut Figures) -> anyhow::Result<()> {
    // With the default character limit the text may be refused before it is parsed; with
    // a limit above its length the parser must run.
    let above = env.opts.parens + 100;
    once(env, figs, "default limit", &[]).await?;
    once(
        env,
        figs,
        &format!("--max-status-chars {above}"),
        &["--max-status-chars".into(), above.to_string()],
    )
    .await
}

async fn once(
    env: &Env,
    figs: &mut Figures,
    setup: &str,
    server_args: &[String],
) -> anyhow::Result<()> {
    let name = if server_args.is_empty() {
        "default"
    } else {
        "raised"
    };
    let data = env.dir.join(format!("{name}-data"));
    std::fs::create_dir_all(&data)?;
    let shape = Shape::accounts_only(2);
    let built = super::build_data(&data.join("roost.sqlite"), &shape, "local", 0, "u", 1).await?;
    let mut launch = Launch::local(&env.bin, &data, env.dir.join(format!("{name}.log")));
    launch.args.extend(server_args.iter().cloned());
    let srv = launch.start().await?;
    let base = srv.base.clone();
    let text = format!("https://a.example/{}", ")".repeat(env.opts.parens));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()?;
    let prober = Prober::start(&base, Duration::from_millis(50), Duration::from_secs(30));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cpu_before = srv.sample();
    let t0 = Instant::now();
    let tasks: Vec<_> = built.tokens[..2]
        .iter()
        .map(|tok| {
            let req = http
                .post(format!("{base}/api/v1/statuses"))
                .bearer_auth(tok)
                .json(&serde_json::json!({ "status": text }));
            tokio::spawn(async move {
                let t = Instant::now();
                let r = req.send().await;
                let code = match r {
                    Ok(r) => {
                        let c = r.status().as_u16().to_string();
                        let _ = r.bytes().await;
                        c
                    }
                    Err(e) => format!("no answer ({e})"),
                };
                (t.elapsed(), code)
            })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await?);
    }
    let took = t0.elapsed();
    let cpu_after = srv.sample();
    let samples = prober.finish().await;
    srv.term().await?;
    figs.add(
        &format!(
            "two posts of a URL + {} `)` at once, {setup}",
            env.opts.parens
        ),
        format!(
            "{} ({} chars each); server CPU {:.2} s meanwhile",
            answers
                .iter()
                .map(|(d, c)| format!("{c} in {}", secs(*d)))
                .collect::<Vec<_>>()
                .join(", "),
            text.chars().count(),
            cpu_before.cpu_us_until(&cpu_after) / 1e6
        ),
        "8 s CPU",
    );
    figs.add(
        &format!("GET /health meanwhile, {setup}"),
        summary(&between(&samples, t0, t0 + took)),
        "held 7.9 s",
    );
    Ok(())
}
