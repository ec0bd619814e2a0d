"""Recording every resource registration a program makes under Pulumi mocks.

``pulumi.runtime.Mocks.new_resource`` sees only type, name and inputs. The parent, the
provider and the dependencies travel in the ``RegisterResource`` request, so the recorder
wraps the mock monitor and keeps the whole request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor, Mocks
from pulumi.runtime.proto import alias_pb2, resource_pb2

SECRET_MARKER = "[secret]"


def _is_wrapped_secret(value: Any) -> bool:
    return (
        isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig  # noqa: SLF001 - SDK wire format
    )


def unwrap_secrets(value: Any) -> tuple[Any, bool]:
    """``value`` with secret wrappers removed, and whether it contained a secret."""
    if _is_wrapped_secret(value):
        inner, _ = unwrap_secrets(value.get("value"))
        return inner, True
    if isinstance(value, dict):
        pairs = {key: unwrap_secrets(item) for key, item in value.items()}
        return {key: item for key, (item, _) in pairs.items()}, any(s for _, s in pairs.values())
    if isinstance(value, list):
        items = [unwrap_secrets(item) for item in value]
        return [item for item, _ in items], any(s for _, s in items)
    return value, False


def redact_secrets(value: Any) -> Any:
    """``value`` with every secret replaced by ``SECRET_MARKER``."""
    if _is_wrapped_secret(value):
        return SECRET_MARKER
    if isinstance(value, dict):
        return {key: redact_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_secrets(item) for item in value]
    return value


@dataclass
class Registration:
    """One resource as the program registered it."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    """URN of the parent ('' for the stack itself)."""
    provider: str
    """Provider reference ('' for the default provider)."""
    dependencies: list[str]
    """URNs this resource depends on: data dependencies and ``depends_on``."""
    property_dependencies: dict[str, list[str]]
    """Per input key, the URNs its value came from."""
    raw_inputs: dict[str, Any]
    """Inputs as sent, secrets still wrapped (use ``inputs`` or ``redacted_inputs``)."""
    providers: dict[str, str] = field(default_factory=dict)
    """Provider references by package, as given to a component (remote components use these)."""
    outputs: dict[str, Any] = field(default_factory=dict)
    """What the mock answered."""
    resource_id: str | None = None
    ignore_changes: list[str] = field(default_factory=list)
    """Input paths the engine leaves alone on updates."""
    delete_before_replace: bool = False
    protect: bool = False
    retain_on_delete: bool = False
    """Deleting it from the stack leaves it in the cloud (``retain_on_delete``)."""
    delete_timeout: str = ""
    """How long the engine waits for its deletion (``custom_timeouts.delete``); empty: the
    provider's default."""
    aliases: list[str] = field(default_factory=list)
    """Former names (or URNs) the resource answers to: ``pulumi.Alias`` specs as sent."""
    alias_urns: list[str] = field(default_factory=list)
    """The same aliases as URNs (name, type and parent resolved like the engine does): what a
    plan diff matches a former resource by."""
    modelled: bool = False
    """Not registered by the program: what a remote component creates, written out from its
    source (``pulumi_eks``); shown in the plan and checked by the policy pack and preflight."""

    @property
    def inputs(self) -> dict[str, Any]:
        """Inputs with secret values in the clear (for assertions, never for printing)."""
        return unwrap_secrets(self.raw_inputs)[0]

    @property
    def redacted_inputs(self) -> dict[str, Any]:
        """Inputs with secret values replaced by ``[secret]`` (for anything shown to people)."""
        return redact_secrets(self.raw_inputs)


class RecordingMonitor(MockMonitor):
    """A mock monitor that keeps every registration, in order."""

    def __init__(self, mocks: Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []

    def GetDeploymentInfo(self, request):  # noqa: N802 - gRPC method name
        """Without resource references: a resource passed as an input (a role into
        ``eks.Cluster``) is sent as its id, as older engines do. With them, deserializing the
        reference in the monitor's thread starts a lookup on the wrong event loop and the run
        fails ("attached to a different loop", FACTS.md §1)."""
        info = super().GetDeploymentInfo(request)
        references = resource_pb2.RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES
        kept = [feature for feature in info.supportedFeatures if feature != references]
        return resource_pb2.DeploymentInfo(supportedFeatures=kept)

    def RegisterResource(self, request):  # noqa: N802 - gRPC method name
        use_providers = getattr(self.mocks, "use_component_providers", None)
        if use_providers is not None:
            use_providers(dict(request.providers))
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            stack_urn = response.urn
            self.registrations.append(
                Registration(stack_urn, request.type, request.name, False, "", "", [], {}, {})
            )
            return response
        self.registrations.append(
            Registration(
                urn=response.urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                parent=request.parent,
                provider=request.provider,
                providers=dict(request.providers),
                dependencies=list(request.dependencies),
                property_dependencies={
                    key: list(deps.urns) for key, deps in request.propertyDependencies.items()
                },
                raw_inputs=rpc.deserialize_properties(request.object),
                outputs=dict(self.resources[response.urn].state),
                resource_id=self.resources[response.urn].id or None,
                ignore_changes=list(request.ignoreChanges),
                delete_before_replace=bool(request.deleteBeforeReplace),
                protect=bool(request.protect),
                retain_on_delete=bool(request.retainOnDelete),
                delete_timeout=request.customTimeouts.delete,
                aliases=[
                    alias.urn or alias.spec.name
                    for alias in request.aliases
                    if alias.urn or alias.spec.name
                ],
                alias_urns=[self._alias_urn(request, alias) for alias in request.aliases],
            )
        )
        return response

    def _alias_urn(
        self, request: resource_pb2.RegisterResourceRequest, alias: alias_pb2.Alias
    ) -> str:
        """An alias as the URN it stands for: the engine's defaults (the resource's own name,
        type and parent where the spec leaves them out), in this monitor's URN scheme; a spec's
        other stack or project is not modelled."""
        if alias.urn:
            return alias.urn
        spec = alias.spec
        parent = "" if spec.noParent else (spec.parentUrn or request.parent)
        return self.make_urn(parent, spec.type or request.type, spec.name or request.name)
