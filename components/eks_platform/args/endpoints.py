"""What nodes in private subnets with no route to the internet (``natMode: none``) reach AWS
through: the list the network creates interface endpoints from. The preflight keeps its own
list of what a node needs (offline/checks/preflight.py), and a test checks that this one covers it.

Checked against the EKS user guide, "Deploy private clusters with limited internet access"
(awsdocs/amazon-eks-user-guide ``latest/ug/clusters/private-clusters.adoc``, "Pod requirements"
table and notes), for what runs in the VPC of a ``natMode: none`` stack. That validation
(``args.config``) keeps out everything whose image is outside ECR or whose AWS API has no
endpoint here: the AWS Load Balancer Controller, Karpenter, the Cluster Autoscaler,
metrics-server, the CloudWatch add-on, the NVIDIA plugin and the default sample app. What is
left in the VPC: nodes (kubelet, containerd, the SSM agent), the VPC CNI and the EBS CSI driver
(both on Pod Identity), CoreDNS and kube-proxy.

Left out, and why:

- ``elasticloadbalancing``: what calls the ELB API for a Service of type LoadBalancer here is
  the in-tree service controller, which runs in EKS's control plane outside this VPC (the AWS
  Load Balancer Controller, which would call it from a node, is refused with ``natMode: none``;
  Auto Mode's load balancing is run by EKS too).
- ``logs``: nothing in the VPC ships logs to CloudWatch (the guide's reason, "node and pod
  logs", is the CloudWatch add-on or Fluent Bit, refused here); flow logs and control-plane
  logs are written by the VPC and EKS services themselves.
- ``eks``: managed node groups get the API endpoint and certificate in their user data, so
  nodes do not call DescribeCluster (the guide: bootstrap arguments "don't require access to
  the Amazon EKS API"); its callers here would be the Cluster Autoscaler (DescribeNodegroup)
  and Karpenter, both refused.
- ``autoscaling``: the Cluster Autoscaler's (the guide: it needs the ``autoscaling`` and
  ``sts`` endpoints and ``--aws-use-static-instance-list=true``), refused.
"""

from __future__ import annotations

PRIVATE_CLUSTER_ENDPOINTS: dict[str, str] = {
    "ecr.api": "image manifests from ECR (guide table; layers come through the S3 gateway)",
    "ecr.dkr": "image pulls from ECR (guide table)",
    "sts": "IAM roles for service accounts (guide table; pulumi-eks creates the OIDC provider)",
    "eks-auth": "Pod Identity credentials: the VPC CNI and EBS CSI roles (guide, Pod Identity)",
    "ec2": "the EKS AMI sets the node's DNS name through EC2, the VPC CNI and EBS CSI driver "
    "manage interfaces and volumes (guide: 'If you use the EKS Optimized AMI, you should "
    "enable the ec2 endpoint')",
    # Nodes carry AmazonSSMManagedInstanceCore (parts.iam) and the README offers Session
    # Manager instead of SSH: the SSM agent needs these three (guide table: ssm "alternative to
    # SSH"; Systems Manager user guide, "VPC endpoints for Systems Manager"; FACTS.md §6).
    "ssm": "Session Manager: the SSM agent registers and gets its work (guide table)",
    "ssmmessages": "Session Manager: the session channel (Systems Manager VPC endpoints)",
    "ec2messages": "Session Manager: agent messages (Systems Manager VPC endpoints)",
}
"""Interface endpoints a private cluster gets in every private subnet, with why. The S3 gateway
endpoint (free, on every private route table) comes with every ``natMode``."""
