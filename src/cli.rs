//! Command-line interface: clap types stop here; the library never sees them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Vend Amazon EKS clusters as GitOps repositories, one per workload account.
///
/// eksvend reads a fleet inventory (Fleet, Network and WorkloadAccount documents), applies a
/// blueprint (general, batch, aiml) to every account, and renders one GitOps repository per
/// account: the eksctl cluster definition on subnets shared from the networking account, the
/// Argo CD or Flux bootstrap, Karpenter node pools, tenants and IAM documents.
///
/// Typical use: `eksvend validate`, then `eksvend plan --diff` to review, then `eksvend apply`.
/// A second apply with the same inputs commits nothing; people's edits to generated files are
/// kept.
///
/// Exit codes: 0 done; 1 invalid input (nothing written) or a repository that failed (the
/// others are still applied); 2 changes pending (plan --detailed-exitcode); 3 conflicts that
/// need a person.
#[derive(Debug, Parser)]
#[command(name = "eksvend", version, about, long_about, max_term_width = 100)]
pub struct Cli {
    /// Print only errors (and data on stdout).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more: every kept or merged edit, every file of every plan, every account a
    /// warning concerns.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Parse the command line (exiting with clap's message on an error). `apply PLAN` takes the
    /// inventory and `--repos` from the plan: given on the command line they are refused as
    /// clap refuses conflicting flags; from `EKSVEND_FLEET`/`EKSVEND_REPOS` they are ignored.
    pub fn parse_args() -> Cli {
        use clap::parser::ValueSource;
        use clap::{CommandFactory, FromArgMatches};
        let mut command = Cli::command();
        let matches = command.get_matches_mut();
        if let Some(("apply", m)) = matches.subcommand() {
            if m.get_one::<PathBuf>("plan").is_some() {
                for (id, flag) in [("fleet", "--fleet <PATH>"), ("repos", "--repos <DIR>")] {
                    if m.value_source(id) == Some(ValueSource::CommandLine) {
                        command
                            .error(
                                clap::error::ErrorKind::ArgumentConflict,
                                format!("the argument '[PLAN]' cannot be used with '{flag}': a saved plan is applied with the inventory and repositories it was made with"),
                            )
                            .exit();
                    }
                }
            }
        }
        Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the inventory and blueprints against every rule, render and verify every account in
    /// memory; all errors at once; writes nothing.
    Validate(FleetArgs),
    /// Render each selected account's repository as plain files under --out (no git).
    Render {
        #[command(flatten)]
        fleet: FleetArgs,
        #[command(flatten)]
        select: SelectArgs,
        /// Directory to write `<account>/…` into; each account's directory is replaced whole.
        #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
        out: PathBuf,
    },
    /// Show what apply would change in each repository; never writes, commits or pushes.
    ///
    /// For each selected account: create / update / unchanged / conflict, and the files added,
    /// changed, deleted or conflicting. With --detailed-exitcode: 0 nothing would change,
    /// 2 something would, 3 conflicts, 1 error.
    Plan {
        #[command(flatten)]
        fleet: FleetArgs,
        #[command(flatten)]
        select: SelectArgs,
        /// Directory holding one git repository per account [default: `repos` beside the
        /// inventory, i.e. in the folder that holds the -f file or folder].
        #[arg(long, value_name = "DIR", env = "EKSVEND_REPOS", value_hint = clap::ValueHint::DirPath)]
        repos: Option<PathBuf>,
        /// Print unified diffs (coloured on a terminal unless NO_COLOR is set).
        #[arg(long)]
        diff: bool,
        /// Output format; `json` prints one document described in docs/pipelines.md.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Exit 2 when changes are pending and 3 on conflicts (0 when nothing would change).
        #[arg(long)]
        detailed_exitcode: bool,
        /// Also save the plan to FILE (JSON, docs/plan-format.md; the only file plan writes):
        /// `eksvend apply FILE` then applies exactly it, or refuses if an input or a repository
        /// moved since.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Render and commit each selected account's repository under --repos/ACCOUNT.
    ///
    /// A repository that does not exist is created. Files eksvend generated and nobody edited
    /// are updated; edits by people are kept; a file changed by both is a conflict and nothing is
    /// written to that repository (exit 3). A repository with uncommitted changes is refused.
    ///
    /// With PLAN (a file `eksvend plan --out PLAN` saved): apply exactly that plan, with the
    /// inventory, catalog, selection and --repos it was made with; refuse, writing nothing, if
    /// any input file, the eksvend version or a repository's branch moved since (exit 1).
    Apply {
        /// A saved plan to apply (from `eksvend plan --out PLAN`); run from the directory the
        /// plan was made in.
        #[arg(
            value_name = "PLAN",
            conflicts_with_all = ["blueprints", "only", "shard", "allow_empty", "branch", "on_conflict"]
        )]
        plan: Option<PathBuf>,
        #[command(flatten)]
        fleet: FleetArgs,
        #[command(flatten)]
        select: SelectArgs,
        /// Directory holding one git repository per account [default: `repos` beside the
        /// inventory, i.e. in the folder that holds the -f file or folder].
        #[arg(long, value_name = "DIR", env = "EKSVEND_REPOS", value_hint = clap::ValueHint::DirPath)]
        repos: Option<PathBuf>,
        /// Commit on this branch (started from the Fleet's branch; updated if it exists), e.g.
        /// eksvend/blueprint-aiml-1.4 for a pull-request flow.
        #[arg(long, value_name = "NAME")]
        branch: Option<String>,
        /// What to do when a file was changed by a person and by the generator and does not
        /// merge: fail (write nothing to that repository, exit 3), keep the person's version,
        /// overwrite it, or leave conflict markers in the worktree without committing.
        #[arg(long, value_enum, value_name = "POLICY", default_value_t = ConflictPolicy::Fail)]
        on_conflict: ConflictPolicy,
        /// Fetch each repository from the Fleet's remote first (creating it locally when
        /// missing) and build on the remote branch head.
        #[arg(long)]
        fetch: bool,
        /// Push each repository to the Fleet's remote (implies --fetch). Credentials: the SSH
        /// agent or ~/.ssh keys for ssh URLs; EKSVEND_GIT_TOKEN (and EKSVEND_GIT_USERNAME) or
        /// git credential helpers for http(s).
        #[arg(long)]
        push: bool,
        /// Repositories processed (and pushed) at once.
        #[arg(long, value_name = "N", default_value_t = 4)]
        jobs: usize,
    },
    /// Add a WorkloadAccount to the inventory as accounts/NAME.yaml (validated first).
    New(NewArgs),
    /// Write a commented starter inventory into DIR (default: fleet) that validates and applies.
    Init {
        /// Directory to create.
        #[arg(value_name = "DIR", default_value = "fleet", value_hint = clap::ValueHint::DirPath)]
        dir: PathBuf,
    },
    /// List the blueprint catalog or explain one blueprint.
    #[command(subcommand)]
    Blueprints(BlueprintsCommand),
    /// Print the JSON Schema of inventory documents (for editors and CI).
    ///
    /// Without KIND: one schema for any inventory document. Save it and add to the top of an
    /// inventory file: `# yaml-language-server: $schema=./eksvend.schema.json`
    Schema {
        /// `Fleet`, `Network`, `WorkloadAccount` or `Blueprint`; omit for any inventory document.
        #[arg(value_name = "KIND", value_parser = kind_values(), hide_possible_values = true)]
        kind: Option<String>,
    },
    /// Print a shell completion script: `eksvend completions bash > /etc/bash_completion.d/eksvend`.
    Completions {
        /// bash, zsh, fish, powershell or elvish.
        shell: clap_complete::Shell,
    },
    /// Print the manual (roff) with every subcommand and option, or write one page per
    /// subcommand into DIR.
    ///
    /// `eksvend man > eksvend.1` is one page with every subcommand's synopsis and options.
    /// `eksvend man DIR` writes eksvend.1 and one `eksvend-SUBCOMMAND.1` (eksvend-validate.1,
    /// eksvend-blueprints-list.1, …) into DIR/man1/: `man -M DIR eksvend-plan`, or add DIR
    /// to MANPATH.
    Man {
        /// Folder to write `man1/*.1` into (created if missing).
        #[arg(value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
        dir: Option<PathBuf>,
    },
}

/// `--on-conflict` policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConflictPolicy {
    /// Write nothing to a repository with conflicts; exit 3.
    Fail,
    /// Keep the person's version.
    Keep,
    /// Replace it with the new rendering.
    Overwrite,
    /// Commit nothing; leave conflict markers in the worktree, like `git merge`.
    Markers,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// For pipelines.
    Json,
}

/// Where the inventory and extra blueprints are.
#[derive(Debug, Args)]
pub struct FleetArgs {
    /// Inventory: a YAML file or a directory of `*.yaml`/`*.yml` files.
    #[arg(
        short = 'f',
        long = "fleet",
        value_name = "PATH",
        default_value = "fleet",
        env = "EKSVEND_FLEET",
        value_hint = clap::ValueHint::AnyPath
    )]
    pub fleet: PathBuf,
    /// Extra blueprint catalog directory (`**/blueprint.yaml` and `templates/`), layered over
    /// the built-in catalog; repeatable. The Fleet's `spec.blueprints` adds more.
    #[arg(long = "blueprints", value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub blueprints: Vec<PathBuf>,
}

/// Which accounts to touch.
#[derive(Debug, Args)]
pub struct SelectArgs {
    /// Only accounts whose KEY matches VALUE (a glob: `pay*`); KEY is account, team,
    /// environment, blueprint or network. Repeatable: the same key ORs, different keys AND.
    #[arg(long, value_name = "KEY=VALUE", value_parser = only_values(), hide_possible_values = true, value_hint = clap::ValueHint::Other)]
    pub only: Vec<String>,
    /// Only shard I of N (1-based), by a stable hash of the account name: split a large fleet
    /// across N CI jobs.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Succeed when --only / --shard select no account (by default that is an error: a typo in
    /// a selection must not pass as "nothing to do").
    #[arg(long)]
    pub allow_empty: bool,
}

/// `eksvend new NAME …`
#[derive(Debug, Args)]
pub struct NewArgs {
    /// WorkloadAccount name (a DNS-1123 label; also the repository name).
    pub name: String,
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// Owning team.
    #[arg(long)]
    pub team: String,
    /// Environment, e.g. prod.
    #[arg(long)]
    pub environment: String,
    /// The 12-digit AWS account ID.
    #[arg(long = "account-id", value_name = "ID")]
    pub account_id: String,
    /// AWS region (must match the network's).
    #[arg(long)]
    pub region: String,
    /// Name of a Network document.
    #[arg(long)]
    pub network: String,
    /// Blueprint, optionally with a version requirement: general, aiml@^1.
    #[arg(long, value_parser = blueprint_values(), hide_possible_values = true)]
    pub blueprint: String,
    /// Default identity mode of the account's service accounts.
    #[arg(long, value_parser = ["podIdentity", "irsa"])]
    pub identity: Option<String>,
}

/// Which catalog `eksvend blueprints` shows.
#[derive(Debug, Args, Clone)]
pub struct CatalogArgs {
    /// Inventory whose Fleet's `spec.blueprints` add catalog directories (as for validate,
    /// plan and apply); without it, only the built-in catalog and --blueprints.
    #[arg(short = 'f', long = "fleet", value_name = "PATH", env = "EKSVEND_FLEET", value_hint = clap::ValueHint::AnyPath)]
    pub fleet: Option<PathBuf>,
    /// Extra blueprint catalog directory; repeatable.
    #[arg(long = "blueprints", value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub blueprints: Vec<PathBuf>,
}

/// `eksvend blueprints …`
#[derive(Debug, Subcommand)]
pub enum BlueprintsCommand {
    /// Every blueprint version in the catalog: name, version, description.
    ///
    /// The catalog is the built-in one, then --blueprints, then (with -f) the Fleet's
    /// `spec.blueprints`: what validate, plan and apply use for that inventory.
    List {
        #[command(flatten)]
        catalog: CatalogArgs,
    },
    /// One blueprint: parameters with defaults, add-ons with chart versions, node pools, files.
    Show {
        /// `name` or `name@requirement` (default: the highest version).
        #[arg(value_name = "NAME[@REQ]", value_parser = blueprint_values(), hide_possible_values = true)]
        name: String,
        #[command(flatten)]
        catalog: CatalogArgs,
    },
}

/// Completion hints: a value parser that accepts any string (validation happens later, with
/// file:line:field errors) and offers `hints` to shell completion scripts as possible values.
#[derive(Debug, Clone, Copy)]
pub struct Hinted(fn() -> Vec<String>);

impl clap::builder::TypedValueParser for Hinted {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            (self.0)()
                .into_iter()
                .map(clap::builder::PossibleValue::new),
        ))
    }
}

/// The names of the built-in catalog's selectable blueprints, each once, sorted.
fn blueprint_names() -> Vec<String> {
    let mut names: Vec<String> = crate::blueprint::catalog::Catalog::builtin()
        .map(|c| c.selectable().map(|b| b.name.clone()).collect())
        .unwrap_or_default();
    names.sort();
    names.dedup();
    names
}

/// `--only` completions: every key with `=`, and `blueprint=<name>` for each built-in one.
fn only_hints() -> Vec<String> {
    let mut hints: Vec<String> = crate::select::KEYS
        .iter()
        .map(|k| format!("{k}="))
        .collect();
    hints.extend(
        blueprint_names()
            .into_iter()
            .map(|n| format!("blueprint={n}")),
    );
    hints
}

/// `--only` values: any `KEY=VALUE` (checked by `select`), completed as the keys.
pub fn only_values() -> Hinted {
    Hinted(only_hints)
}

/// Blueprint references: any `name[@req]` (checked against the catalog), completed as the
/// built-in blueprint names.
pub fn blueprint_values() -> Hinted {
    Hinted(blueprint_names)
}

/// `schema KIND`: the kinds with a schema.
fn kinds() -> Vec<String> {
    crate::fleet::schema::KINDS
        .iter()
        .map(|k| (*k).to_string())
        .collect()
}

/// `schema` kinds, completed.
pub fn kind_values() -> Hinted {
    Hinted(kinds)
}
