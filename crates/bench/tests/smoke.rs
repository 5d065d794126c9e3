//! Smoke test: the `tiny` preset end to end, with the bench binary serving the region
//! itself (`roost-bench serve`). It checks that every scenario ran without errors and that
//! the results are written; it asserts nothing about speed.

use serde_json::Value;

#[test]
fn tiny_preset_runs_every_scenario_without_errors() {
    let out = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_roost-bench");
    let run = std::process::Command::new(bin)
        .args([
            "--preset",
            "tiny",
            "--seconds",
            "1",
            "--warmup",
            "0.2",
            "--connections",
            "8",
            "--inter-region-delay-ms",
            "20",
            "--cross-requests",
            "5",
            "--roost-bin",
            bin,
            "--out",
        ])
        .arg(out.path())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "bench failed: {}\n{}\n{}",
        run.status,
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let text = std::fs::read_to_string(out.path().join("results.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let rows = v["rows"].as_array().unwrap();
    let names: Vec<&str> = rows
        .iter()
        .map(|r| r["scenario"].as_str().unwrap())
        .collect();
    for want in [
        "ceiling",
        "home timeline",
        "public timeline",
        "status fetch (counts a view)",
        "account lookup",
        "favourite",
        "reblog",
        "create status (~100 followers)",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    for r in rows {
        assert_eq!(r["errors"], 0, "{r}");
        assert!(r["ok"].as_u64().unwrap() > 0, "{r}");
    }
    assert_eq!(v["open_loop"][0]["errors"], 0, "{}", v["open_loop"]);
    let views = &v["views"];
    assert_eq!(views["mismatched_in_store"], 0, "{views}");
    assert_eq!(views["api_exact"], views["api_checked"], "{views}");
    assert_eq!(v["fanout"]["complete_ms"].as_array().unwrap().len(), 3);
    let cross = v["cross_region"].as_array().unwrap();
    assert_eq!(cross.len(), 4, "{cross:?}");
    for c in cross {
        assert_eq!(c["errors"], 0, "{c}");
    }
    assert!(std::fs::read_to_string(out.path().join("results.md"))
        .unwrap()
        .contains("| home timeline |"));
    assert!(std::fs::read_to_string(out.path().join("results.svg"))
        .unwrap()
        .starts_with("<svg"));
}
