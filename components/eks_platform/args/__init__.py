"""Ground floor: user input turned into validated, typed arguments.

The pydantic models (``config.PlatformArgs`` and the per-concern models in ``compute`` and
``workload``), the TypedDict mirror other languages see (``component``), shared rules
(``rules``), the EKS version calendar (``versions``) and CIDR planning (``cidr``). Nothing here
imports from the rest of the package, and nothing here registers a resource.
"""
