"""Planning an estimate from a job description: catalog lines, quantities and hours, deterministic."""
