//! A loaded, checked federation: the parsed file, its private sites' scenarios, and the text it
//! was read from (for located errors).

use std::path::Path;

use orrery_engine::config::Source;
use orrery_engine::error::InputError;
use orrery_engine::scenario::{Scenario, VmTypeSection};

use super::check::{vm_type, Checker};
use super::file::{FederationFile, RelationSpec, SiteSpec};
use crate::ids::SiteId;

/// A loaded, checked federation: the file, its private sites' scenarios, and where it came from.
#[derive(Debug, Clone)]
pub struct Federation {
    /// Name used in outputs.
    pub name: String,
    /// The parsed contents.
    pub spec: FederationFile,
    /// Each private site's scenario, by site index (`None` for public sites).
    pub scenarios: Vec<Option<Scenario>>,
    /// The file as read: locates later errors and resolves the sites' scenario paths.
    pub source: Source,
}

impl Federation {
    /// Loads and checks the federation file at `path`, with `--set KEY=VALUE` overrides, and
    /// the scenarios it names.
    pub fn load(path: &Path, sets: &[String]) -> Result<Federation, InputError> {
        let source = Source::read(path, "federation file", "check the path")?;
        Self::from_source(source.with_sets(sets))
    }

    /// Parses federation `text` as if read from `file`, scenario paths relative to `base_dir`.
    pub fn parse(text: &str, file: &Path, base_dir: &Path) -> Result<Federation, InputError> {
        Self::from_source(Source::from_text(text, file, base_dir))
    }

    fn from_source(mut source: Source) -> Result<Federation, InputError> {
        let spec: FederationFile = source.parse(
            &[],
            "see docs/federation.md for every key, its type and its range",
        )?;
        let name = spec.name.clone().unwrap_or_else(|| source.stem());
        let mut fed = Federation {
            name,
            spec,
            scenarios: Vec::new(),
            source,
        };
        fed.scenarios = fed.load_scenarios()?;
        Checker {
            spec: &fed.spec,
            scenarios: &fed.scenarios,
            source: &fed.source,
        }
        .validate()?;
        Ok(fed)
    }

    /// The file it came from.
    pub fn file(&self) -> &Path {
        self.source.path()
    }

    /// An error about dotted `key`, located in the file.
    pub fn error_at(&self, key: &str, message: impl Into<String>) -> InputError {
        self.source.error_at(key, message)
    }

    /// VM type `name` as the first private site defining it has it.
    pub fn vm_type(&self, name: &str) -> Option<&VmTypeSection> {
        vm_type(&self.scenarios, name)
    }

    /// The site named `name`.
    pub fn site_index(&self, name: &str) -> Option<SiteId> {
        self.spec.site_index(name)
    }

    /// Site `s` as written.
    pub fn site(&self, s: SiteId) -> &SiteSpec {
        self.spec.site(s)
    }

    /// Private site `s`'s scenario (`None` for a public cloud).
    pub fn scenario(&self, s: SiteId) -> Option<&Scenario> {
        self.scenarios[s.0].as_ref()
    }

    /// The index of the appliance named `name`.
    pub fn appliance_index(&self, name: &str) -> Option<usize> {
        self.spec.appliance_index(name)
    }

    /// The coupling of the relationship between `a` and `b`, if any.
    pub fn coupling(&self, a: &str, b: &str) -> Option<&RelationSpec> {
        self.spec.coupling(a, b)
    }

    fn load_scenarios(&self) -> Result<Vec<Option<Scenario>>, InputError> {
        self.spec
            .sites
            .iter()
            .enumerate()
            .map(|(i, site)| match site {
                SiteSpec::Private { scenario, .. } => {
                    let path = self.source.resolve(scenario);
                    if !path.is_file() {
                        return Err(self
                            .error_at(
                                &format!("sites.{i}.scenario"),
                                format!("no scenario file at {}", path.display()),
                            )
                            .hint("the path is relative to the federation file"));
                    }
                    Scenario::load(&path, &[]).map(Some)
                }
                SiteSpec::Public { .. } => Ok(None),
            })
            .collect()
    }
}
