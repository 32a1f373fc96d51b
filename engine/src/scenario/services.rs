//! The checks of the `[[services]]` and `[[organisations]]` sections: unique names, known VM
//! types, tenants, users and vDCs, role dependencies that exist and form no cycle.

use std::collections::{BTreeMap, BTreeSet};

use super::schema::{OrganisationSection, ServiceSection};
use super::Scenario;
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

/// Checks the roles of service `s` (`services[s]` in the file): unique names, a known VM type
/// (`known_type`; the file calls them `types`: `vm_types`, or a live config's `templates`),
/// `min ≤ cardinality ≤ max`, request work where requests arrive, dependencies that exist and
/// form no cycle. Errors are located by `error_at`.
pub fn check_roles(
    s: usize,
    svc: &ServiceSection,
    types: &str,
    known_type: impl Fn(&str) -> bool,
    error_at: impl Fn(&str, String) -> InputError,
) -> Result<(), InputError> {
    let mut roles = BTreeMap::new();
    for (r, role) in svc.roles.iter().enumerate() {
        let at = |k: &str| format!("services[{s}].roles[{r}].{k}");
        if roles.insert(role.name.as_str(), r).is_some() {
            return Err(error_at(&at("name"), format!("role `{}` twice", role.name))
                .hint("give each role of a service its own name"));
        }
        if !known_type(&role.vm_type) {
            return Err(
                error_at(&at("vm_type"), format!("no VM type `{}`", role.vm_type))
                    .hint(format!("name one of the [[{types}]]")),
            );
        }
        if !(role.min() <= role.cardinality && role.cardinality <= role.max()) {
            return Err(error_at(
                &at("cardinality"),
                format!(
                    "cardinality {} is outside min_vms..=max_vms ({}..={})",
                    role.cardinality,
                    role.min(),
                    role.max()
                ),
            )
            .hint("start the role within its bounds"));
        }
        let positive = role.request_mi > 0.0 && role.request_mi.is_finite();
        if svc.requests.is_some() && !positive {
            return Err(error_at(
                &at("request_mi"),
                "must be a finite number > 0 with `requests`".into(),
            )
            .hint("the CPU work of one request in this tier, in million instructions"));
        }
    }
    // Dependencies exist and form no cycle (visited in file order, so errors are stable).
    for (r, role) in svc.roles.iter().enumerate() {
        for d in &role.depends_on {
            if !roles.contains_key(d.as_str()) {
                return Err(error_at(
                    &format!("services[{s}].roles[{r}].depends_on"),
                    format!("no role `{d}` in service `{}`", svc.name),
                )
                .hint("name another role of the same service"));
            }
        }
    }
    if let Some(r) = dependency_cycle(svc, &roles) {
        return Err(error_at(
            &format!("services[{s}].roles[{r}].depends_on"),
            format!(
                "the dependencies of role `{}` form a cycle",
                svc.roles[r].name
            ),
        )
        .hint("dependencies must form no cycle"));
    }
    Ok(())
}

/// A role on a dependency cycle, if there is one.
fn dependency_cycle(svc: &ServiceSection, index: &BTreeMap<&str, usize>) -> Option<usize> {
    // 0 unvisited, 1 on the stack, 2 done.
    fn visit(
        r: usize,
        svc: &ServiceSection,
        index: &BTreeMap<&str, usize>,
        mark: &mut [u8],
    ) -> bool {
        match mark[r] {
            1 => return true,
            2 => return false,
            _ => {}
        }
        mark[r] = 1;
        for d in &svc.roles[r].depends_on {
            if visit(index[d.as_str()], svc, index, mark) {
                return true;
            }
        }
        mark[r] = 2;
        false
    }
    let mut mark = vec![0u8; svc.roles.len()];
    (0..svc.roles.len()).find(|&r| {
        let mut m = mark.clone();
        let cyclic = visit(r, svc, index, &mut m);
        if !cyclic {
            mark = m;
        }
        cyclic
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::scenario::Scenario;

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
}
