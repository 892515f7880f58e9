//! A real Kubernetes control plane for the cluster tests (issue 11), and the two GitOps engines'
//! apply order emulated on it with `kubectl`.
//!
//! The control plane is `../shared/k8s/control-plane` (etcd + kube-apiserver v1.32 +
//! kube-controller-manager), found through the envtest variable `KUBEBUILDER_ASSETS` (its
//! `bin/` folder; the script and the upstream CRDs are beside it; the CRDs of `tests/crds/` are
//! installed too, and replace the shared CRDs of a chart they hold CRDs of: [`crd_set`]). Without the variable the tests
//! print why and return; with `CI=true` they fail instead. Each [`ControlPlane`] lives in its own
//! temporary directory and is stopped in `Drop` — also when the test panics.
//!
//! No Argo CD or Flux controller runs: [`flux`] and [`argocd`] apply a vended repository the way
//! each engine documents it, every object through the real API server (schemas, CEL, admission,
//! RBAC and impersonation included).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{json, Value};

/// The envtest convention for where the binaries are.
pub const ASSETS_VAR: &str = "KUBEBUILDER_ASSETS";

/// The assets folder, or `None` (after saying why) when the tests should not run here.
///
/// # Panics
/// With `CI=true` and no `KUBEBUILDER_ASSETS`: CI must run these tests, not skip them.
#[allow(clippy::print_stderr, reason = "a skipped test says why")]
pub fn assets() -> Option<PathBuf> {
    match std::env::var_os(ASSETS_VAR) {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{ASSETS_VAR} is not set, and CI=true: the cluster tests must run in CI \
                 (.ci/run sets {ASSETS_VAR} to ../shared/k8s/bin)"
            );
            eprintln!(
                "skipped: set {ASSETS_VAR} to the folder holding kube-apiserver and etcd \
                 (e.g. ../shared/k8s/bin) to run the cluster tests"
            );
            None
        }
    }
}

/// What one `kubectl` run printed.
#[derive(Debug)]
pub struct Kube {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

/// A running control plane in a temporary directory; stopped when dropped.
pub struct ControlPlane {
    dir: tempfile::TempDir,
    script: PathBuf,
    kubeconfig: PathBuf,
    cluster_scoped: BTreeSet<String>,
    /// What was applied (not dry-run) since the last [`ControlPlane::reset`]: `(-o name, namespace)`.
    applied: std::sync::Mutex<BTreeSet<(String, String)>>,
    /// The CRD files installed: the shared upstream ones (`crds/`) and `tests/crds/`
    /// ([`crd_set`]).
    crd_files: Vec<PathBuf>,
    /// The add-on CRDs a chart installed since the last reset (`crd/NAME`).
    chart_crds: std::sync::Mutex<Vec<String>>,
}

/// The CRDs each add-on chart ships (the charts' `crds/` or CRD templates), by chart name: they
/// exist on the cluster only once the chart's Application / HelmRelease is installed. The
/// engines' own CRDs (`argoproj.io`, `*.toolkit.fluxcd.io`) come with the engine's install.
const CHART_CRDS: &[(&str, &[&str])] = &[
    ("karpenter", &["karpenter.sh_", "karpenter.k8s.aws_"]),
    ("kueue", &["kueue.x-k8s.io_"]),
    ("eks-chart", &["eks.services.k8s.aws_"]),
    ("iam-chart", &["iam.services.k8s.aws_"]),
];

/// Whether a CRD file (by name) is one of an add-on chart's, not the engines'.
fn chart_crd(file: &str) -> bool {
    chart_of(file).is_some()
}

/// The add-on chart whose CRDs a file (by name) holds.
fn chart_of(file: &str) -> Option<&'static str> {
    CHART_CRDS
        .iter()
        .find(|(_, prefixes)| prefixes.iter().any(|p| file.starts_with(p)))
        .map(|(chart, _)| *chart)
}

/// The `.yaml` files of a folder, sorted.
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

/// The CRD files the cluster tests install: the shared ones (`../shared/k8s/crds`) and the
/// project's own (`tests/crds/`: CRDs of rendered objects the shared set lacks, or a newer
/// release of a chart's CRDs). A chart with CRDs of its own here gets only those: the shared
/// files of that chart are left out, so a release vendored in `tests/crds/` replaces the shared
/// one as a whole (same CRD names) rather than mixing with it. A file of the same name replaces
/// the shared one.
fn crd_set(shared: Vec<PathBuf>, own: Vec<PathBuf>) -> Vec<PathBuf> {
    let name = |p: &PathBuf| p.file_name().unwrap().to_string_lossy().into_owned();
    let own_charts: BTreeSet<&str> = own.iter().filter_map(|p| chart_of(&name(p))).collect();
    let own_names: BTreeSet<String> = own.iter().map(name).collect();
    let mut files: Vec<PathBuf> = shared
        .into_iter()
        .filter(|p| {
            let n = name(p);
            !own_names.contains(&n) && chart_of(&n).is_none_or(|c| !own_charts.contains(c))
        })
        .chain(own)
        .collect();
    files.sort_by_key(|p| name(p));
    files
}

#[test]
fn a_chart_s_own_crds_replace_the_shared_ones() {
    let paths = |dir: &str, names: &[&str]| -> Vec<PathBuf> {
        names.iter().map(|n| Path::new(dir).join(n)).collect()
    };
    let shared = paths(
        "shared",
        &[
            "application-crd.yaml",
            "karpenter.sh_nodepools.yaml",
            "kueue.x-k8s.io_clusterqueues.yaml",
            "kueue.x-k8s.io_cohorts.yaml",
            "kueue.x-k8s.io_localqueues.yaml",
        ],
    );
    let own = paths(
        "own",
        &[
            "elbv2.k8s.aws_ingressclassparams.yaml",
            "kueue.x-k8s.io_clusterqueues.yaml",
            "kueue.x-k8s.io_localqueues.yaml",
        ],
    );
    let got: Vec<String> = crd_set(shared, own)
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    assert_eq!(
        got,
        [
            "shared/application-crd.yaml",
            "own/elbv2.k8s.aws_ingressclassparams.yaml",
            "shared/karpenter.sh_nodepools.yaml",
            "own/kueue.x-k8s.io_clusterqueues.yaml",
            "own/kueue.x-k8s.io_localqueues.yaml",
        ],
        "Kueue's shared cohorts CRD is not mixed with the vendored release"
    );
}

impl ControlPlane {
    /// Start etcd, kube-apiserver and kube-controller-manager, and install the upstream CRDs.
    pub fn start(assets: &Path) -> ControlPlane {
        let home = assets
            .parent()
            .unwrap_or_else(|| panic!("{ASSETS_VAR}={} has no parent", assets.display()));
        let script = home.join("control-plane");
        let dir = tempfile::tempdir().unwrap();
        let run = |cmd: &str| {
            let out = Command::new(&script)
                .args([cmd, &dir.path().display().to_string()])
                .env(ASSETS_VAR, assets)
                .output()
                .unwrap_or_else(|e| panic!("{}: {e}", script.display()));
            assert!(
                out.status.success(),
                "control-plane {cmd}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let kubeconfig = dir.path().join("kubeconfig");
        run("up");
        let own_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/crds");
        let crd_files = crd_set(yaml_files(&home.join("crds")), yaml_files(&own_dir));
        let mut cp = ControlPlane {
            dir,
            script,
            kubeconfig,
            cluster_scoped: BTreeSet::new(),
            applied: std::sync::Mutex::default(),
            crd_files,
            chart_crds: std::sync::Mutex::default(),
        };
        // The engines' CRDs in one server-side apply (the script's `crds` applies them one by
        // one); the add-ons' CRDs only when their chart is installed (`install_chart`).
        let engine: Vec<String> = cp
            .crd_files
            .iter()
            .filter(|p| !chart_crd(&p.file_name().unwrap().to_string_lossy()))
            .map(|p| p.display().to_string())
            .collect();
        let mut args = vec!["apply", "--server-side"];
        for f in &engine {
            args.extend(["-f", f.as_str()]);
        }
        cp.must(&args);
        cp.wait_established(&["--all"]);
        // Which kinds are cluster-scoped: every CRD's scope, installed or not.
        for f in &cp.crd_files {
            for crd in documents(&std::fs::read_to_string(f).unwrap()) {
                if crd["spec"]["scope"] == "Cluster" {
                    if let Some(k) = crd["spec"]["names"]["kind"].as_str() {
                        cp.cluster_scoped.insert(k.to_string());
                    }
                }
            }
        }
        let kinds = cp.must(&["api-resources", "--namespaced=false", "-o", "wide"]);
        // NAME SHORTNAMES APIVERSION NAMESPACED KIND ...: keep the KIND column.
        let builtin: BTreeSet<String> = kinds
            .lines()
            .skip(1)
            .filter_map(|l| {
                let cols: Vec<&str> = l.split_whitespace().collect();
                let at = cols.iter().position(|c| *c == "false")?;
                cols.get(at + 1).map(ToString::to_string)
            })
            .collect();
        cp.cluster_scoped.extend(builtin);
        cp
    }

    /// Wait until the CRDs `which` (`--all`, or `crd/NAME`s) are Established. Right after the
    /// apply a CRD may have no conditions yet, which `kubectl wait` reports as an error: ask
    /// again until it has.
    fn wait_established(&self, which: &[&str]) {
        let mut wait = vec!["wait", "--for=condition=Established", "--timeout=120s"];
        if which == ["--all"] {
            wait.extend(["crd", "--all"]);
        } else {
            wait.extend(which);
        }
        let mut waited = self.kubectl(&wait, None);
        for _ in 0..20 {
            if waited.ok {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(250));
            waited = self.kubectl(&wait, None);
        }
        assert!(waited.ok, "kubectl wait crd: {}", waited.stderr);
    }

    /// Install what the chart `chart` ships that the API server sees: its CRDs (see
    /// [`CHART_CRDS`]); the rest of a chart is not rendered offline. Returns the CRDs.
    pub fn install_chart(&self, chart: &str) -> Vec<String> {
        let Some((_, prefixes)) = CHART_CRDS.iter().find(|(c, _)| *c == chart) else {
            return Vec::new();
        };
        let files: Vec<&PathBuf> = self
            .crd_files
            .iter()
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy();
                prefixes.iter().any(|x| name.starts_with(x))
            })
            .collect();
        let mut names = Vec::new();
        for f in &files {
            for crd in documents(&std::fs::read_to_string(f).unwrap()) {
                names.push(format!(
                    "crd/{}",
                    crd["metadata"]["name"].as_str().unwrap_or_default()
                ));
            }
        }
        let paths: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
        let mut args = vec!["apply", "--server-side", "--field-manager=helm"];
        for p in &paths {
            args.extend(["-f", p.as_str()]);
        }
        self.must(&args);
        let which: Vec<&str> = names.iter().map(String::as_str).collect();
        self.wait_established(&which);
        self.chart_crds
            .lock()
            .unwrap()
            .extend(names.iter().cloned());
        names
    }

    /// Whether objects of `kind` are cluster-scoped.
    pub fn cluster_scoped(&self, kind: &str) -> bool {
        self.cluster_scoped.contains(kind)
    }

    /// `kubectl ARGS` against this control plane, with `stdin`.
    pub fn kubectl(&self, args: &[&str], stdin: Option<&str>) -> Kube {
        let mut child = Command::new("kubectl")
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kubectl on PATH");
        if let Some(text) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
        }
        let out = child.wait_with_output().unwrap();
        Kube {
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `kubectl ARGS`, which must succeed; its stdout.
    pub fn must(&self, args: &[&str]) -> String {
        let out = self.kubectl(args, None);
        assert!(out.ok, "kubectl {}: {}", args.join(" "), out.stderr);
        out.stdout
    }

    /// A scratch path in the control plane's directory.
    pub fn scratch(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Send `objects` as one List: `kubectl VERB -f - -o name` (`verb` e.g. `apply
    /// --server-side`), as `who`. Returns, per object, `Ok` or the error lines that name it
    /// (kubectl goes on after a failed object and names each object it handled).
    pub fn send(&self, verb: &[&str], objects: &[Value], who: &Who) -> Vec<Result<(), String>> {
        if objects.is_empty() {
            return Vec::new();
        }
        let list = json!({"apiVersion": "v1", "kind": "List", "items": objects});
        let mut args: Vec<String> = verb.iter().map(ToString::to_string).collect();
        args.extend(["-f".into(), "-".into(), "-o".into(), "name".into()]);
        args.extend(who.flags());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = self.kubectl(&args, Some(&list.to_string()));
        let mut done: Vec<String> = out.stdout.lines().map(str::to_string).collect();
        if !verb.iter().any(|v| v.starts_with("--dry-run")) {
            let mut applied = self.applied.lock().unwrap();
            for o in objects {
                let ns = o["metadata"]["namespace"].as_str().unwrap_or_default();
                applied.insert((object_name(o), ns.to_string()));
            }
        }
        objects
            .iter()
            .map(|o| {
                let name = object_name(o);
                if let Some(at) = done.iter().position(|d| *d == name) {
                    done.remove(at);
                    Ok(())
                } else {
                    let id = o["metadata"]["name"].as_str().unwrap_or_default();
                    let mut lines: Vec<&str> = out
                        .stderr
                        .lines()
                        .filter(|l| l.contains(&format!("\"{id}\"")) || l.contains(id))
                        .collect();
                    lines.dedup();
                    Err(if lines.is_empty() {
                        out.stderr.trim().to_string()
                    } else {
                        lines.join("\n")
                    })
                }
            })
            .collect()
    }
}

impl ControlPlane {
    /// Back to an empty cluster (only the engines' CRDs installed): delete every object applied
    /// since the last reset — the namespaces with everything in them, the cluster-scoped
    /// objects, the CRDs charts installed — and wait until the namespace controller removed the
    /// namespaces. Finalizers of controllers that do
    /// not run here (Argo CD's resources finalizer) are removed first.
    pub fn reset(&self) {
        let applied = std::mem::take(&mut *self.applied.lock().unwrap());
        let apps = self.kubectl(
            &["get", "applications.argoproj.io", "-A", "-o", "name"],
            None,
        );
        for app in apps.stdout.lines() {
            let _ = self.kubectl(
                &[
                    "patch",
                    app,
                    "-n",
                    "argocd",
                    "--type=merge",
                    "-p",
                    r#"{"metadata":{"finalizers":null}}"#,
                ],
                None,
            );
        }
        let mut namespaces: BTreeSet<String> = applied
            .iter()
            .filter(|(n, _)| n.starts_with("namespace/"))
            .map(|(n, _)| n.trim_start_matches("namespace/").to_string())
            .collect();
        namespaces.extend(
            applied
                .iter()
                .map(|(_, ns)| ns.clone())
                .filter(|ns| !ns.is_empty()),
        );
        namespaces.retain(|ns| {
            !["default", "kube-system", "kube-public", "kube-node-lease"].contains(&ns.as_str())
        });
        let cluster: Vec<&str> = applied
            .iter()
            .filter(|(n, ns)| ns.is_empty() && !n.starts_with("namespace/"))
            .map(|(n, _)| n.as_str())
            .collect();
        if !cluster.is_empty() {
            let mut args = vec!["delete", "--ignore-not-found", "--wait=false"];
            args.extend(&cluster);
            self.must(&args);
        }
        let crds = std::mem::take(&mut *self.chart_crds.lock().unwrap());
        if !crds.is_empty() {
            let mut args = vec![
                "delete",
                "--ignore-not-found",
                "--wait=true",
                "--timeout=180s",
            ];
            args.extend(crds.iter().map(String::as_str));
            self.must(&args);
        }
        if !namespaces.is_empty() {
            let names: Vec<String> = namespaces
                .iter()
                .map(|n| format!("namespace/{n}"))
                .collect();
            let mut args = vec![
                "delete",
                "--ignore-not-found",
                "--wait=true",
                "--timeout=180s",
            ];
            args.extend(names.iter().map(String::as_str));
            self.must(&args);
        }
    }
}

impl Drop for ControlPlane {
    fn drop(&mut self) {
        let _ = Command::new(&self.script)
            .args(["down", &self.dir.path().display().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// `kind.group/name` as `kubectl -o name` prints it.
fn object_name(o: &Value) -> String {
    let kind = o["kind"].as_str().unwrap_or_default().to_lowercase();
    let api = o["apiVersion"].as_str().unwrap_or_default();
    let name = o["metadata"]["name"].as_str().unwrap_or_default();
    match api.split_once('/') {
        Some((group, _)) => format!("{kind}.{group}/{name}"),
        None => format!("{kind}/{name}"),
    }
}

/// Who a request is made as: the admin (system:masters) or an impersonated user and groups.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Who {
    pub user: Option<String>,
    pub groups: Vec<String>,
}

impl Who {
    /// The admin of the kubeconfig.
    pub fn admin() -> Who {
        Who {
            user: None,
            groups: Vec::new(),
        }
    }

    /// A service account (`system:serviceaccount:NS:NAME`, groups as the API server gives them).
    pub fn sa(ns: &str, name: &str) -> Who {
        Who {
            user: Some(format!("system:serviceaccount:{ns}:{name}")),
            groups: vec![
                "system:serviceaccounts".into(),
                format!("system:serviceaccounts:{ns}"),
                "system:authenticated".into(),
            ],
        }
    }

    /// A person in `group` (as an EKS access entry maps an IAM principal).
    pub fn person(group: &str) -> Who {
        Who {
            user: Some(format!("person-in-{group}")),
            groups: vec![group.to_string(), "system:authenticated".into()],
        }
    }

    fn flags(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(u) = &self.user {
            out.push(format!("--as={u}"));
            for g in &self.groups {
                out.push(format!("--as-group={g}"));
            }
        }
        out
    }

    /// How a report names it.
    pub fn label(&self) -> String {
        match &self.user {
            None => "admin".into(),
            Some(u) if u.starts_with("person-in-") => format!("group {}", &u["person-in-".len()..]),
            Some(u) => u.clone(),
        }
    }
}

/// Documents of a YAML stream as JSON values (empty documents dropped).
pub fn documents(text: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(text)
        .filter_map(|d| {
            let v: Value = serde::Deserialize::deserialize(d).ok()?;
            (!v.is_null()).then_some(v)
        })
        .collect()
}

/// What applying a repository did: objects accepted and rejected (with the API server's words),
/// and each sync unit (Flux Kustomization, Argo CD Application) with its last stage.
#[derive(Debug, Default)]
pub struct Converge {
    pub applied: usize,
    pub rejected: Vec<String>,
    /// `(unit, Ok(last stage) | Err(why not ready))`, in the order they were reconciled.
    pub units: Vec<(String, Result<String, String>)>,
    /// Notes on what the emulation could not do offline (charts not rendered).
    pub notes: Vec<String>,
}

impl Converge {
    /// The units that did not become ready.
    pub fn blocked(&self) -> Vec<String> {
        self.units
            .iter()
            .filter_map(|(u, r)| r.as_ref().err().map(|e| format!("{u}: {e}")))
            .collect()
    }
}

/// Render a kustomization directory, or a plain directory of manifests.
fn build(cp: &ControlPlane, dir: &Path, recurse: bool) -> Result<Vec<Value>, String> {
    if ["kustomization.yaml", "kustomization.yml", "Kustomization"]
        .iter()
        .any(|k| dir.join(k).is_file())
    {
        let out = cp.kubectl(&["kustomize", &dir.display().to_string()], None);
        return if out.ok {
            Ok(documents(&out.stdout))
        } else {
            Err(format!("kustomize build {}: {}", dir.display(), out.stderr))
        };
    }
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            if recurse {
                out.extend(build(cp, &path, true)?);
            }
        } else if path
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        {
            out.extend(documents(&std::fs::read_to_string(&path).unwrap()));
        }
    }
    Ok(out)
}

/// Set the namespace of every namespaced object (`targetNamespace`, an Application's
/// destination namespace); `force` overrides one already set (Flux), else only fills it in.
fn target_namespace(cp: &ControlPlane, objects: &mut [Value], ns: Option<&str>, force: bool) {
    let Some(ns) = ns else { return };
    for o in objects {
        let kind = o["kind"].as_str().unwrap_or_default().to_string();
        if cp.cluster_scoped(&kind) {
            continue;
        }
        if force || o["metadata"]["namespace"].as_str().is_none() {
            o["metadata"]["namespace"] = json!(ns);
        }
    }
}

fn kind(o: &Value) -> &str {
    o["kind"].as_str().unwrap_or_default()
}

fn id(o: &Value) -> String {
    let ns = o["metadata"]["namespace"].as_str().unwrap_or_default();
    let name = o["metadata"]["name"].as_str().unwrap_or_default();
    if ns.is_empty() {
        format!("{}/{name}", kind(o))
    } else {
        format!("{}/{ns}/{name}", kind(o))
    }
}

/// A team's repository as the tests stand it in: an ordinary service (Deployment, Service,
/// ConfigMap) and the team's own NetworkPolicy, without namespace (the engine sets it).
pub fn team_repo_objects() -> Vec<Value> {
    documents(TEAM_REPO)
}

const TEAM_REPO: &str = r"
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config}
data: {LOG_LEVEL: info}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: app
          image: public.ecr.aws/nginx/nginx:1.27
          ports: [{containerPort: 8080}]
          resources: {requests: {cpu: 250m, memory: 256Mi}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-ingress-nginx}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}
      ports: [{port: 8080, protocol: TCP}]
";

/// Apply `objects` as a Flux Kustomization does (fluxcd/pkg `ssa` `ResourceManager.ApplyAllStaged`,
/// called by kustomize-controller's `apply`): first the cluster definitions — CustomResourceDefinitions
/// and Namespaces — then a server-side dry-run of every other object, and only if all of them pass,
/// the apply of all of them (kustomize-controller issues #511 and #1194: one failing object keeps
/// every object of the Kustomization from being applied).
fn flux_apply(
    cp: &ControlPlane,
    objects: &[Value],
    who: &Who,
    report: &mut Converge,
) -> Result<(), String> {
    let (defs, rest): (Vec<Value>, Vec<Value>) = objects
        .iter()
        .cloned()
        .partition(|o| matches!(kind(o), "CustomResourceDefinition" | "Namespace"));
    let ssa = [
        "apply",
        "--server-side",
        "--field-manager=kustomize-controller",
    ];
    let mut errors = Vec::new();
    for (o, r) in defs.iter().zip(cp.send(&ssa, &defs, who)) {
        match r {
            Ok(()) => report.applied += 1,
            Err(e) => errors.push(format!("{}: {e}", id(o))),
        }
    }
    if !errors.is_empty() {
        report.rejected.extend(errors.iter().cloned());
        return Err(errors.join("; "));
    }
    let dry = [
        "apply",
        "--server-side",
        "--field-manager=kustomize-controller",
        "--dry-run=server",
    ];
    for (o, r) in rest.iter().zip(cp.send(&dry, &rest, who)) {
        if let Err(e) = r {
            errors.push(format!("{}: {e}", id(o)));
        }
    }
    if !errors.is_empty() {
        report.rejected.extend(errors.iter().cloned());
        return Err(format!(
            "dry-run failed, nothing applied: {}",
            errors.join("; ")
        ));
    }
    for (o, r) in rest.iter().zip(cp.send(&ssa, &rest, who)) {
        match r {
            Ok(()) => report.applied += 1,
            Err(e) => errors.push(format!("{}: {e}", id(o))),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        report.rejected.extend(errors.iter().cloned());
        Err(errors.join("; "))
    }
}

/// What `flux bootstrap` installs that the repository does not hold: the flux-system namespace,
/// the controllers' service accounts and their cluster-admin binding (fluxcd/flux2
/// `manifests/rbac/reconciler.yaml`, ClusterRoleBinding `cluster-reconciler-flux-system`).
const FLUX_INSTALL: &str = r"
apiVersion: v1
kind: Namespace
metadata: {name: flux-system}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: kustomize-controller, namespace: flux-system}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: helm-controller, namespace: flux-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: cluster-reconciler-flux-system}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
  - {kind: ServiceAccount, name: kustomize-controller, namespace: flux-system}
  - {kind: ServiceAccount, name: helm-controller, namespace: flux-system}
";

/// One Flux Kustomization to reconcile.
#[derive(Debug, Clone)]
struct Ks {
    namespace: String,
    name: String,
    path: String,
    source: String,
    service_account: Option<String>,
    target_namespace: Option<String>,
    depends_on: Vec<String>,
    /// `spec.wait`: Ready only once every object it applied is Ready (HelmReleases included).
    wait: bool,
    /// `spec.healthChecks` as `Kind/namespace/name`.
    health_checks: Vec<String>,
}

impl Ks {
    fn of(o: &Value) -> Ks {
        let ns = o["metadata"]["namespace"]
            .as_str()
            .unwrap_or("flux-system")
            .to_string();
        let spec = &o["spec"];
        let src_ns = spec["sourceRef"]["namespace"]
            .as_str()
            .unwrap_or(&ns)
            .to_string();
        Ks {
            name: o["metadata"]["name"].as_str().unwrap_or_default().into(),
            path: spec["path"].as_str().unwrap_or("./").into(),
            source: format!(
                "{src_ns}/{}",
                spec["sourceRef"]["name"].as_str().unwrap_or_default()
            ),
            service_account: spec["serviceAccountName"].as_str().map(Into::into),
            target_namespace: spec["targetNamespace"].as_str().map(Into::into),
            depends_on: spec["dependsOn"]
                .as_array()
                .map(|d| {
                    d.iter()
                        .map(|x| {
                            let dns = x["namespace"].as_str().unwrap_or(&ns);
                            format!("{dns}/{}", x["name"].as_str().unwrap_or_default())
                        })
                        .collect()
                })
                .unwrap_or_default(),
            wait: spec["wait"] == true,
            health_checks: spec["healthChecks"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|h| {
                    format!(
                        "{}/{}/{}",
                        h["kind"].as_str().unwrap_or_default(),
                        h["namespace"].as_str().unwrap_or(&ns),
                        h["name"].as_str().unwrap_or_default()
                    )
                })
                .collect(),
            namespace: ns,
        }
    }

    /// Whether this Kustomization is Ready only once `o` (an object it applied) is Ready.
    fn waits_for(&self, o: &Value) -> bool {
        self.wait || self.health_checks.contains(&id(o))
    }

    fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// The flags the repository's bootstrap kustomization patches into kustomize-controller
/// (flux2-multi-tenancy's lockdown), read from `bootstrap/flux/flux-system/kustomization.yaml`.
fn flux_flags(repo: &Path) -> Vec<String> {
    let Ok(text) =
        std::fs::read_to_string(repo.join("bootstrap/flux/flux-system/kustomization.yaml"))
    else {
        return Vec::new();
    };
    let mut flags = Vec::new();
    for word in text.split(|c: char| c.is_whitespace() || c == '"' || c == '\'') {
        if word.starts_with("--") {
            flags.push(word.to_string());
        }
    }
    flags
}

/// Apply a Flux repository from its bootstrap entry point: `flux bootstrap --path=bootstrap/flux`
/// creates the `flux-system` GitRepository and Kustomization; every Kustomization it applies is
/// then reconciled in `dependsOn` order (kustomize-controller waits for each dependency to be
/// Ready), as its `serviceAccountName` (impersonated, as kustomize-controller does), or with
/// `--default-service-account` when set, else as the controller itself.
pub fn flux(cp: &ControlPlane, repo: &Path, repo_url: &str) -> Converge {
    let mut report = Converge::default();
    let install = documents(FLUX_INSTALL);
    for r in cp.send(&["apply", "--server-side"], &install, &Who::admin()) {
        r.unwrap();
    }
    let flags = flux_flags(repo);
    let sa_patch =
        std::fs::read_to_string(repo.join("bootstrap/flux/flux-system/kustomization.yaml"))
            .is_ok_and(|t| t.contains("/spec/serviceAccountName"));
    let default_sa = flags
        .iter()
        .find_map(|f| f.strip_prefix("--default-service-account="))
        .map(ToString::to_string);
    let no_cross_ns = flags.iter().any(|f| f == "--no-cross-namespace-refs=true");
    let mut sources: BTreeMap<String, String> =
        BTreeMap::from([("flux-system/flux-system".to_string(), repo_url.to_string())]);
    let mut queue: VecDeque<Ks> = VecDeque::from([Ks {
        namespace: "flux-system".into(),
        name: "flux-system".into(),
        path: "./bootstrap/flux".into(),
        source: "flux-system/flux-system".into(),
        // flux2-multi-tenancy patches the flux-system Kustomization to the controller's account
        // (a `/spec/serviceAccountName` patch in flux-system/kustomization.yaml).
        service_account: sa_patch.then(|| "kustomize-controller".into()),
        target_namespace: None,
        depends_on: Vec::new(),
        wait: false,
        health_checks: Vec::new(),
    }]);
    // HelmReleases applied by a Kustomization that does not wait for them: helm-controller
    // installs their charts some time later. The emulation takes the worst case — after every
    // other Kustomization was reconciled once — so a tree that needs a chart's CRDs fails unless
    // it depends on a Kustomization that waits for the HelmRelease.
    let mut unwaited: Vec<String> = Vec::new();
    let mut ready: BTreeMap<String, bool> = BTreeMap::new();
    let mut stalled = 0;
    let stub = cp.scratch("team-repo");
    while let Some(ks) = queue.pop_front() {
        let deps: Vec<Option<bool>> = ks
            .depends_on
            .iter()
            .map(|d| ready.get(d).copied())
            .collect();
        if deps.contains(&Some(false)) {
            ready.insert(ks.key(), false);
            report.units.push((
                format!("Kustomization {}", ks.key()),
                Err(format!("dependency not ready: {:?}", ks.depends_on)),
            ));
            continue;
        }
        if deps.iter().any(Option::is_none) {
            stalled += 1;
            if stalled > queue.len() + 1 {
                ready.insert(ks.key(), false);
                report.units.push((
                    format!("Kustomization {}", ks.key()),
                    Err(format!("dependency never applied: {:?}", ks.depends_on)),
                ));
                stalled = 0;
            } else {
                queue.push_back(ks);
            }
            continue;
        }
        stalled = 0;
        let result = reconcile_ks(
            cp,
            repo,
            repo_url,
            &ks,
            &sources,
            default_sa.as_deref(),
            no_cross_ns,
            &stub,
            &mut report,
        );
        match result {
            Ok(objects) => {
                for o in &objects {
                    match kind(o) {
                        "GitRepository" => {
                            let key = format!(
                                "{}/{}",
                                o["metadata"]["namespace"].as_str().unwrap_or_default(),
                                o["metadata"]["name"].as_str().unwrap_or_default()
                            );
                            sources
                                .insert(key, o["spec"]["url"].as_str().unwrap_or_default().into());
                        }
                        "Kustomization"
                            if o["apiVersion"]
                                .as_str()
                                .is_some_and(|a| a.starts_with("kustomize.toolkit")) =>
                        {
                            queue.push_back(Ks::of(o));
                        }
                        "HelmRelease" => {
                            let chart = o["spec"]["chart"]["spec"]["chart"]
                                .as_str()
                                .unwrap_or_default()
                                .to_string();
                            report.notes.push(format!(
                                "{}: accepted; chart {chart} not rendered offline (only its CRDs installed)",
                                id(o)
                            ));
                            if ks.waits_for(o) {
                                // Ready means installed: the chart's CRDs exist before this
                                // Kustomization's dependents start.
                                cp.install_chart(&chart);
                            } else {
                                unwaited.push(chart);
                            }
                        }
                        _ => {}
                    }
                }
                ready.insert(ks.key(), true);
                report.units.push((
                    format!("Kustomization {}", ks.key()),
                    Ok(format!("Ready ({} objects)", objects.len())),
                ));
            }
            Err(e) => {
                ready.insert(ks.key(), false);
                report
                    .units
                    .push((format!("Kustomization {}", ks.key()), Err(e)));
            }
        }
    }
    for chart in unwaited {
        cp.install_chart(&chart);
    }
    report
}

#[allow(
    clippy::too_many_arguments,
    reason = "the emulation's state, passed once"
)]
fn reconcile_ks(
    cp: &ControlPlane,
    repo: &Path,
    repo_url: &str,
    ks: &Ks,
    sources: &BTreeMap<String, String>,
    default_sa: Option<&str>,
    no_cross_ns: bool,
    stub: &Path,
    report: &mut Converge,
) -> Result<Vec<Value>, String> {
    if no_cross_ns && !ks.source.starts_with(&format!("{}/", ks.namespace)) {
        return Err(format!(
            "cross-namespace sourceRef {} refused (--no-cross-namespace-refs)",
            ks.source
        ));
    }
    let url = sources
        .get(&ks.source)
        .ok_or_else(|| format!("source {} not found", ks.source))?;
    let mut objects = if url == repo_url {
        let dir = repo.join(ks.path.trim_start_matches("./"));
        // kustomize-controller generates a kustomization.yaml for a directory without one, with
        // every manifest below it (fluxcd/pkg kustomize `Generator`).
        build(cp, &dir, true)?
    } else {
        std::fs::create_dir_all(stub).unwrap();
        team_repo_objects()
    };
    target_namespace(cp, &mut objects, ks.target_namespace.as_deref(), true);
    let who = match (ks.service_account.as_deref(), default_sa) {
        (Some(sa), _) | (None, Some(sa)) => Who::sa(&ks.namespace, sa),
        (None, None) => Who::sa("flux-system", "kustomize-controller"),
    };
    flux_apply(cp, &objects, &who, report)?;
    Ok(objects)
}

/// What an Argo CD install holds that the repository does not: the argocd namespace and the
/// application controller's service account with its cluster-wide role (argo-cd
/// `manifests/cluster-rbac/application-controller`).
const ARGOCD_INSTALL: &str = r"
apiVersion: v1
kind: Namespace
metadata: {name: argocd}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: argocd-application-controller, namespace: argocd}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: argocd-application-controller}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
  - {kind: ServiceAccount, name: argocd-application-controller, namespace: argocd}
";

/// The order Argo CD applies kinds in within one wave (gitops-engine `pkg/sync/syncwaves` and
/// `kube.kindOrder`, taken from Helm's install order): namespaces and definitions first.
const ARGO_KIND_ORDER: &[&str] = &[
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
];

fn wave(o: &Value) -> i64 {
    o["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]
        .as_str()
        .and_then(|w| w.parse().ok())
        .unwrap_or(0)
}

fn kind_rank(o: &Value) -> usize {
    ARGO_KIND_ORDER
        .iter()
        .position(|k| *k == kind(o))
        .unwrap_or(ARGO_KIND_ORDER.len())
}

/// Argo CD's state of the emulated install: projects and the argocd-cm settings the repo ships.
#[derive(Default)]
struct Argo {
    projects: BTreeMap<String, Value>,
    /// `resource.customizations.health.argoproj.io_Application` is configured.
    app_health: bool,
    /// `application.sync.impersonation.enabled` is true.
    impersonation: bool,
}

/// Apply an Argo CD repository from its entry point: `kubectl apply -n argocd -f
/// bootstrap/argocd/root.yaml`, then each Application synced as Argo CD does (an add-on
/// Application's chart is not rendered, but its CRDs are installed when it syncs, so an object
/// of those CRDs synced in an earlier wave is refused as on a real cluster): its source
/// rendered (a kustomization, else the directory's manifests), checked against its AppProject,
/// a dry-run of every object (gitops-engine runs one before any apply), then applied wave by wave
/// (argocd docs "Sync Phases and Waves"); a child Application applied in a wave is synced, and —
/// with the Application health check of argocd-cm — healthy, before the next wave starts. With
/// impersonation on, a sync runs as the project's `destinationServiceAccounts` entry.
pub fn argocd(cp: &ControlPlane, repo: &Path, repo_url: &str) -> Converge {
    let mut report = Converge::default();
    for r in cp.send(
        &["apply", "--server-side"],
        &documents(ARGOCD_INSTALL),
        &Who::admin(),
    ) {
        r.unwrap();
    }
    let mut argo = Argo::default();
    // The argocd-cm settings the repository ships for the install, applied as the README says.
    let settings = build(cp, &repo.join("bootstrap/argocd/install"), false).unwrap_or_default();
    for r in cp.send(
        &["apply", "--server-side", "--field-manager=eksvend"],
        &settings,
        &Who::admin(),
    ) {
        if let Err(e) = r {
            report
                .rejected
                .push(format!("bootstrap/argocd/install: {e}"));
        }
    }
    for o in settings {
        if kind(&o) == "ConfigMap" && o["metadata"]["name"] == "argocd-cm" {
            argo.app_health =
                o["data"]["resource.customizations.health.argoproj.io_Application"].is_string();
            argo.impersonation = o["data"]["application.sync.impersonation.enabled"] == "true";
        }
    }
    if !argo.app_health {
        report.units.push((
            "argocd-cm".into(),
            Err(
                "no Application health check: the waves of child Applications order nothing".into(),
            ),
        ));
    }
    let root =
        documents(&std::fs::read_to_string(repo.join("bootstrap/argocd/root.yaml")).unwrap());
    let mut root = root.into_iter().next().unwrap();
    root["metadata"]["namespace"] = json!("argocd");
    let mut queue = VecDeque::from([root]);
    // Without the health check, child Applications are not waited for: all of them sync once
    // their parent finished, in no particular order (here: the order they were applied).
    while let Some(app) = queue.pop_front() {
        let applied = cp.send(
            &["apply", "--server-side"],
            std::slice::from_ref(&app),
            &Who::admin(),
        );
        if let Some(Err(e)) = applied.first() {
            report.rejected.push(format!("{}: {e}", id(&app)));
        }
        let children = sync_app(cp, repo, repo_url, &app, &mut argo, &mut report, &mut queue);
        queue.extend(children);
    }
    report
}

/// Sync one Application; returns the child Applications still to sync (without the health check).
fn sync_app(
    cp: &ControlPlane,
    repo: &Path,
    repo_url: &str,
    app: &Value,
    argo: &mut Argo,
    report: &mut Converge,
    queue: &mut VecDeque<Value>,
) -> Vec<Value> {
    let name = format!(
        "Application {}",
        app["metadata"]["name"].as_str().unwrap_or_default()
    );
    let spec = &app["spec"];
    let source = &spec["source"];
    let dest_ns = spec["destination"]["namespace"].as_str();
    let project = spec["project"].as_str().unwrap_or("default").to_string();
    // Argo CD does not retry a failed automatic sync of the same commit unless `retry` is set.
    if spec["syncPolicy"]["retry"].is_null() {
        report.units.push((
            name.clone(),
            Err("no syncPolicy.retry: a failed sync of this commit is never retried".into()),
        ));
    }
    if let Some(chart) = source["chart"].as_str() {
        // Synced and Healthy means installed: the chart's CRDs exist from here on.
        cp.install_chart(chart);
        report.notes.push(format!(
            "{name}: chart {chart} not rendered offline (only its CRDs installed)"
        ));
        report
            .units
            .push((name, Ok("Synced (chart not rendered offline)".into())));
        return Vec::new();
    }
    let url = source["repoURL"].as_str().unwrap_or_default();
    let mut objects = if url == repo_url {
        match build(
            cp,
            &repo.join(source["path"].as_str().unwrap_or(".")),
            false,
        ) {
            Ok(o) => o,
            Err(e) => {
                report.units.push((name, Err(e)));
                return Vec::new();
            }
        }
    } else {
        team_repo_objects()
    };
    target_namespace(cp, &mut objects, dest_ns, false);
    // The AppProject's rules (Argo CD refuses a sync with a resource its project does not permit).
    let mut refused = Vec::new();
    if project != "default" {
        let Some(p) = argo.projects.get(&project) else {
            report
                .units
                .push((name, Err(format!("AppProject {project} does not exist"))));
            return Vec::new();
        };
        for o in &objects {
            if let Some(why) = project_refuses(cp, p, o, url) {
                refused.push(format!("{}: {why}", id(o)));
            }
        }
    }
    if !refused.is_empty() {
        report.rejected.extend(refused.iter().cloned());
        report.units.push((
            name,
            Err(format!(
                "not permitted in project {project}: {}",
                refused.join("; ")
            )),
        ));
        return Vec::new();
    }
    let who = sync_identity(argo, &project, spec);
    let create_ns = spec["syncPolicy"]["syncOptions"]
        .as_array()
        .is_some_and(|o| o.iter().any(|x| x == "CreateNamespace=true"));
    if create_ns {
        if let Some(ns) = dest_ns {
            let obj = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
            let _ = cp.send(
                &[
                    "apply",
                    "--server-side",
                    "--field-manager=argocd-controller",
                ],
                &[obj],
                &who,
            );
        }
    }
    objects.sort_by_key(|o| (wave(o), kind_rank(o)));
    // The dry-run of every object before any is applied; an object in a namespace this sync
    // creates is not dry-run (gitops-engine skips those: the namespace does not exist yet).
    let created: BTreeSet<String> = objects
        .iter()
        .filter(|o| kind(o) == "Namespace")
        .filter_map(|o| o["metadata"]["name"].as_str().map(Into::into))
        .collect();
    let dry: Vec<Value> = objects
        .iter()
        .filter(|o| {
            o["metadata"]["namespace"]
                .as_str()
                .is_none_or(|n| !created.contains(n))
        })
        .cloned()
        .collect();
    let dry_flags = [
        "apply",
        "--server-side",
        "--field-manager=argocd-controller",
        "--dry-run=server",
    ];
    let failed: Vec<String> = dry
        .iter()
        .zip(cp.send(&dry_flags, &dry, &who))
        .filter_map(|(o, r)| r.err().map(|e| format!("{}: {e}", id(o))))
        .collect();
    if !failed.is_empty() {
        report.rejected.extend(failed.iter().cloned());
        report
            .units
            .push((name, Err(format!("dry-run failed: {}", failed.join("; ")))));
        return Vec::new();
    }
    let mut waves: Vec<i64> = objects.iter().map(wave).collect();
    waves.dedup();
    let mut later = Vec::new();
    let mut order = Vec::new();
    for w in waves {
        let batch: Vec<Value> = objects.iter().filter(|o| wave(o) == w).cloned().collect();
        let flags = [
            "apply",
            "--server-side",
            "--field-manager=argocd-controller",
        ];
        let mut errors = Vec::new();
        for (o, r) in batch.iter().zip(cp.send(&flags, &batch, &who)) {
            match r {
                Ok(()) => report.applied += 1,
                Err(e) => errors.push(format!("{}: {e}", id(o))),
            }
        }
        if !errors.is_empty() {
            report.rejected.extend(errors.iter().cloned());
            report
                .units
                .push((name, Err(format!("wave {w}: {}", errors.join("; ")))));
            return Vec::new();
        }
        for o in &batch {
            match kind(o) {
                "AppProject" => {
                    argo.projects.insert(
                        o["metadata"]["name"].as_str().unwrap_or_default().into(),
                        o.clone(),
                    );
                }
                "ConfigMap" if o["metadata"]["name"] == "argocd-cm" => {
                    argo.app_health |= o["data"]
                        ["resource.customizations.health.argoproj.io_Application"]
                        .is_string();
                    argo.impersonation |=
                        o["data"]["application.sync.impersonation.enabled"] == "true";
                }
                _ => {}
            }
        }
        for child in batch.iter().filter(|o| kind(o) == "Application") {
            order.push(format!(
                "{}@{w}",
                child["metadata"]["name"].as_str().unwrap_or_default()
            ));
            if argo.app_health {
                // The parent waits for the child to be Healthy: sync it now. A child that never
                // gets Healthy holds the parent in this wave: the later waves never start.
                let grandchildren = sync_app(cp, repo, repo_url, child, argo, report, queue);
                queue.extend(grandchildren);
                let child_name = format!(
                    "Application {}",
                    child["metadata"]["name"].as_str().unwrap_or_default()
                );
                let healthy = report
                    .units
                    .iter()
                    .rev()
                    .find(|(u, _)| *u == child_name)
                    .is_some_and(|(_, r)| r.is_ok());
                if !healthy {
                    report.units.push((
                        name,
                        Err(format!(
                            "wave {w}: {child_name} never Healthy, the later waves never start"
                        )),
                    ));
                    return Vec::new();
                }
            } else {
                later.push(child.clone());
            }
        }
    }
    report.units.push((
        name,
        Ok(format!(
            "Synced ({} objects; children {})",
            objects.len(),
            order.join(" ")
        )),
    ));
    later
}

/// The identity a sync runs as: with impersonation on, the project's destination service account
/// matching the destination (namespace `ns:sa` or the destination namespace), else the controller.
fn sync_identity(argo: &Argo, project: &str, spec: &Value) -> Who {
    let controller = Who::sa("argocd", "argocd-application-controller");
    if !argo.impersonation {
        return controller;
    }
    let Some(p) = argo.projects.get(project) else {
        return controller;
    };
    let dest_ns = spec["destination"]["namespace"]
        .as_str()
        .unwrap_or_default();
    for d in p["spec"]["destinationServiceAccounts"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let ns = d["namespace"].as_str().unwrap_or("*");
        if ns == "*" || ns == dest_ns {
            let sa = d["defaultServiceAccount"].as_str().unwrap_or_default();
            return match sa.split_once(':') {
                Some((sans, name)) => Who::sa(sans, name),
                None => Who::sa(dest_ns, sa),
            };
        }
    }
    controller
}

/// Why an AppProject refuses `o` (None: permitted).
fn project_refuses(cp: &ControlPlane, p: &Value, o: &Value, url: &str) -> Option<String> {
    let spec = &p["spec"];
    let repos: Vec<&str> = spec["sourceRepos"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if !repos.iter().any(|r| *r == "*" || *r == url) {
        return Some(format!("source {url} not in sourceRepos"));
    }
    let group = o["apiVersion"]
        .as_str()
        .unwrap_or_default()
        .split_once('/')
        .map_or("", |(g, _)| g);
    let matches = |list: &Value| {
        list.as_array().into_iter().flatten().any(|e| {
            (e["group"] == "*" || e["group"] == group) && (e["kind"] == "*" || e["kind"] == kind(o))
        })
    };
    if cp.cluster_scoped(kind(o)) {
        if !matches(&spec["clusterResourceWhitelist"]) {
            return Some("cluster-scoped kind not in clusterResourceWhitelist".into());
        }
        return None;
    }
    let ns = o["metadata"]["namespace"].as_str().unwrap_or_default();
    let dests = spec["destinations"].as_array().into_iter().flatten();
    if !dests
        .clone()
        .any(|d| d["namespace"] == "*" || d["namespace"] == ns)
    {
        return Some(format!("namespace {ns} not a destination"));
    }
    if matches(&spec["namespaceResourceBlacklist"]) {
        return Some("kind in namespaceResourceBlacklist".into());
    }
    if spec["namespaceResourceWhitelist"].is_array()
        && !matches(&spec["namespaceResourceWhitelist"])
    {
        return Some("kind not in namespaceResourceWhitelist".into());
    }
    None
}

/// One line of the isolation matrix: who, what, expected, and what the API server said.
#[derive(Debug)]
pub struct Check {
    pub who: String,
    pub what: String,
    pub expect_allowed: bool,
    pub allowed: bool,
    pub detail: String,
}

/// The realistic pods every tenant identity that deploys must get admitted: an ordinary service
/// (requests only) and the GPU training pod of issue 11 (8 CPU / 32 Gi requests, only
/// `nvidia.com/gpu` as a limit).
const PODS: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: matrix-web}
spec:
  containers:
    - name: app
      image: public.ecr.aws/nginx/nginx:1.27
      resources: {requests: {cpu: "2", memory: 4Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: matrix-gpu-training}
spec:
  tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
  containers:
    - name: trainer
      image: public.ecr.aws/docker/library/python:3.12
      resources:
        requests: {cpu: "8", memory: 32Gi}
        limits: {nvidia.com/gpu: "1"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: matrix-deployment}
spec:
  selector: {matchLabels: {app: matrix}}
  template:
    metadata: {labels: {app: matrix}}
    spec:
      containers: [{name: app, image: public.ecr.aws/nginx/nginx:1.27}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: matrix-own-policy}
spec:
  podSelector: {matchLabels: {app: matrix}}
  policyTypes: [Ingress]
  ingress: [{from: [{podSelector: {}}]}]
"#;

/// The baseline objects of a tenant namespace (labelled by the platform, see tenant.yaml).
fn baseline(cp: &ControlPlane, ns: &str) -> Vec<String> {
    let out = cp.must(&[
        "get",
        "networkpolicies,resourcequotas,limitranges",
        "-n",
        ns,
        "-o",
        "name",
    ]);
    out.lines()
        .filter(|l| !l.contains("matrix-") && !l.contains("web-from-"))
        .map(ToString::to_string)
        .collect()
}

/// The baseline objects as manifests to re-apply (server-assigned metadata removed).
fn baseline_objects(cp: &ControlPlane, ns: &str, base: &[String]) -> Vec<Value> {
    if base.is_empty() {
        return Vec::new();
    }
    let mut args = vec!["get", "-n", ns, "-o", "json"];
    args.extend(base.iter().map(String::as_str));
    let list: Value = serde_json::from_str(&cp.must(&args)).unwrap();
    let items = list["items"].as_array().cloned().unwrap_or_default();
    items
        .into_iter()
        .map(|mut o| {
            let meta = o["metadata"].as_object_mut().unwrap();
            for k in [
                "managedFields",
                "resourceVersion",
                "uid",
                "creationTimestamp",
                "generation",
                "annotations",
            ] {
                meta.remove(k);
            }
            o.as_object_mut().unwrap().remove("status");
            o
        })
        .collect()
}

/// The names of the objects `kubectl get ARGS` lists.
fn names(cp: &ControlPlane, args: &[&str]) -> Vec<String> {
    let mut get = vec!["get"];
    get.extend_from_slice(args);
    get.extend(["-o", "jsonpath={.items[*].metadata.name}"]);
    cp.must(&get)
        .split_whitespace()
        .map(ToString::to_string)
        .collect()
}

/// The people's groups and service accounts the RoleBindings of namespace `ns` bind.
fn bound_subjects(cp: &ControlPlane, ns: &str) -> BTreeSet<Who> {
    let bindings: Value =
        serde_json::from_str(&cp.must(&["get", "rolebindings", "-n", ns, "-o", "json"])).unwrap();
    let mut subjects = BTreeSet::new();
    for rb in bindings["items"].as_array().into_iter().flatten() {
        for s in rb["subjects"].as_array().into_iter().flatten() {
            let name = s["name"].as_str().unwrap_or_default();
            match s["kind"].as_str() {
                Some("Group") => subjects.insert(Who::person(name)),
                Some("ServiceAccount") => {
                    subjects.insert(Who::sa(s["namespace"].as_str().unwrap_or(ns), name))
                }
                _ => false,
            };
        }
    }
    subjects
}

/// Run the isolation matrix on a converged cluster: for every tenant namespace (label
/// `eksvend.dev/tenant`), every subject of its RoleBindings (people's groups, sync service
/// accounts) and every other service account in it (workloads).
pub fn matrix(cp: &ControlPlane) -> Vec<Check> {
    let tenants = names(cp, &["ns", "-l", "eksvend.dev/tenant"]);
    let mut checks = Vec::new();
    // Where each subject is bound: its own namespaces.
    let mut own: BTreeMap<Who, BTreeSet<String>> = BTreeMap::new();
    let bound: BTreeMap<&String, BTreeSet<Who>> = tenants
        .iter()
        .map(|ns| (ns, bound_subjects(cp, ns)))
        .collect();
    for (ns, subjects) in &bound {
        for who in subjects {
            own.entry(who.clone()).or_default().insert((*ns).clone());
        }
    }
    let mut pending: Vec<(Check, Value)> = Vec::new();
    for ns in &tenants {
        let deployers = &bound[ns];
        let sas = names(cp, &["sa", "-n", ns]);
        let workloads: Vec<Who> = sas
            .iter()
            .map(|sa| Who::sa(ns, sa))
            .filter(|w| !deployers.contains(w))
            .collect();
        let base = baseline(cp, ns);
        let base_objects = baseline_objects(cp, ns, &base);
        for who in deployers.iter().chain(&workloads) {
            let deploys = deployers.contains(who);
            let mine = own.get(who).cloned().unwrap_or_default();
            let others: Vec<&String> = tenants
                .iter()
                .filter(|t| *t != ns && !mine.contains(*t))
                .collect();
            pending.extend(reviews(who, ns, &others, deploys));
            if deploys {
                checks.extend(requests(cp, who, ns, &base, &base_objects));
            }
        }
    }
    checks.extend(answer(cp, pending));
    checks
}

/// The SubjectAccessReviews of `who` (what RBAC allows), to ask with [`answer`].
fn reviews(who: &Who, ns: &str, others: &[&String], deploys: bool) -> Vec<(Check, Value)> {
    // (verb, group, resource, namespace, expected)
    let mut asks: Vec<(String, &str, &str, String, bool)> = vec![
        ("create".into(), "apps", "deployments", ns.into(), deploys),
        (
            "create".into(),
            "networking.k8s.io",
            "networkpolicies",
            ns.into(),
            deploys,
        ),
        ("get".into(), "", "secrets", ns.into(), deploys),
    ];
    for verb in ["delete", "patch", "update"] {
        asks.push((verb.into(), "", "resourcequotas", ns.into(), false));
        asks.push((verb.into(), "", "limitranges", ns.into(), false));
        if !deploys {
            // A workload's own service account may not touch any NetworkPolicy (the deployers'
            // requests below show the admission policy protecting the baseline ones).
            asks.push((
                verb.into(),
                "networking.k8s.io",
                "networkpolicies",
                ns.into(),
                false,
            ));
        }
    }
    for (g, r) in [
        ("", "namespaces"),
        ("rbac.authorization.k8s.io", "clusterroles"),
        ("rbac.authorization.k8s.io", "clusterrolebindings"),
        ("apiextensions.k8s.io", "customresourcedefinitions"),
        (
            "admissionregistration.k8s.io",
            "validatingadmissionpolicies",
        ),
        (
            "admissionregistration.k8s.io",
            "validatingadmissionpolicybindings",
        ),
        ("karpenter.sh", "nodepools"),
        ("scheduling.k8s.io", "priorityclasses"),
    ] {
        asks.push(("create".into(), g, r, String::new(), false));
    }
    for (verb, g, r) in [
        ("impersonate", "", "serviceaccounts"),
        ("create", "", "serviceaccounts/token"),
        ("bind", "rbac.authorization.k8s.io", "clusterroles"),
        ("escalate", "rbac.authorization.k8s.io", "roles"),
    ] {
        asks.push((verb.into(), g, r, ns.into(), false));
    }
    for o in others {
        asks.push(("get".into(), "", "secrets", (*o).clone(), false));
        asks.push(("list".into(), "", "secrets", (*o).clone(), false));
        asks.push(("create".into(), "apps", "deployments", (*o).clone(), false));
    }
    for sys in ["default", "kube-system", "argocd", "flux-system"] {
        asks.push(("create".into(), "apps", "deployments", sys.into(), false));
        asks.push(("get".into(), "", "secrets", sys.into(), false));
    }
    let items: Vec<Value> = asks
        .iter()
        .map(|(verb, group, resource, ans, _)| {
            let (resource, sub) = resource.split_once('/').unwrap_or((resource, ""));
            let mut spec = json!({
                "user": who.user.clone().unwrap_or_default(),
                "groups": who.groups,
                "resourceAttributes": {"verb": verb, "group": group, "resource": resource, "subresource": sub},
            });
            if !ans.is_empty() {
                spec["resourceAttributes"]["namespace"] = json!(ans);
            }
            json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": spec})
        })
        .collect();
    asks.iter()
        .zip(items)
        .map(|((verb, group, resource, ans, expect), sar)| {
            let check = Check {
                who: who.label(),
                what: format!(
                    "can-i {verb} {resource}{}{}",
                    if group.is_empty() {
                        String::new()
                    } else {
                        format!(".{group}")
                    },
                    if ans.is_empty() {
                        String::new()
                    } else {
                        format!(" -n {ans}")
                    }
                ),
                expect_allowed: *expect,
                allowed: false,
                detail: String::new(),
            };
            (check, sar)
        })
        .collect()
}

/// Ask the API server every review at once (one `kubectl create` of a List) and fill in the
/// answers.
fn answer(cp: &ControlPlane, pending: Vec<(Check, Value)>) -> Vec<Check> {
    if pending.is_empty() {
        return Vec::new();
    }
    let (mut checks, items): (Vec<Check>, Vec<Value>) = pending.into_iter().unzip();
    let list = json!({"apiVersion": "v1", "kind": "List", "items": items});
    let out = cp.kubectl(
        &["create", "-f", "-", "-o", "json"],
        Some(&list.to_string()),
    );
    assert!(out.ok, "SubjectAccessReviews: {}", out.stderr);
    // One JSON object per review, one after the other (or a List, by kubectl version).
    let mut answers: Vec<Value> = serde_json::Deserializer::from_str(&out.stdout)
        .into_iter::<Value>()
        .map(Result::unwrap)
        .collect();
    if answers.len() == 1 && answers[0]["items"].is_array() {
        if let Value::Array(items) = answers.remove(0)["items"].take() {
            answers = items;
        }
    }
    assert_eq!(answers.len(), checks.len(), "one answer per review");
    for (c, a) in checks.iter_mut().zip(answers) {
        c.allowed = a["status"]["allowed"].as_bool().unwrap_or(false);
        c.detail = a["status"]["reason"]
            .as_str()
            .unwrap_or_default()
            .to_string();
    }
    checks
}

/// Real requests as `who` (server-side dry-run): what admission and RBAC escalation prevention
/// decide, which a SubjectAccessReview cannot show.
fn requests(
    cp: &ControlPlane,
    who: &Who,
    ns: &str,
    base: &[String],
    base_objects: &[Value],
) -> Vec<Check> {
    let mut checks = Vec::new();
    // Binding admin or cluster-admin: RBAC refuses a binding to a role with more than one holds.
    let mut binds = Vec::new();
    for role in ["admin", "cluster-admin"] {
        binds.push(json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": format!("matrix-{role}"), "namespace": ns},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "matrix-attacker"}],
        }));
    }
    // Workloads, the team's own NetworkPolicy, the realistic and the GPU pod.
    let mut objects = documents(PODS);
    for o in &mut objects {
        o["metadata"]["namespace"] = json!(ns);
    }
    let all: Vec<Value> = binds.iter().chain(&objects).cloned().collect();
    for (o, r) in all
        .iter()
        .zip(cp.send(&["create", "--dry-run=server"], &all, who))
    {
        let name = o["metadata"]["name"].as_str().unwrap_or_default();
        let bind = kind(o) == "RoleBinding";
        checks.push(Check {
            who: who.label(),
            what: if bind {
                format!(
                    "create RoleBinding to {} -n {ns}",
                    o["roleRef"]["name"].as_str().unwrap_or_default()
                )
            } else {
                format!("create {} {name} -n {ns}", kind(o))
            },
            expect_allowed: !bind,
            allowed: r.is_ok(),
            detail: r.err().unwrap_or_default(),
        });
    }
    // The guard rails: delete each baseline object (one `kubectl delete` of all of them) and edit
    // it (a server-side apply without its baseline label, forcing conflicts).
    let flags = who.flags();
    let mut args = vec!["delete", "-n", ns, "--dry-run=server"];
    args.extend(base.iter().map(String::as_str));
    args.extend(flags.iter().map(String::as_str));
    let out = cp.kubectl(&args, None);
    for obj in base {
        let (kind, name) = obj.split_once('/').unwrap();
        let deleted = format!("{kind} \"{name}\" deleted");
        checks.push(Check {
            who: who.label(),
            what: format!("delete {obj} -n {ns}"),
            expect_allowed: false,
            allowed: out.stdout.contains(&deleted),
            detail: out
                .stderr
                .lines()
                .find(|l| l.contains(name))
                .unwrap_or_default()
                .to_string(),
        });
    }
    let mut edits = base_objects.to_vec();
    for o in &mut edits {
        o["metadata"]["labels"]["eksvend.dev/baseline"] = json!("changed-by-tenant");
    }
    let apply = [
        "apply",
        "--server-side",
        "--force-conflicts",
        "--field-manager=matrix",
        "--dry-run=server",
    ];
    for (o, r) in edits.iter().zip(cp.send(&apply, &edits, who)) {
        checks.push(Check {
            who: who.label(),
            what: format!(
                "edit {} {} -n {ns}",
                kind(o),
                o["metadata"]["name"].as_str().unwrap_or_default()
            ),
            expect_allowed: false,
            allowed: r.is_ok(),
            detail: r.err().unwrap_or_default(),
        });
    }
    checks
}

/// Every Kubernetes group of the people's EKS access entries (`cluster/cluster.yaml`) is bound
/// by a RoleBinding on the converged cluster: an entry whose group nothing binds gives no access.
pub fn access_groups(cp: &ControlPlane, repo: &Path) -> Vec<Check> {
    let text = std::fs::read_to_string(repo.join("cluster/cluster.yaml")).unwrap();
    let config = documents(&text).into_iter().next().unwrap_or_default();
    let bindings: Value =
        serde_json::from_str(&cp.must(&["get", "rolebindings", "-A", "-o", "json"])).unwrap();
    let bound: BTreeSet<&str> = bindings["items"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|rb| rb["subjects"].as_array().into_iter().flatten())
        .filter(|s| s["kind"] == "Group")
        .filter_map(|s| s["name"].as_str())
        .collect();
    let mut checks = Vec::new();
    for entry in config["accessConfig"]["accessEntries"]
        .as_array()
        .into_iter()
        .flatten()
    {
        for g in entry["kubernetesGroups"].as_array().into_iter().flatten() {
            let g = g.as_str().unwrap_or_default();
            checks.push(Check {
                who: format!(
                    "access entry {}",
                    entry["principalARN"].as_str().unwrap_or_default()
                ),
                what: format!("group {g} bound by a RoleBinding"),
                expect_allowed: true,
                allowed: bound.contains(g),
                detail: String::new(),
            });
        }
    }
    checks
}

/// A cluster-scoped kind a team repository declares (`clusterResources`), with the identity that
/// may write it (the repository's sync identity) and the people who may read it.
#[derive(Debug, Clone)]
pub struct Declared {
    pub writer: Who,
    pub reader: Who,
    pub group: String,
    pub resource: String,
}

/// StorageClass as the team would install it (a built-in kind: a real request can be made).
const STORAGE_CLASS: &str = r"
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: matrix-encrypted-gp3}
provisioner: ebs.csi.aws.com
parameters: {type: gp3, encrypted: 'true'}
";

/// The cluster-scoped kinds of `declared` on a converged cluster: every identity of the matrix
/// (the subjects of the tenants' RoleBindings and every tenant service account) may create,
/// patch and delete each declared kind cluster-wide exactly when it is the kind's writer, and
/// read it when it is the writer or a reader. A declared StorageClass is also created (dry-run)
/// as each identity.
pub fn cluster_kinds(cp: &ControlPlane, declared: &[Declared]) -> Vec<Check> {
    if declared.is_empty() {
        return Vec::new();
    }
    let tenants = names(cp, &["ns", "-l", "eksvend.dev/tenant"]);
    let mut subjects: BTreeSet<Who> = BTreeSet::new();
    for ns in &tenants {
        subjects.extend(bound_subjects(cp, ns));
        subjects.extend(
            names(cp, &["sa", "-n", ns])
                .iter()
                .map(|sa| Who::sa(ns, sa)),
        );
    }
    let mut pending = Vec::new();
    let mut checks = Vec::new();
    for who in &subjects {
        for d in declared {
            let writes = declared
                .iter()
                .any(|e| e.writer == *who && e.group == d.group && e.resource == d.resource);
            let reads = writes
                || declared
                    .iter()
                    .any(|e| e.reader == *who && e.group == d.group && e.resource == d.resource);
            for (verb, expect) in [
                ("create", writes),
                ("patch", writes),
                ("delete", writes),
                ("get", reads),
                ("list", reads),
            ] {
                let sar = json!({
                    "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
                    "spec": {
                        "user": who.user.clone().unwrap_or_default(),
                        "groups": who.groups,
                        "resourceAttributes": {"verb": verb, "group": d.group, "resource": d.resource},
                    },
                });
                pending.push((
                    Check {
                        who: who.label(),
                        what: format!("can-i {verb} {}.{} (cluster-wide)", d.resource, d.group),
                        expect_allowed: expect,
                        allowed: false,
                        detail: String::new(),
                    },
                    sar,
                ));
            }
        }
        if declared
            .iter()
            .any(|d| d.group == "storage.k8s.io" && d.resource == "storageclasses")
        {
            let writes = declared.iter().any(|d| {
                d.writer == *who && d.group == "storage.k8s.io" && d.resource == "storageclasses"
            });
            let objects = documents(STORAGE_CLASS);
            let r = cp.send(&["create", "--dry-run=server"], &objects, who);
            checks.push(Check {
                who: who.label(),
                what: "create StorageClass matrix-encrypted-gp3 (cluster-scoped)".into(),
                expect_allowed: writes,
                allowed: r.first().is_some_and(Result::is_ok),
                detail: r
                    .into_iter()
                    .next()
                    .and_then(Result::err)
                    .unwrap_or_default(),
            });
        }
    }
    checks.extend(answer(cp, pending));
    checks
}
