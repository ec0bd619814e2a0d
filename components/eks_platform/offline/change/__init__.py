"""What a change does: the diff of two plans, the forecast, the destroy order, Kubernetes
upgrades. Imports the model and the checks."""
