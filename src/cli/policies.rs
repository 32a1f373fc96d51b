//! `orrery policies`: every policy a scenario can name, with its parameters, from the
//! registry's catalogue (`orrery_policies::registry`): a table for people, `--json` for tools.

use std::fmt::Write as _;

use orrery_policies::registry::extension::Kind;
use orrery_policies::registry::{catalogue, Policy, Section, SHARED};
use serde::Serialize;

use super::output::{Paint, Ui};
use crate::error::Error;

/// Arguments of `orrery policies`.
#[derive(clap::Args)]
pub struct Args {
    /// Print the catalogue as JSON: `placements`, `reallocations`, `elasticity`, `admission`
    /// (each policy with `name`, `description`, `needs` and its `sections` of `params`: `key`,
    /// `type`, `default`, `range`, `meaning`) and `shared` (keys every policy reads).
    #[arg(long)]
    json: bool,
}

/// The catalogue in `policies --json`.
#[derive(Serialize)]
struct Catalogue {
    placements: Vec<Policy>,
    reallocations: Vec<Policy>,
    elasticity: Vec<Policy>,
    admission: Vec<Policy>,
    routers: Vec<Policy>,
    shared: Section,
}

/// Prints the catalogue.
pub fn run(args: Args, ui: &Ui) -> Result<(), Error> {
    if args.json {
        ui.json(&Catalogue {
            placements: catalogue(Kind::Placement),
            reallocations: catalogue(Kind::Reallocation),
            elasticity: catalogue(Kind::Elasticity),
            admission: catalogue(Kind::Admission),
            routers: routers(),
            shared: SHARED,
        });
    } else {
        // The catalogue is what `policies` exists to print: shown even under `-q`.
        ui.data(text(ui));
    }
    Ok(())
}

/// The registered federation routers' catalogue entries.
fn routers() -> Vec<Policy> {
    orrery_federation::policy::router::registered_routers()
        .iter()
        .map(|r| r.describe())
        .collect()
}

/// A group of policies, its heading and how a scenario picks one.
struct Group {
    heading: &'static str,
    how: &'static str,
    kind: Kind,
}

const GROUPS: [Group; 4] = [
    Group {
        heading: "Placement policies",
        how: "[policies] placement = \"NAME\"",
        kind: Kind::Placement,
    },
    Group {
        heading: "Reallocation policies",
        how: "[policies] reallocation = \"NAME\"",
        kind: Kind::Reallocation,
    },
    Group {
        heading: "Elasticity modes",
        how: "per service role: OneFlow rules (oneflow, scheduled) or target tracking, not both, \
              and optionally a vertical rule; or an extension's: [policies] elasticity = \"NAME\"",
        kind: Kind::Elasticity,
    },
    Group {
        heading: "Admission",
        how: "every scenario with [[services]]; or an extension's: [policies] admission = \"NAME\"",
        kind: Kind::Admission,
    },
];

/// The catalogue as text: the policies with what they do and which sections they read, then
/// every section's parameters as a table.
fn text(ui: &Ui) -> String {
    let heading = |s: &str| ui.paint_out(Paint::Heading, s);
    let mut groups: Vec<(&str, &str, Vec<Policy>)> = GROUPS
        .iter()
        .map(|g| (g.heading, g.how, catalogue(g.kind)))
        .collect();
    let routers = routers();
    if !routers.is_empty() {
        let how = "[architecture] kind = \"broker\", router = \"NAME\" in a federation file";
        groups.push(("Federation routers", how, routers));
    }
    let width = groups
        .iter()
        .flat_map(|(_, _, policies)| policies)
        .map(|p| p.name.len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    // Each distinct section, in order of first use, with the policies that read it.
    let mut sections: Vec<(Section, Vec<&str>)> = vec![(SHARED, vec!["every policy"])];
    for (title, how, policies) in &groups {
        let _ = writeln!(out, "{} ({how})\n", heading(title));
        for p in policies {
            let _ = writeln!(out, "  {:width$}  {}", p.name, p.description);
            let indent = " ".repeat(width + 4);
            if let Some(needs) = p.needs {
                let _ = writeln!(out, "{indent}needs {needs}");
            }
            if !p.sections.is_empty() {
                let read: Vec<String> = p
                    .sections
                    .iter()
                    .map(|s| {
                        let keys: Vec<&str> = s.params.iter().map(|p| p.key).collect();
                        format!("{} {}", s.section, keys.join(", "))
                    })
                    .collect();
                let _ = writeln!(out, "{indent}parameters: {}", read.join("; "));
            }
            for s in p.sections {
                match sections.iter_mut().find(|(known, _)| known == s) {
                    Some((_, users)) => {
                        if !users.contains(&p.name) {
                            users.push(p.name);
                        }
                    }
                    None => sections.push((*s, vec![p.name])),
                }
            }
        }
        out.push('\n');
    }
    let _ = writeln!(out, "{}\n", heading("Parameters"));
    for (section, users) in &sections {
        let _ = writeln!(out, "{} (read by {})", section.section, users.join(", "));
        out.push_str(&table(section));
        out.push('\n');
    }
    out.push_str(
        "Every placement also checks the VM types' `requirements`, VM groups and SLA classes \
         (docs/policies.md, Constraints).\n",
    );
    out
}

/// A section's parameters as aligned columns: key, type, default, range, meaning.
fn table(section: &Section) -> String {
    let header = ["key", "type", "default", "range", "meaning"];
    let rows: Vec<[&str; 5]> = section
        .params
        .iter()
        .map(|p| [p.key, p.kind, p.default, p.range, p.meaning])
        .collect();
    let widths: Vec<usize> = (0..4)
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        out.push(' ');
        for (cell, width) in row.iter().zip(&widths) {
            let pad = width - cell.chars().count();
            let _ = write!(out, " {cell}{} ", " ".repeat(pad));
        }
        let _ = writeln!(out, " {}", row[4]);
    }
    out
}
