"""The research agent's pure core: plans, evidence, claims, verification, budgets,
run manifests and session records. No I/O and no framework imports."""
