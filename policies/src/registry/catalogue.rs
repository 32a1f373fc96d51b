//! The catalogue of the policies a scenario can name: every placement and reallocation policy
//! with what it does, what it needs and the parameters it reads (key, type, default, range,
//! meaning, and the section of the scenario that sets them); the elasticity modes of a
//! service role; admission control. One table, read by the registry (which names it accepts),
//! by `orrery policies` (which prints it) and checked against the scenario schema's defaults by
//! the tests below.

use serde::Serialize;

/// One parameter: a key of a section, its type, default, valid range and meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Param {
    /// The key within its section (`cpu_target`; `target_tracking.tolerance` for a key of an
    /// inline table; `elasticity_policies[].type` for a key of each entry of an array).
    pub key: &'static str,
    /// Its TOML type: `float`, `integer`, `boolean`, `string`, `expression` (a string in an
    /// expression language), `table` or `array`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The value when the key is absent, as TOML (`0.8`, `"thr"`), or what absence means
    /// (`none`, `required`, `unlimited`, `the role's cardinality`).
    pub default: &'static str,
    /// The values accepted.
    pub range: &'static str,
    /// What it does.
    pub meaning: &'static str,
}

/// Parameters set in one section of a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Section {
    /// The section as a scenario writes it: `[policies.balance]`, `[[services.roles]]`.
    pub section: &'static str,
    /// Its keys this policy reads.
    pub params: &'static [Param],
}

/// A policy (or an elasticity or admission mode) by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// The name a scenario gives.
    pub name: &'static str,
    /// What it does.
    pub description: &'static str,
    /// What the scenario must also have for it (`[thermal]`), if anything.
    pub needs: Option<&'static str>,
    /// The parameters it reads, by section.
    pub sections: &'static [Section],
}

const fn param(
    key: &'static str,
    kind: &'static str,
    default: &'static str,
    range: &'static str,
    meaning: &'static str,
) -> Param {
    Param {
        key,
        kind,
        default,
        range,
        meaning,
    }
}

const fn policy(
    name: &'static str,
    description: &'static str,
    needs: Option<&'static str>,
    sections: &'static [Section],
) -> Policy {
    Policy {
        name,
        description,
        needs,
        sections,
    }
}

/// What `[thermal]`-reading policies need.
const THERMAL: Option<&str> = Some("a [thermal] section (supply_c, redline_c)");

/// Dynamic consolidation's detector and selection (also read by `pabfd` placement).
pub const CONSOLIDATION: Section = Section {
    section: "[policies.consolidation]",
    params: &[
        param(
            "detector",
            "string",
            "\"thr\"",
            "thr | iqr | mad | lr | lrr",
            "overload detector: static threshold, interquartile range, median absolute \
             deviation, local regression, robust local regression",
        ),
        param(
            "parameter",
            "float",
            "0.8",
            "≥ 0",
            "the detector's threshold (thr) or safety parameter (the others)",
        ),
        param(
            "selection",
            "string",
            "\"mmt\"",
            "mmt | mc | mu | rs",
            "which VM leaves an overloaded host: minimum migration time, maximum correlation, \
             minimum utilisation, random",
        ),
        param(
            "carbon.low_g_per_kwh",
            "float",
            "none",
            "≥ 0 gCO2/kWh",
            "carbon-aware: at and below this grid intensity the parameter is \
             carbon.parameter_at_low (needs a [carbon] series)",
        ),
        param(
            "carbon.high_g_per_kwh",
            "float",
            "none",
            "> low_g_per_kwh",
            "carbon-aware: at and above this intensity the parameter is \
             carbon.parameter_at_high; linear in between",
        ),
        param(
            "carbon.parameter_at_low",
            "float",
            "none",
            "≥ 0",
            "carbon-aware: the detector's parameter when the grid is clean",
        ),
        param(
            "carbon.parameter_at_high",
            "float",
            "none",
            "≥ 0",
            "carbon-aware: the detector's parameter when the grid is dirty",
        ),
    ],
};

/// Every reallocation's pacing: how often it runs and how many moves it may make.
pub const ROUNDS: Section = Section {
    section: "[policies]",
    params: &[
        param(
            "reallocation_interval_s",
            "float",
            "300.0",
            "≥ 0.001 s",
            "seconds between reallocation rounds",
        ),
        param(
            "migration_budget",
            "integer",
            "0",
            "≥ 0 (0: no limit)",
            "most migrations one round may start",
        ),
        param(
            "cooldown_rounds",
            "integer",
            "0",
            "≥ 0",
            "rounds a migrated VM stays put before any reallocation moves it again",
        ),
    ],
};

/// Workload balance's trigger and target.
pub const WORKLOAD_BALANCE: Section = Section {
    section: "[policies.balance]",
    params: &[
        param(
            "spread",
            "float",
            "0.4",
            "≥ 0",
            "trigger: act when max − min host CPU utilisation exceeds this",
        ),
        param(
            "spread_target",
            "float",
            "0.2",
            "≤ spread",
            "target: stop once the spread is at most this",
        ),
    ],
};

/// CPU balance's trigger and target.
pub const CPU_BALANCE: Section = Section {
    section: "[policies.balance]",
    params: &[
        param(
            "cpu",
            "float",
            "0.8",
            "≥ 0",
            "trigger: a host above this CPU utilisation sheds VMs",
        ),
        param(
            "cpu_target",
            "float",
            "0.7",
            "≤ cpu",
            "target for a source; ceiling for every destination",
        ),
    ],
};

/// Thermal balance's trigger and target.
pub const THERMAL_BALANCE: Section = Section {
    section: "[policies.balance]",
    params: &[
        param(
            "temperature_c",
            "float",
            "60.0",
            "≥ 0 °C",
            "trigger: a host measured above this temperature sheds VMs",
        ),
        param(
            "temperature_target_c",
            "float",
            "55.0",
            "≤ temperature_c",
            "target: predicted steady temperature for sources and destinations",
        ),
    ],
};

/// The general placement's filter and score.
pub const RANK: Section = Section {
    section: "[policies.rank]",
    params: &[
        param(
            "requirements",
            "expression",
            "none",
            "OpenNebula requirements syntax, in the dialect `expressions` names",
            "a filter every VM must pass, on top of its VM type's own requirements",
        ),
        param(
            "rank",
            "expression",
            "none (every host scores 0)",
            "OpenNebula SCHED_RANK syntax, in the dialect `expressions` names",
            "score of a host; the highest wins",
        ),
        param(
            "weighers",
            "array",
            "[]",
            "tables { attribute, multiplier }",
            "Nova-style weighers: a host attribute normalised over the candidates, times a \
             multiplier, added to the rank",
        ),
    ],
};

/// Placement policies (`[policies] placement`).
pub const PLACEMENTS: &[Policy] = &[
    policy("first-fit", "lowest-numbered host with room", None, &[]),
    policy(
        "packing",
        "most loaded host with room (fewest hosts: consolidation)",
        None,
        &[],
    ),
    policy(
        "striping",
        "host with the fewest VMs (spread VMs)",
        None,
        &[],
    ),
    policy(
        "workload-balance",
        "the same as striping: VMs evenly distributed",
        None,
        &[],
    ),
    policy("load-aware", "host with the most free CPU", None, &[]),
    policy(
        "cpu-balance",
        "the same as load-aware: most available CPU",
        None,
        &[],
    ),
    policy(
        "coolest",
        "lowest predicted steady temperature at the host's reserved load",
        THERMAL,
        &[],
    ),
    policy("coolest-inlet", "lowest inlet temperature", THERMAL, &[]),
    policy(
        "pabfd",
        "power-aware best-fit decreasing, with the consolidation detector (Beloglazov & Buyya)",
        None,
        &[CONSOLIDATION],
    ),
    policy(
        "rank",
        "filter with requirements, sort by a rank expression and weighers",
        None,
        &[RANK],
    ),
];

/// Reallocation policies (`[policies] reallocation`).
pub const REALLOCATIONS: &[Policy] = &[
    policy("none", "never migrate", None, &[]),
    policy(
        "consolidation",
        "dynamic consolidation: overload detector, VM selection, PABFD, underload drain",
        None,
        &[CONSOLIDATION, ROUNDS],
    ),
    policy(
        "workload-balance",
        "migrate from the most to the least loaded host while the load spread is too wide",
        None,
        &[WORKLOAD_BALANCE, ROUNDS],
    ),
    policy(
        "cpu-balance",
        "migrate off hosts above a CPU threshold to less-loaded hosts",
        None,
        &[CPU_BALANCE, ROUNDS],
    ),
    policy(
        "thermal-balance",
        "migrate off hosts above a temperature threshold to cooler hosts",
        THERMAL,
        &[THERMAL_BALANCE, ROUNDS],
    ),
];

/// Keys of `[policies]` every policy shares.
pub const SHARED: Section = Section {
    section: "[policies]",
    params: &[
        param(
            "power_off_idle",
            "boolean",
            "false",
            "true | false",
            "power hosts off as soon as they are empty, and let placement wake them",
        ),
        param(
            "expressions",
            "string",
            "\"orrery\"",
            "\"orrery\" | \"opennebula\"",
            "the dialect of every requirement and rank expression: orrery's own, or exactly \
             OpenNebula's scheduler (expr_bool.y, expr_arith.y)",
        ),
    ],
};

/// The cardinality bounds every horizontal mode of a role respects.
const ROLE_BOUNDS: [Param; 2] = [
    param(
        "min_vms",
        "integer",
        "the role's cardinality",
        "≤ cardinality",
        "least number of VMs",
    ),
    param(
        "max_vms",
        "integer",
        "the role's cardinality",
        "≥ cardinality",
        "greatest number of VMs",
    ),
];

/// Elasticity modes of a service role (`[[services.roles]]`): a role takes OneFlow rules
/// (metric and scheduled) or target tracking, never both, and optionally a vertical rule.
pub const ELASTICITY: &[Policy] = &[
    policy(
        "oneflow",
        "OpenNebula OneFlow elasticity rules: when an expression over the role's metrics holds \
         period_number times in a row, change the cardinality",
        Some("a [[services]] role"),
        &[
            Section {
                section: "[[services.roles]]",
                params: &[
                    ROLE_BOUNDS[0],
                    ROLE_BOUNDS[1],
                    param(
                        "cooldown",
                        "integer",
                        "300",
                        "≥ 0 s",
                        "seconds without evaluation after a scaling (rules without their own)",
                    ),
                    param(
                        "elasticity_policies[].type",
                        "string",
                        "required",
                        "CHANGE | CARDINALITY | PERCENTAGE_CHANGE",
                        "how adjust is read: added, set, or a percentage of the cardinality",
                    ),
                    param(
                        "elasticity_policies[].adjust",
                        "integer",
                        "required",
                        "any",
                        "the adjustment",
                    ),
                    param(
                        "elasticity_policies[].min_adjust_step",
                        "integer",
                        "none",
                        "≥ 0",
                        "PERCENTAGE_CHANGE: the least number of VMs to add or remove",
                    ),
                    param(
                        "elasticity_policies[].expression",
                        "expression",
                        "required",
                        "OneFlow syntax: == != > >= < <=, && || !, metric names",
                        "the condition, over role means of the VMs' metrics",
                    ),
                    param(
                        "elasticity_policies[].period",
                        "integer",
                        "0",
                        "≥ 0 s",
                        "seconds between two evaluations",
                    ),
                    param(
                        "elasticity_policies[].period_number",
                        "integer",
                        "0",
                        "≥ 0",
                        "consecutive true evaluations that fire the rule",
                    ),
                    param(
                        "elasticity_policies[].cooldown",
                        "integer",
                        "the role's cooldown",
                        "≥ 0 s",
                        "seconds without evaluation after this rule scales",
                    ),
                ],
            },
            Section {
                section: "[[services]]",
                params: &[param(
                    "autoscaler",
                    "string",
                    "\"orrery\"",
                    "\"orrery\" | \"oneflow\"",
                    "who applies the rules: orrery, at every monitoring delivery and role by role, \
                     or OneFlow's own loop, every 90 s and service by service",
                )],
            },
        ],
    ),
    policy(
        "scheduled",
        "OneFlow scheduled rules: change the cardinality at times given by a cron line or a \
         start time (simulated time read as UTC from the scenario's epoch)",
        Some("a [[services]] role"),
        &[
            Section {
                section: "[[services.roles]]",
                params: &[
                    param(
                        "scheduled_policies[].type",
                        "string",
                        "required",
                        "CHANGE | CARDINALITY | PERCENTAGE_CHANGE",
                        "how adjust is read",
                    ),
                    param(
                        "scheduled_policies[].adjust",
                        "integer",
                        "required",
                        "any",
                        "the adjustment",
                    ),
                    param(
                        "scheduled_policies[].recurrence",
                        "string",
                        "none (exactly one of recurrence, start_time)",
                        "5-field cron line, UTC",
                        "fires once per occurrence",
                    ),
                    param(
                        "scheduled_policies[].start_time",
                        "string",
                        "none (exactly one of recurrence, start_time)",
                        "Unix seconds or \"YYYY-MM-DD HH:MM:SS\" UTC",
                        "fires once",
                    ),
                ],
            },
            Section {
                section: "top level",
                params: &[param(
                    "epoch",
                    "integer or string",
                    "0 (1970-01-01 00:00:00 UTC)",
                    "Unix seconds or \"YYYY-MM-DD HH:MM:SS\" UTC",
                    "the calendar time of simulated t = 0",
                )],
            },
        ],
    ),
    policy(
        "target-tracking",
        "Kubernetes HPA: desired = ceil(VMs × mean / target), held within a tolerance and \
         stabilisation windows",
        Some("a [[services]] role"),
        &[Section {
            section: "[[services.roles]]",
            params: &[
                ROLE_BOUNDS[0],
                ROLE_BOUNDS[1],
                param(
                    "target_tracking.metrics",
                    "array",
                    "required",
                    "at least one table { metric, target }, target > 0",
                    "the tracked metrics (CPU_UTILIZATION, MEMORY_UTILIZATION in percent, or \
                     an application metric) and their per-VM targets",
                ),
                param(
                    "target_tracking.tolerance",
                    "float",
                    "0.1",
                    "[0, 1)",
                    "no change while |1 − mean/target| is at most this",
                ),
                param(
                    "target_tracking.scale_down_window_s",
                    "integer",
                    "300",
                    "≥ 0 s",
                    "scale-down takes the highest recommendation of this window",
                ),
                param(
                    "target_tracking.scale_up_window_s",
                    "integer",
                    "0",
                    "≥ 0 s",
                    "scale-up takes the lowest recommendation of this window",
                ),
                param(
                    "target_tracking.mode",
                    "string",
                    "\"ratio\"",
                    "\"ratio\" | \"hpa\"",
                    "`hpa` reads the table as the Kubernetes controller does \
                     (target-tracking-hpa)",
                ),
            ],
        }],
    ),
    policy(
        "target-tracking-hpa",
        "the Kubernetes v1.34 HPA controller (`target_tracking.mode = \"hpa\"`): \
         autoscaling/v2 metrics and behavior, whole-percent utilisation, missing and \
         initialising VMs, rate policies and stabilisation over the recorded past",
        Some("a [[services]] role"),
        &[Section {
            section: "[[services.roles]]",
            params: &[
                ROLE_BOUNDS[0],
                ROLE_BOUNDS[1],
                param(
                    "target_tracking.metrics",
                    "array",
                    "cpu at 80 % utilisation",
                    "autoscaling/v2 MetricSpec tables: type Resource (cpu | memory; \
                     Utilization | AverageValue), Pods (AverageValue), Object or External \
                     (Value | AverageValue)",
                    "Resource and Pods read the VMs' delivered metrics, Object and External \
                     the service's KPIs; the largest proposal wins",
                ),
                param(
                    "target_tracking.behavior",
                    "table",
                    "none (at most max(2 × VMs, 4) per evaluation)",
                    "scaleUp, scaleDown: stabilizationWindowSeconds, selectPolicy (Max | \
                     Min | Disabled), policies [{ type = Pods | Percent, value, \
                     periodSeconds }], tolerance",
                    "autoscaling/v2 behavior, with the API server's defaults",
                ),
                param(
                    "target_tracking.tolerance",
                    "float",
                    "0.1",
                    "≥ 0",
                    "--horizontal-pod-autoscaler-tolerance: no change while the usage ratio \
                     is within [1 − tolerance, 1 + tolerance]",
                ),
                param(
                    "target_tracking.downscale_stabilization_s",
                    "integer",
                    "300",
                    "≥ 0 s",
                    "--horizontal-pod-autoscaler-downscale-stabilization: the scale-down \
                     window",
                ),
                param(
                    "target_tracking.cpu_initialization_period_s",
                    "integer",
                    "300",
                    "≥ 0 s",
                    "--horizontal-pod-autoscaler-cpu-initialization-period: a VM running \
                     for less is not ready for cpu metrics",
                ),
            ],
        }],
    ),
    policy(
        "vertical",
        "resize the role's VMs (vCPUs and memory) toward target utilisations, within the VM \
         type's maximum, at most once per role cooldown",
        Some("a [[services]] role"),
        &[Section {
            section: "[[services.roles]]",
            params: &[
                param(
                    "vertical.target_cpu",
                    "float",
                    "required",
                    "> 0 %",
                    "target CPU utilisation, percent of the VM's vCPUs",
                ),
                param(
                    "vertical.target_memory",
                    "float",
                    "required",
                    "> 0 %",
                    "target memory utilisation, percent of the VM's memory",
                ),
                param(
                    "vertical.tolerance",
                    "float",
                    "0.1",
                    "[0, 1)",
                    "no change in a dimension while |1 − utilisation/target| is at most this",
                ),
                param(
                    "vertical.min",
                    "table",
                    "required",
                    "{ vcpus ≥ 1, memory_mb }, within the VM type's maximum",
                    "the least size a VM is shrunk to",
                ),
                param(
                    "vertical.memory_step_mb",
                    "integer",
                    "256",
                    "≥ 1 MB",
                    "memory sizes are multiples of this",
                ),
            ],
        }],
    ),
];

/// Admission control of services: tenants, quotas and vDCs.
pub const ADMISSION: &[Policy] = &[policy(
    "tenancy",
    "admit a service only if its user may deploy, its organisation's quota, its vDC's \
     allocation and the provider's unreserved capacity allow it, and its VMs fit (checked in \
     that order; the first failure is the reason)",
    Some("[[services]]"),
    &[
        Section {
            section: "[[organisations]]",
            params: &[
                param(
                    "users",
                    "table",
                    "{} (none)",
                    "name = admin | user | viewer",
                    "members and their roles; viewers may not deploy",
                ),
                param(
                    "quota.vms",
                    "integer",
                    "unlimited",
                    "≥ 0",
                    "most running VMs",
                ),
                param("quota.vcpus", "integer", "unlimited", "≥ 0", "most vCPUs"),
                param(
                    "quota.memory_mb",
                    "integer",
                    "unlimited",
                    "≥ 0 MB",
                    "most memory",
                ),
                param(
                    "vdcs[].model",
                    "string",
                    "required",
                    "pay-as-you-go | allocation-pool | reservation",
                    "how the vDC takes capacity from the provider",
                ),
                param(
                    "vdcs[].allocation",
                    "table",
                    "required",
                    "{ vms, vcpus, memory_mb }",
                    "most VMs, vCPUs and memory the vDC's VMs may use",
                ),
                param(
                    "vdcs[].guaranteed",
                    "float",
                    "0.0",
                    "[0, 1]",
                    "fraction of the allocation reserved on the provider",
                ),
                param(
                    "vdcs[].overprovisioning",
                    "float",
                    "1.0",
                    "≥ 1",
                    "the vDC's vCPUs may add up to allocation × this",
                ),
            ],
        },
        Section {
            section: "[[services]]",
            params: &[
                param(
                    "tenant",
                    "string",
                    "the default tenant",
                    "an organisation's name",
                    "the owning organisation",
                ),
                param(
                    "user",
                    "string",
                    "\"admin\"",
                    "a member of the organisation",
                    "who submits the service",
                ),
                param(
                    "vdc",
                    "string",
                    "the organisation's first vDC",
                    "a vDC of the organisation",
                    "the vDC it draws from",
                ),
                param(
                    "anti_affinity",
                    "boolean",
                    "false",
                    "true | false",
                    "place the service's VMs on distinct hosts",
                ),
            ],
        },
    ],
)];

/// The names of `policies`, in order.
pub fn names(policies: &[Policy]) -> Vec<&'static str> {
    policies.iter().map(|p| p.name).collect()
}

/// The decision a policy takes: which `[policies]` key names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Initial placement (`[policies] placement`).
    Placement,
    /// Reallocation rounds (`[policies] reallocation`).
    Reallocation,
    /// Admission of services (`[policies] admission`).
    Admission,
    /// Elasticity of services (`[policies] elasticity`).
    Elasticity,
}

impl Kind {
    /// Every kind, in `[policies]` key order.
    pub const ALL: [Kind; 4] = [
        Kind::Placement,
        Kind::Reallocation,
        Kind::Admission,
        Kind::Elasticity,
    ];

    /// The `[policies]` key that names a policy of this kind.
    pub fn key(self) -> &'static str {
        match self {
            Kind::Placement => "placement",
            Kind::Reallocation => "reallocation",
            Kind::Admission => "admission",
            Kind::Elasticity => "elasticity",
        }
    }
}

/// The built-in policies of `kind` a configuration may name.
pub fn builtin_names(kind: Kind) -> Vec<&'static str> {
    match kind {
        Kind::Placement => names(PLACEMENTS),
        Kind::Reallocation => names(REALLOCATIONS),
        Kind::Admission => names(ADMISSION),
        // The built-in elasticity is the roles' own rules: `[policies] elasticity` is absent.
        Kind::Elasticity => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orrery_engine::scenario::PoliciesSection;

    /// `[policies]` with `placement = "first-fit"` and `extra` TOML lines, parsed.
    fn policies(extra: &str) -> PoliciesSection {
        let text = format!("placement = \"first-fit\"\n{extra}");
        toml::from_str(&text).unwrap_or_else(|e| panic!("{text}\n{e}"))
    }

    /// Every parameter of a `[policies…]` section.
    fn policies_params() -> Vec<(&'static str, Param)> {
        let mut all = Vec::new();
        for p in PLACEMENTS.iter().chain(REALLOCATIONS) {
            for s in p.sections {
                all.extend(s.params.iter().map(|&param| (s.section, param)));
            }
        }
        all.extend(SHARED.params.iter().map(|&p| (SHARED.section, p)));
        all
    }

    #[test]
    fn documented_defaults_are_the_schema_defaults() {
        let defaults = format!("{:?}", policies(""));
        let mut checked = 0;
        for (section, p) in policies_params() {
            // Only TOML values can be checked; `none` and friends describe absence.
            if toml::from_str::<toml::Table>(&format!("x = {}", p.default)).is_err() {
                continue;
            }
            let table = section.trim_matches(['[', ']']);
            let line = match table.strip_prefix("policies.") {
                Some(sub) => format!("[{sub}]\n{} = {}\n", p.key, p.default),
                None => format!("{} = {}\n", p.key, p.default),
            };
            assert_eq!(
                format!("{:?}", policies(&line)),
                defaults,
                "{section} {} is documented with default {}",
                p.key,
                p.default
            );
            checked += 1;
        }
        assert!(checked >= 14, "only {checked} defaults checked");
    }

    #[test]
    fn elasticity_defaults_are_the_rules_defaults() {
        use crate::elasticity::{hpa, oneflow};
        let find = |mode: &str, key: &str| {
            ELASTICITY
                .iter()
                .find(|p| p.name == mode)
                .and_then(|p| {
                    p.sections
                        .iter()
                        .flat_map(|s| s.params)
                        .find(|p| p.key == key)
                })
                .unwrap_or_else(|| panic!("no {mode} {key}"))
                .default
        };
        assert_eq!(
            find("oneflow", "cooldown"),
            oneflow::DEFAULT_COOLDOWN_S.to_string()
        );
        let tt: hpa::TargetTracking = serde_json::from_str(
            r#"{"metrics": [{"metric": "CPU_UTILIZATION", "target": 60}], "max_vms": 3}"#,
        )
        .unwrap();
        assert_eq!(
            find("target-tracking", "target_tracking.tolerance"),
            tt.tolerance.to_string()
        );
        assert_eq!(
            find("target-tracking", "target_tracking.scale_down_window_s"),
            tt.scale_down_window_s.to_string()
        );
        assert_eq!(
            find("target-tracking", "target_tracking.scale_up_window_s"),
            tt.scale_up_window_s.to_string()
        );
        let h: hpa::HpaRule = serde_json::from_str(r#"{"max_vms": 3}"#).unwrap();
        let hpa_default = |key: &str| find("target-tracking-hpa", key);
        assert_eq!(
            hpa_default("target_tracking.tolerance"),
            h.tolerance.to_string()
        );
        assert_eq!(
            hpa_default("target_tracking.downscale_stabilization_s"),
            h.downscale_stabilization_s.to_string()
        );
        assert_eq!(
            hpa_default("target_tracking.cpu_initialization_period_s"),
            h.cpu_initialization_period_s.to_string()
        );
        let v: crate::elasticity::vertical::VerticalRule = serde_json::from_str(
            r#"{"target_cpu": 60, "target_memory": 70, "min": {"vcpus": 1, "memory_mb": 512}}"#,
        )
        .unwrap();
        assert_eq!(
            find("vertical", "vertical.tolerance"),
            v.tolerance.to_string()
        );
        assert_eq!(
            find("vertical", "vertical.memory_step_mb"),
            v.memory_step_mb.to_string()
        );
    }

    #[test]
    fn names_are_unique_within_each_table() {
        for table in [PLACEMENTS, REALLOCATIONS, ELASTICITY, ADMISSION] {
            let mut n = names(table);
            n.sort_unstable();
            n.dedup();
            assert_eq!(n.len(), table.len());
        }
    }
}
