//! Command-line interface: clap types stop here; the library never sees them.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Vend Amazon EKS clusters as GitOps repositories, one per workload account.
///
/// eksvend reads a fleet inventory (Fleet, Network and WorkloadAccount documents), applies a
/// blueprint (general, batch, aiml) to every account, and renders one GitOps repository per
/// account: the eksctl cluster definition on subnets shared from the networking account, the
/// Argo CD or Flux bootstrap, Karpenter node pools, tenants and IAM documents. `apply` commits
/// each repository with git; a second run with the same inputs commits nothing.
///
/// Exit codes: 0 done; 1 invalid input or a failure; 2 changes pending (plan); 3 conflicts that
/// need a person.
#[derive(Debug, Parser)]
#[command(name = "eksvend", version, about, long_about, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the inventory against every rule and report all errors at once; writes nothing.
    Validate(FleetArgs),
    /// Render each account's repository as plain files under --out (no git).
    Render {
        #[command(flatten)]
        fleet: FleetArgs,
        /// Directory to write `<account>/…` into; each account's directory is replaced whole.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Render and commit each account's repository under --repos/<account>.
    ///
    /// A repository that does not exist is created. Files eksvend generated and nobody edited
    /// are updated; edits by people are kept; a file changed by both is a conflict and nothing is
    /// written to that repository (exit 3). A repository with uncommitted changes is refused.
    Apply {
        #[command(flatten)]
        fleet: FleetArgs,
        /// Directory holding one git repository per account.
        #[arg(
            long,
            value_name = "DIR",
            default_value = "repos",
            env = "EKSVEND_REPOS"
        )]
        repos: PathBuf,
    },
    /// List the blueprint catalog or explain one blueprint.
    #[command(subcommand)]
    Blueprints(BlueprintsCommand),
    /// Print the JSON Schema of inventory documents (for editors and CI).
    ///
    /// Without KIND: one schema for any inventory document. Add to the top of an inventory file:
    /// `# yaml-language-server: $schema=./eksvend.schema.json`
    Schema {
        /// `Fleet`, `Network`, `WorkloadAccount` or `Blueprint`; omit for any inventory document.
        #[arg(value_name = "KIND")]
        kind: Option<String>,
    },
}

/// Where the inventory and extra blueprints are.
#[derive(Debug, clap::Args)]
pub struct FleetArgs {
    /// Inventory: a YAML file or a directory of `*.yaml`/`*.yml` files.
    #[arg(
        short = 'f',
        long = "fleet",
        value_name = "PATH",
        default_value = "fleet",
        env = "EKSVEND_FLEET"
    )]
    pub fleet: PathBuf,
    /// Extra blueprint catalog directory (`**/blueprint.yaml` and `templates/`), layered over
    /// the built-in catalog; repeatable. The Fleet's `spec.blueprints` adds more.
    #[arg(long = "blueprints", value_name = "DIR")]
    pub blueprints: Vec<PathBuf>,
}

/// `eksvend blueprints …`
#[derive(Debug, Subcommand)]
pub enum BlueprintsCommand {
    /// Every blueprint version in the catalog: name, version, description.
    List {
        /// Extra blueprint catalog directories; repeatable.
        #[arg(long = "blueprints", value_name = "DIR")]
        blueprints: Vec<PathBuf>,
    },
    /// One blueprint: parameters with defaults, add-ons with chart versions, node pools, files.
    Show {
        /// `name` or `name@requirement` (default: the highest version).
        name: String,
        /// Extra blueprint catalog directories; repeatable.
        #[arg(long = "blueprints", value_name = "DIR")]
        blueprints: Vec<PathBuf>,
    },
}
