"""Generators of the documentation and the package schema from the code.

``python -m eks_platform.generate.docs --write`` (README tables and diagrams, Pulumi.yaml's config
block) and ``python -m eks_platform.generate.schema --write`` (components/schema.json).
"""
