//! A loaded, checked federation: the parsed file, its private sites' scenarios, and the text it
//! was read from (for located errors).

use std::path::{Path, PathBuf};

use orrery_engine::error::InputError;
use orrery_engine::scenario::{error_in_toml, parse_toml, Scenario, VmTypeSection};

use super::check::{vm_type, Checker};
use super::file::{FederationFile, RelationSpec, SiteSpec};
use crate::ids::SiteId;

/// A loaded, checked federation: the file, its private sites' scenarios, and where it came from.
#[derive(Debug, Clone)]
pub struct Federation {
    /// Name used in outputs.
    pub name: String,
    /// The file it came from.
    pub file: PathBuf,
    /// The parsed contents.
    pub spec: FederationFile,
    /// Each private site's scenario, by site index (`None` for public sites).
    pub scenarios: Vec<Option<Scenario>>,
    text: String,
}

impl Federation {
    /// Loads and checks the federation file at `path` and the scenarios it names.
    pub fn load(path: &Path) -> Result<Federation, InputError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            InputError::file(path, format!("cannot read the federation file: {e}"))
                .hint("check the path")
        })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Self::parse(&text, path, &base)
    }

    /// Parses federation `text` as if read from `file`, scenario paths relative to `base_dir`.
    pub fn parse(text: &str, file: &Path, base_dir: &Path) -> Result<Federation, InputError> {
        let spec: FederationFile = parse_toml(
            text,
            file,
            "see docs/federation.md for every key and its type",
        )?;
        let name = spec.name.clone().unwrap_or_else(|| {
            file.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        let mut fed = Federation {
            name,
            file: file.to_path_buf(),
            spec,
            scenarios: Vec::new(),
            text: text.to_string(),
        };
        fed.scenarios = fed.load_scenarios(base_dir)?;
        Checker {
            spec: &fed.spec,
            scenarios: &fed.scenarios,
            file: &fed.file,
            text: &fed.text,
        }
        .validate()?;
        Ok(fed)
    }

    /// An error about dotted `key`, located in the file.
    pub fn error_at(&self, key: &str, message: impl Into<String>) -> InputError {
        error_in_toml(&self.file, &self.text, key, message)
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

    fn load_scenarios(&self, base_dir: &Path) -> Result<Vec<Option<Scenario>>, InputError> {
        self.spec
            .sites
            .iter()
            .enumerate()
            .map(|(i, site)| match site {
                SiteSpec::Private { scenario, .. } => {
                    let path = base_dir.join(scenario);
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
