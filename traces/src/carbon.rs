//! Carbon-intensity series (gCO2 per kWh over time).
