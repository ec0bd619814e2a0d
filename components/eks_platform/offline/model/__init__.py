"""The model of a stack run offline: the mocks, the registration recorder, the run,
pulumi-eks's children and the resource graph. Imports no other room of ``offline``."""
