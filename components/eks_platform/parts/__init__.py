"""One ``pulumi.ComponentResource`` per concern: the AWS and Kubernetes building blocks.

Parts take typed arguments from ``eks_platform.args`` and plain values or Outputs from the
composition (``eks_platform.platform``). They share the IAM helpers (``iam``); otherwise a part
imports another only when it composes it (the network composes the NAT instance).
"""
