"""Checks of a plan that need no AWS: the preflight (what AWS would refuse) and the day-2
checks. Imports the model only."""
