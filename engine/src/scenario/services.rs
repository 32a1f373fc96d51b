//! The checks of the `[[services]]` and `[[organisations]]` sections: unique names, known VM
//! types, tenants, users and vDCs, role dependencies that exist and form no cycle.

use std::collections::{BTreeMap, BTreeSet};

use super::roles::check_roles;
use super::schema::{OrganisationSection, ServiceSection};
use super::{Scenario, DEFAULT_TENANT};
use crate::error::{require_non_negative, InputError};

impl Scenario {
    /// Checks the services and organisations: unique names, known VM types, tenants, users
    /// and vDCs, role dependencies that exist and form no cycle, `min ≤ cardinality ≤ max`.
    pub(super) fn validate_services(&self) -> Result<(), InputError> {
        let spec = &self.spec;
        let mut orgs = BTreeMap::new();
        for (o, org) in spec.organisations.iter().enumerate() {
            let at = |k: &str| format!("organisations[{o}].{k}");
            if orgs.insert(org.name.as_str(), org).is_some() {
                return Err(self
                    .error_at(&at("name"), format!("organisation `{}` twice", org.name))
                    .hint("give each organisation its own name"));
            }
            let mut vdcs = BTreeSet::new();
            for (d, vdc) in org.vdcs.iter().enumerate() {
                let at = |k: &str| format!("organisations[{o}].vdcs[{d}].{k}");
                if !vdcs.insert(vdc.name.as_str()) {
                    return Err(self
                        .error_at(&at("name"), format!("vDC `{}` twice", vdc.name))
                        .hint("give each vDC of an organisation its own name"));
                }
                if vdc.allocation.disk_gb.is_some() {
                    return Err(self
                        .error_at(
                            &at("allocation.disk_gb"),
                            "a vDC allocates VMs, vCPUs and memory, not disk",
                        )
                        .hint("put the disk limit in the organisation's `quota`"));
                }
                if !(0.0..=1.0).contains(&vdc.guaranteed) {
                    return Err(self
                        .error_at(&at("guaranteed"), "must be a fraction in [0, 1]")
                        .hint("0.2 reserves a fifth of the allocation"));
                }
                if !(vdc.overprovisioning >= 1.0 && vdc.overprovisioning.is_finite()) {
                    return Err(self
                        .error_at(&at("overprovisioning"), "must be a finite factor ≥ 1")
                        .hint("1 disables overprovisioning"));
                }
            }
        }
        self.validate_vm_tenants(&orgs)?;
        let mut names = BTreeSet::new();
        for (s, svc) in spec.services.iter().enumerate() {
            let at = |k: &str| format!("services[{s}].{k}");
            if !names.insert(svc.name.as_str()) {
                return Err(self
                    .error_at(&at("name"), format!("service `{}` twice", svc.name))
                    .hint("give each service its own name"));
            }
            if let Some(t) = &svc.tenant {
                let Some(org) = orgs.get(t.as_str()) else {
                    return Err(self
                        .error_at(&at("tenant"), format!("no organisation `{t}`"))
                        .hint("declare it in an [[organisations]] table"));
                };
                if !org.users.is_empty() && !org.users.contains_key(&svc.user) {
                    return Err(self
                        .error_at(
                            &at("user"),
                            format!("`{}` is not a member of `{t}`", svc.user),
                        )
                        .hint("add the user to the organisation's `users` table"));
                }
                if let Some(v) = &svc.vdc {
                    if !org.vdcs.iter().any(|d| &d.name == v) {
                        return Err(self
                            .error_at(&at("vdc"), format!("`{t}` has no vDC `{v}`"))
                            .hint("name one of the organisation's [[organisations.vdcs]]"));
                    }
                }
            } else if let Some(v) = &svc.vdc {
                return Err(self
                    .error_at(&at("vdc"), format!("vDC `{v}` without a tenant"))
                    .hint("set `tenant` to the organisation that owns the vDC"));
            }
            let times = [
                ("submit_s", Some(svc.submit_s)),
                ("lifetime_s", svc.lifetime_s),
                ("runtime_lease_s", svc.runtime_lease_s),
            ];
            for (key, v) in times {
                if let Some(v) = v {
                    require_non_negative(v)
                        .map_err(|m| self.error_at(&at(key), m).hint("write seconds, e.g. 3600"))?;
                }
            }
            if let Some(r) = &svc.requests {
                r.validate()
                    .map_err(|m| self.error_at(&at("requests"), m))?;
            }
            svc.monitoring
                .validate()
                .map_err(|m| self.error_at(&at("monitoring"), m))?;
            if svc.roles.is_empty() {
                return Err(self
                    .error_at(&at("roles"), "a service needs at least one role")
                    .hint("add a [[services.roles]] table"));
            }
            self.validate_roles(s, svc)?;
        }
        Ok(())
    }

    /// With organisations declared, the tenant a VM type or a generator names must be one of
    /// them (or the default tenant): its quota binds the VMs. Without organisations, tenants
    /// only label usage and bills.
    fn validate_vm_tenants(
        &self,
        orgs: &BTreeMap<&str, &OrganisationSection>,
    ) -> Result<(), InputError> {
        if orgs.is_empty() {
            return Ok(());
        }
        let types = self.spec.vm_types.iter().map(|t| &t.tenant);
        let keys = (0..).map(|i| format!("vm_types[{i}].tenant"));
        let generators = self.spec.workload.generators.iter().map(|g| &g.tenant);
        let gen_keys = (0..).map(|g| format!("workload.generators[{g}].tenant"));
        for (key, tenant) in keys.zip(types).chain(gen_keys.zip(generators)) {
            match tenant {
                Some(t) if t != DEFAULT_TENANT && !orgs.contains_key(t.as_str()) => {
                    return Err(self
                        .error_at(&key, format!("no organisation `{t}`"))
                        .hint("declare it in an [[organisations]] table, or drop `tenant`"));
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn validate_roles(&self, s: usize, svc: &ServiceSection) -> Result<(), InputError> {
        check_roles(
            s,
            svc,
            "vm_types",
            |t| self.vm_type_index(t).is_some(),
            |k, m| self.error_at(k, m),
        )
    }

    /// The section of organisation `name`.
    pub fn organisation(&self, name: &str) -> Option<&OrganisationSection> {
        self.spec.organisations.iter().find(|o| o.name == name)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::scenario::{Autoscaler, Scenario};

    const BASE: &str = r#"
duration_s = 60
[[hosts]]
type = "h"
count = 1
cores = 1
core_mips = 1000
memory_mb = 1000
power = { model = "linear", idle_w = 1.0, max_w = 2.0 }
[[vm_types]]
name = "v"
mips = 1000
memory_mb = 100
[workload]
[policies]
placement = "first-fit"
[[organisations]]
name = "acme"
users = { ann = "admin" }
[[organisations.vdcs]]
name = "d"
model = "allocation-pool"
allocation = { vcpus = 4 }
guaranteed = 0.5
"#;

    /// The error of `BASE` plus `services`: (key, line, message).
    fn error(services: &str) -> (String, usize, String) {
        let text = format!("{BASE}{services}");
        let e = Scenario::parse(&text, Path::new("s.toml"), Path::new("."), &[])
            .expect_err("the scenario is invalid");
        (e.key.unwrap_or_default(), e.line.unwrap_or(0), e.message)
    }

    fn line_of(services: &str, needle: &str) -> usize {
        let text = format!("{BASE}{services}");
        1 + text.lines().position(|l| l.contains(needle)).unwrap()
    }

    #[test]
    fn a_valid_service_loads() {
        let services = r#"
[[services]]
name = "s"
tenant = "acme"
user = "ann"
requests = { kind = "poisson", rate_per_s = 1 }
[[services.roles]]
name = "a"
vm_type = "v"
request_mi = 1
depends_on = ["b"]
[[services.roles]]
name = "b"
vm_type = "v"
request_mi = 1
"#;
        let text = format!("{BASE}{services}");
        let s = Scenario::parse(&text, Path::new("s.toml"), Path::new("."), &[]).unwrap();
        assert_eq!(s.spec.services[0].roles[0].depends_on, ["b"]);
        assert_eq!(s.organisation("acme").unwrap().vdcs[0].guaranteed, 0.5);
    }

    #[test]
    fn dependency_cycles_are_located() {
        let services = r#"
[[services]]
name = "s"
[[services.roles]]
name = "a"
vm_type = "v"
depends_on = ["b"]
[[services.roles]]
name = "b"
vm_type = "v"
depends_on = ["a"]
"#;
        let (key, line, message) = error(services);
        assert_eq!(key, "services[0].roles[0].depends_on");
        assert_eq!(line, line_of(services, "depends_on = [\"b\"]"));
        assert_eq!(message, "the dependencies of role `a` form a cycle");
    }

    #[test]
    fn vm_tenants_and_quota_values_are_located() {
        let gen = "[[workload.generators]]\nvm_type = \"v\"\ncount = 1\n\
                   arrival = { process = \"batch\" }\nutilisation = { pattern = \"constant\", level = 0.5 }\n";
        let cases = [
            (
                BASE.replace(
                    "memory_mb = 100\n",
                    "memory_mb = 100\ntenant = \"nobody\"\n",
                ) + gen,
                "vm_types[0].tenant",
                "no organisation `nobody`",
            ),
            (
                format!("{BASE}{gen}tenant = \"shop\"\n"),
                "workload.generators[0].tenant",
                "no organisation `shop`",
            ),
            (
                BASE.replace("{ vcpus = 4 }", "{ vcpus = 4, disk_gb = 10 }") + gen,
                "organisations[0].vdcs[0].allocation.disk_gb",
                "a vDC allocates VMs, vCPUs and memory, not disk",
            ),
        ];
        for (text, key, message) in cases {
            let e =
                Scenario::parse(&text, Path::new("s.toml"), Path::new("."), &[]).expect_err(key);
            assert_eq!(e.file, Path::new("s.toml"), "{key}");
            assert_eq!(e.key.as_deref(), Some(key));
            assert_eq!(e.message, message);
        }
        // A VM type of the default tenant, or of a declared organisation, is fine.
        for tenant in ["default", "acme"] {
            let text = BASE.replace(
                "memory_mb = 100\n",
                &format!("memory_mb = 100\ntenant = \"{tenant}\"\n"),
            ) + gen;
            Scenario::parse(&text, Path::new("s.toml"), Path::new("."), &[]).unwrap();
        }
        // Quota values are counts: negative, fractional or beyond the type's range is an error
        // at the key.
        for (value, key) in [
            ("vms = -1", "organisations.0.quota.vms"),
            ("vcpus = 1e12", "organisations.0.quota.vcpus"),
            ("vms = 5000000000", "organisations.0.quota.vms"),
            ("disk_gb = -5", "organisations.0.quota.disk_gb"),
            ("memory_mb = 2.5", "organisations.0.quota.memory_mb"),
        ] {
            let text = BASE.replace(
                "users = { ann = \"admin\" }",
                &format!("users = {{ ann = \"admin\" }}\nquota = {{ {value} }}"),
            );
            let e =
                Scenario::parse(&text, Path::new("s.toml"), Path::new("."), &[]).expect_err(value);
            assert_eq!(e.key.as_deref(), Some(key), "{value}: {}", e.message);
        }
    }

    #[test]
    fn unknown_names_are_located() {
        let role = "[[services.roles]]\nname = \"a\"\nvm_type = \"v\"\n";
        let cases = [
            (
                format!("[[services]]\nname = \"s\"\ntenant = \"nobody\"\n{role}"),
                "services[0].tenant",
                "no organisation `nobody`",
            ),
            (
                format!("[[services]]\nname = \"s\"\ntenant = \"acme\"\nuser = \"bob\"\n{role}"),
                "services[0].user",
                "`bob` is not a member of `acme`",
            ),
            (
                format!("[[services]]\nname = \"s\"\ntenant = \"acme\"\nuser = \"ann\"\nvdc = \"x\"\n{role}"),
                "services[0].vdc",
                "`acme` has no vDC `x`",
            ),
            (
                "[[services]]\nname = \"s\"\n[[services.roles]]\nname = \"a\"\nvm_type = \"w\"\n"
                    .to_string(),
                "services[0].roles[0].vm_type",
                "no VM type `w`",
            ),
            (
                format!("[[services]]\nname = \"s\"\n{role}depends_on = [\"z\"]\n"),
                "services[0].roles[0].depends_on",
                "no role `z` in service `s`",
            ),
        ];
        for (services, key, message) in cases {
            let (k, _, m) = error(&services);
            assert_eq!((k.as_str(), m.as_str()), (key, message), "{services}");
        }
    }

    #[test]
    fn cardinality_and_request_work_are_checked() {
        let (key, _, message) = error(
            "[[services]]\nname = \"s\"\n[[services.roles]]\nname = \"a\"\nvm_type = \"v\"\ncardinality = 5\nmax_vms = 3\n",
        );
        assert_eq!(key, "services[0].roles[0].cardinality");
        assert_eq!(
            message,
            "cardinality 5 is outside min_vms..=max_vms (5..=3)"
        );
        let (key, _, _) = error(
            "[[services]]\nname = \"s\"\nrequests = { kind = \"poisson\", rate_per_s = 1 }\n[[services.roles]]\nname = \"a\"\nvm_type = \"v\"\n",
        );
        assert_eq!(key, "services[0].roles[0].request_mi");
    }

    #[test]
    fn the_autoscaler_is_orrery_oneflow_or_a_located_error() {
        let service = |line: &str| {
            format!("[[services]]\nname = \"s\"\n{line}\n[[services.roles]]\nname = \"a\"\nvm_type = \"v\"\n")
        };
        let parse = |text: &str| {
            Scenario::parse(
                &format!("{BASE}{text}"),
                Path::new("s.toml"),
                Path::new("."),
                &[],
            )
        };
        let autoscaler = |line: &str| parse(&service(line)).unwrap().spec.services[0].autoscaler;
        assert_eq!(autoscaler(""), Autoscaler::Orrery);
        assert_eq!(autoscaler("autoscaler = \"orrery\""), Autoscaler::Orrery);
        assert_eq!(autoscaler("autoscaler = \"oneflow\""), Autoscaler::OneFlow);
        assert_eq!(Autoscaler::OneFlow.tick_interval(), Some(90_000));
        assert_eq!(Autoscaler::Orrery.tick_interval(), None);
        let services = service("autoscaler = \"OneFlow\"");
        let (key, line, message) = error(&services);
        assert_eq!(key, "services.0.autoscaler");
        assert_eq!(line, line_of(&services, "autoscaler ="));
        assert_eq!(
            message,
            "unknown variant `OneFlow`, expected `orrery` or `oneflow`"
        );
    }
}
