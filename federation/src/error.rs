//! Why a federation run failed.

use orrery_engine::error::InputError;
use orrery_engine::infra::InfraError;

/// Why a federation run failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Bad input: the federation file or a site's scenario.
    #[error(transparent)]
    Input(#[from] InputError),
    /// A site's infrastructure failed during the run.
    #[error(transparent)]
    Infra(#[from] InfraError),
}
