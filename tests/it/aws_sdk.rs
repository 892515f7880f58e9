//! Role chaining with real SDKs (issue 12): every rendered AWS config profile of the example
//! fleet, run end to end with boto3, the AWS CLI and the AWS SDK for JavaScript v3 against a
//! local STS (moto's server on 127.0.0.1, started here and stopped on drop) and a fake EKS Pod
//! Identity agent (in `tests/aws/sdk_cases.py`, which drives the SDKs). Checks the final
//! identity, the AssumeRole calls STS receives (role ARN, session name, no tags sent by the pod:
//! the Pod Identity tags are transitive, and who signed the call), and that the failure paths
//! (token missing, agent answering 500) fail in every SDK instead of falling back to the source
//! role. Also shows the precedence rule that made the earlier IRSA profiles wrong.
//!
//! Needs `EKSVEND_PYTHON` (a Python with moto[server], boto3 and awscli: `.ci/aws-tools`) and,
//! for JS, `EKSVEND_JS_SDK` (a directory with `node_modules/@aws-sdk/client-sts`). Without them
//! the test says so and passes; with `CI=true` it fails.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::{read_tree, Test};

/// The tool named by `var`, or `None` (with a message) when it is not set outside CI.
///
/// # Panics
/// With `CI=true` and `var` unset, or when `var` names a path that does not exist.
pub fn tool(var: &str, what: &str) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(p) => {
            let p = PathBuf::from(p);
            assert!(p.exists(), "{var}={} does not exist", p.display());
            Some(p)
        }
        None if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{var} is not set: CI must provide {what} (.ci/aws-tools, exported by .ci/run)")
        }
        None => {
            note(format_args!("skipped: set {var} to run this test with {what} (run .ci/aws-tools, then export {var} as .ci/run does)"));
            None
        }
    }
}

/// moto's server on a free port of 127.0.0.1, recording every request; killed on drop.
struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    fn start(python: &Path, recording: &Path) -> Moto {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(python)
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .env("MOTO_ENABLE_RECORDING", "True")
            .env("MOTO_RECORDER_FILEPATH", recording)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let moto = Moto { child, port };
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "moto did not listen on 127.0.0.1:{port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One profile of a rendered config file.
struct Case {
    name: String,
    config: String,
    profile: String,
    mode: &'static str,
    source_role: String,
    namespace: String,
    service_account: String,
    cluster_arn: String,
    target: String,
    session: String,
}

/// `[profile name]` → its `key = value` lines.
fn profiles(config: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut out: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for line in config.lines() {
        if let Some(name) = line
            .strip_prefix("[profile ")
            .and_then(|l| l.strip_suffix(']'))
        {
            out.push((name.to_string(), Vec::new()));
        } else if let (Some((k, v)), Some(last)) = (line.split_once(" = "), out.last_mut()) {
            last.1.push((k.to_string(), v.to_string()));
        }
    }
    out
}

/// Every target profile of every rendered chaining config of the example fleet.
fn cases(out: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    for (path, bytes) in read_tree(out) {
        if !path.ends_with("configmap.yaml") || !path.contains("/aws-chaining/") {
            continue;
        }
        let parts: Vec<&str> = path.split('/').collect();
        let (account, namespace, sa) = (parts[0], parts[2], parts[4]);
        let cm: serde_yaml::Value = serde_yaml::from_slice(&bytes).unwrap();
        let config = cm["data"]["config"].as_str().unwrap().to_string();
        let role: Value = serde_json::from_slice(
            &std::fs::read(out.join(format!("{account}/iam/{namespace}/{sa}/role.json"))).unwrap(),
        )
        .unwrap();
        let mode = if config.contains("web_identity_token_file") {
            "irsa"
        } else {
            "podIdentity"
        };
        for (profile, kv) in profiles(&config) {
            let get = |k: &str| kv.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
            if get("source_profile").is_none() && get("credential_source").is_none() {
                continue; // the IRSA source profile itself
            }
            cases.push(Case {
                name: format!("{account}-{namespace}-{sa}-{profile}"),
                config: config.clone(),
                profile: profile.clone(),
                mode,
                source_role: role["roleArn"].as_str().unwrap().to_string(),
                namespace: namespace.to_string(),
                service_account: sa.to_string(),
                cluster_arn: role["cluster"].as_str().unwrap().to_string(),
                target: get("role_arn").unwrap(),
                session: get("role_session_name").unwrap(),
            });
        }
    }
    cases
}

fn case_json(c: &Case, name: &str, config: &str, failure: Option<&str>) -> Value {
    json!({
        "name": name, "config": config, "profile": c.profile, "mode": c.mode,
        "source_role": c.source_role, "namespace": c.namespace,
        "service_account": c.service_account, "cluster_arn": c.cluster_arn, "failure": failure,
    })
}

/// `arn:aws:sts::<account>:assumed-role/<role>/<session>` of a role ARN.
fn assumed(role_arn: &str, session: &str) -> String {
    let account = role_arn.split(':').nth(4).unwrap();
    let name = role_arn.rsplit('/').next().unwrap();
    format!("arn:aws:sts::{account}:assumed-role/{name}/{session}")
}

#[test]
fn every_chaining_profile_reaches_its_target_with_every_sdk() {
    let Some(python) = tool("EKSVEND_PYTHON", "moto[server], boto3 and the AWS CLI") else {
        return;
    };
    let js = tool("EKSVEND_JS_SDK", "the AWS SDK for JavaScript v3");
    let t = Test::new();
    t.render("out").success();
    let all = cases(&t.path("out"));
    assert!(
        all.iter().any(|c| c.mode == "irsa") && all.iter().any(|c| c.mode == "podIdentity"),
        "both modes are rendered"
    );
    // The AWS CLI is botocore again (and slow to start): it runs the first profile of each mode,
    // the failure paths and the precedence case; boto3 and JS v3 run every profile.
    let with_cli = |c: &Case| {
        all.iter()
            .find(|o| o.mode == c.mode)
            .is_some_and(|o| o.name == c.name)
    };
    let mut input = Vec::new();
    for c in &all {
        let mut case = case_json(c, &c.name, &c.config, None);
        if !with_cli(c) {
            case["sdks"] = json!(["boto3", "js"]);
        }
        input.push(case);
    }
    // Failure paths, once per mode.
    let pod = all.iter().find(|c| c.mode == "podIdentity").unwrap();
    let irsa = all.iter().find(|c| c.mode == "irsa").unwrap();
    input.push(case_json(
        pod,
        "fail-token-missing",
        &pod.config,
        Some("token-missing"),
    ));
    input.push(case_json(
        pod,
        "fail-agent-500",
        &pod.config,
        Some("agent-500"),
    ));
    input.push(case_json(
        irsa,
        "fail-irsa-token-missing",
        &irsa.config,
        Some("token-missing"),
    ));
    // The precedence rule: a target profile with its own web_identity_token_file (what eksvend
    // rendered before) loses to the webhook's AWS_ROLE_ARN in botocore and the AWS CLI.
    let legacy = format!(
        "[profile {}]\nrole_arn = {}\nweb_identity_token_file = /var/run/secrets/eks.amazonaws.com/serviceaccount/token\nrole_session_name = {}\n",
        irsa.profile, irsa.target, irsa.session
    );
    input.push(case_json(irsa, "legacy-irsa-profile", &legacy, None));

    let recording = t.path("moto-recording.jsonl");
    let moto = Moto::start(&python, &recording);
    t.file(
        "cases.json",
        &json!({
            "sts": format!("http://127.0.0.1:{}", moto.port),
            "recording": recording,
            "js": js,
            "work": t.path(""),
            "cases": input,
        })
        .to_string(),
    );
    let out = Command::new(&python)
        .arg(crate::support::root().join("tests/aws/sdk_cases.py"))
        .arg(t.path("cases.json"))
        .output()
        .unwrap();
    drop(moto);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let sdks: &[&str] = if js.is_some() {
        &["boto3", "cli", "js"]
    } else {
        &["boto3", "cli"]
    };
    let result = |case: &str, sdk: &str| {
        results
            .iter()
            .find(|r| r["case"] == case && r["sdk"] == sdk)
            .unwrap_or_else(|| panic!("no result for {case} with {sdk}"))
    };
    let mut ran = 0;
    for c in &all {
        for sdk in sdks {
            if *sdk == "cli" && !with_cli(c) {
                continue;
            }
            let r = result(&c.name, sdk);
            assert_eq!(
                r["arn"].as_str(),
                Some(assumed(&c.target, &c.session).as_str()),
                "{} with {sdk}: {r}",
                c.name
            );
            let calls = r["calls"].as_array().unwrap();
            let chained: Vec<&Value> = calls
                .iter()
                .filter(|p| p["Action"] == "AssumeRole")
                .collect();
            assert_eq!(chained.len(), 1, "{} with {sdk}: {calls:?}", c.name);
            let call = chained[0];
            assert_eq!(call["RoleArn"], c.target.as_str(), "{}", c.name);
            assert_eq!(call["RoleSessionName"], c.session.as_str(), "{}", c.name);
            assert!(c.session.len() <= 64);
            assert!(
                call.as_object()
                    .unwrap()
                    .keys()
                    .all(|k| !k.starts_with("Tags")),
                "{}: the pod sends no tags, EKS's are transitive: {call}",
                c.name
            );
            if c.mode == "podIdentity" {
                // The chained call is signed with the agent's credentials (the source role).
                assert_eq!(call["SignedBy"], r["agent_key"], "{} with {sdk}", c.name);
            } else {
                let web: Vec<&Value> = calls
                    .iter()
                    .filter(|p| p["Action"] == "AssumeRoleWithWebIdentity")
                    .collect();
                assert_eq!(web.len(), 1, "{}: {calls:?}", c.name);
                assert_eq!(web[0]["RoleArn"], c.source_role.as_str());
            }
            ran += 1;
        }
    }
    for case in [
        "fail-token-missing",
        "fail-agent-500",
        "fail-irsa-token-missing",
    ] {
        for sdk in sdks {
            let r = result(case, sdk);
            assert!(
                r.get("arn").is_none() && r["error"].is_string(),
                "{case} with {sdk} must fail, not fall back: {r}"
            );
            ran += 1;
        }
    }
    // botocore and the AWS CLI: the webhook's AWS_ROLE_ARN wins over the profile's role_arn —
    // the pod silently stays its own role; JS v3 takes the profile's.
    for sdk in ["boto3", "cli"] {
        let r = result("legacy-irsa-profile", sdk);
        assert_eq!(
            r["arn"].as_str(),
            Some(assumed(&irsa.source_role, &irsa.session).as_str()),
            "{r}"
        );
    }
    if js.is_some() {
        let r = result("legacy-irsa-profile", "js");
        assert_eq!(
            r["arn"].as_str(),
            Some(assumed(&irsa.target, &irsa.session).as_str()),
            "{r}"
        );
    }
    note(format_args!(
        "SDK cases: {} profiles x {} SDKs, {ran} checked (+ the legacy precedence case)",
        all.len(),
        sdks.len()
    ));
}

/// A note on the test's stderr (cargo test shows it with --nocapture or on failure).
#[allow(
    clippy::print_stderr,
    reason = "a skipped test says why, and a test reports what it measured"
)]
pub fn note(text: impl std::fmt::Display) {
    eprintln!("{text}");
}
