"""The cost estimate and the price table refresh. Imports the model only."""
