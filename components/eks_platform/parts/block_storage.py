"""Block storage: the EBS CSI driver (an EKS add-on on its own Pod Identity role) and a default
``gp3`` StorageClass encrypted with the platform key, so a PersistentVolumeClaim binds (the
in-tree gp2 provisioner is gone since Kubernetes 1.27). In Auto Mode, EKS runs the driver: only
the class is created, with Auto Mode's provisioner.

Sources: EKS user guide "ebs-csi" (the KMS statement for a customer-managed key) and "Create a
storage class" (Auto Mode's provisioner ebs.csi.eks.amazonaws.com); the driver's
docs/parameters.md (type, encrypted, kmsKeyId). Not exercised against a live cluster here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .iam import POD_IDENTITY_TRUST, AwsContext, ebs_kms_policy, pod_identity_addon, service_role

ADDON = "aws-ebs-csi-driver"
SERVICE_ACCOUNT = "ebs-csi-controller-sa"
DRIVER_PROVISIONER = "ebs.csi.aws.com"
AUTO_MODE_PROVISIONER = "ebs.csi.eks.amazonaws.com"
DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"


@dataclass(frozen=True)
class BlockStorageArgs:
    """What block storage needs."""

    cluster_name: pulumi.Input[str]
    """Cluster name, an output of the cluster."""
    kms_key_arn: pulumi.Input[str]
    """The platform key: volumes are encrypted with it."""
    auto_mode: bool
    """Auto Mode runs the driver itself: only the StorageClass is created."""
    addon_version: str | None = None
    """The driver add-on's version (the lock table's for the Kubernetes minor)."""
    workers_ready: Sequence[pulumi.Resource] = ()
    """Nodes: the driver's controller pods need somewhere to run (else the add-on degrades)."""
    tags: dict[str, str] = field(default_factory=dict)
    """Tags on AWS resources."""


class BlockStorage(pulumi.ComponentResource):
    """The EBS CSI driver on its own Pod Identity role, and the default gp3 StorageClass."""

    def __init__(
        self,
        name: str,
        args: BlockStorageArgs,
        provider: k8s.Provider,
        context: AwsContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("eks-platform:index:BlockStorage", name, None, opts)
        waits: list[pulumi.Resource] = []
        if not args.auto_mode:
            role = service_role(
                f"{name}-driver-role",
                assume_role_policy=POD_IDENTITY_TRUST,
                managed_policies=["service-role/AmazonEBSCSIDriverPolicy"],
                context=context,
                tags=args.tags,
                parent=self,
                description="EBS CSI driver through EKS Pod Identity",
            )
            kms = aws.iam.RolePolicy(
                f"{name}-driver-kms",
                role=role.role.id,
                policy=pulumi.Output.from_input(args.kms_key_arn).apply(ebs_kms_policy),
                opts=pulumi.ResourceOptions(parent=role.role),
            )
            waits.append(
                pod_identity_addon(
                    f"{name}-driver",
                    cluster_name=args.cluster_name,
                    addon=ADDON,
                    version=args.addon_version,
                    service_account=SERVICE_ACCOUNT,
                    role=role,
                    tags=args.tags,
                    parent=self,
                    depends_on=[kms, *args.workers_ready],
                )
            )
        k8s.storage.v1.StorageClass(
            f"{name}-gp3",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="gp3", annotations={DEFAULT_CLASS: "true"}),
            provisioner=AUTO_MODE_PROVISIONER if args.auto_mode else DRIVER_PROVISIONER,
            parameters=pulumi.Output.from_input(args.kms_key_arn).apply(
                lambda arn: {"type": "gp3", "encrypted": "true", "kmsKeyId": arn}
            ),
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            reclaim_policy="Delete",
            opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=waits),
        )
        self.register_outputs({})
