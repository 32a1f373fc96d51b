//! Statistics used by the overload detectors and VM selectors.
