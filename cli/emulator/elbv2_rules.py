"""ELBv2 authenticate-oidc client secrets kept as AWS keeps them, for Switchyard's emulator.

AWS stores an authenticate-oidc action's ClientSecret and never returns it: DescribeListeners and DescribeRules
leave it out. So a ModifyListener or ModifyRule that re-sends a described action must either give the secret
again or set UseExistingClientSecret to true; a CreateListener or CreateRule must give it (ELBv2 API Reference,
AuthenticateOidcActionConfig:
https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_AuthenticateOidcActionConfig.html).

moto 5.2.1 stores whatever it is sent, returns the secret in every describe and accepts a modify without one
(which then silently drops the secret). This patch keeps the secret on moto's action object, out of the action's
data (so no describe serializes it), refuses a create without it and a modify with neither a ClientSecret nor
UseExistingClientSecret=true, and carries the existing secret over when UseExistingClientSecret is true.

ModifyRule and DescribeRules round-trip ForwardConfig.TargetGroups with their weights in moto 5.2.1 as they do in
AWS (ELBv2 API Reference, ForwardActionConfig:
https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_ForwardActionConfig.html), so they need
no patch here; test/integration/deploy/listener-rules.test.ts checks that round trip.
"""

from typing import Any, Callable

from moto.elbv2.exceptions import ValidationError
from moto.elbv2.models import ELBv2Backend, FakeAction

OIDC = "authenticate-oidc"
SECRET_ATTRIBUTE = "switchyard_client_secret"


def _is_true(value: Any) -> bool:
    # The query protocol hands moto booleans as strings.
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _take_secrets(actions: list[dict[str, Any]] | None, call: str, existing: str | None) -> list[str | None]:
    """Remove the secret fields from each oidc action's config; return each action's secret (None for others)."""
    secrets: list[str | None] = []
    for index, action in enumerate(actions or []):
        if action.get("Type") != OIDC:
            secrets.append(None)
            continue
        config = action.get("AuthenticateOidcConfig") or {}
        secret = config.pop("ClientSecret", None)
        use_existing = _is_true(config.pop("UseExistingClientSecret", None))
        where = f"{call}: Actions[{index}] (authenticate-oidc)"
        if not secret and call.startswith("Create"):
            raise ValidationError(f"{where}: a ClientSecret is required when creating a listener or rule")
        if not secret and not use_existing:
            raise ValidationError(
                f"{where}: give the ClientSecret, or set UseExistingClientSecret to true to keep the existing one "
                "(DescribeListeners and DescribeRules never return it)"
            )
        if not secret and existing is None:
            raise ValidationError(
                f"{where}: UseExistingClientSecret is true but the action being replaced has no client secret; "
                "give the ClientSecret"
            )
        secrets.append(secret or existing)
    return secrets


def _existing_secret(actions: list[FakeAction] | None) -> str | None:
    for action in actions or []:
        if action.type == OIDC and getattr(action, SECRET_ATTRIBUTE, None):
            return getattr(action, SECRET_ATTRIBUTE)
    return None


def _keep_secrets(actions: list[FakeAction] | None, secrets: list[str | None]) -> None:
    for action, secret in zip(actions or [], secrets):
        if secret is not None:
            setattr(action, SECRET_ATTRIBUTE, secret)


def _find_rule(backend: ELBv2Backend, rule_arn: str) -> Any:
    for balancer in backend.load_balancers.values():
        for listener in balancer.listeners.values():
            for rule in listener.rules.values():
                if rule.arn == rule_arn:
                    return rule
    return None


def _find_listener(backend: ELBv2Backend, listener_arn: str) -> Any:
    for balancer in backend.load_balancers.values():
        if listener_arn in balancer.listeners:
            return balancer.listeners[listener_arn]
    return None


# moto 5.2.1's parameters of each wrapped method, in order: other patches may already have wrapped the method
# with (*args, **kwargs), so its own signature cannot be read from it.
PARAMETERS = {
    "create_listener": ("load_balancer_arn", "protocol", "port", "ssl_policy", "certificate", "actions"),
    "create_rule": ("listener_arn", "conditions", "priority", "actions"),
    "modify_listener": ("arn", "port", "protocol", "ssl_policy", "certificates", "actions"),
    "modify_rule": ("rule_arn", "conditions", "actions"),
}


def _wrap(name: str, call: str, existing_of: Callable[[ELBv2Backend, dict[str, Any]], str | None]) -> None:
    """Replace the backend method `name` with one that takes the oidc secrets out before moto sees them."""
    original: Callable[..., Any] = getattr(ELBv2Backend, name)

    def patched(self: ELBv2Backend, *args: Any, **kwargs: Any) -> Any:
        arguments = {**dict(zip(PARAMETERS[name], args)), **kwargs}
        actions = arguments.get("actions")
        secrets = _take_secrets(actions, call, existing_of(self, arguments))
        result = original(self, *args, **kwargs)
        if actions:
            _keep_secrets(result.default_actions if call.endswith("Listener") else result.actions, secrets)
        return result

    setattr(ELBv2Backend, name, patched)


def _listener_secret(backend: ELBv2Backend, arguments: dict[str, Any]) -> str | None:
    listener = _find_listener(backend, arguments.get("arn"))
    return _existing_secret(listener.default_actions) if listener is not None else None


def _rule_secret(backend: ELBv2Backend, arguments: dict[str, Any]) -> str | None:
    rule = _find_rule(backend, arguments.get("rule_arn"))
    return _existing_secret(rule.actions) if rule is not None else None


def patch_elbv2_rules() -> None:
    """Wrap moto's CreateListener, CreateRule, ModifyListener and ModifyRule with AWS's client-secret rules."""
    _wrap("create_listener", "CreateListener", lambda _backend, _arguments: None)
    _wrap("create_rule", "CreateRule", lambda _backend, _arguments: None)
    _wrap("modify_listener", "ModifyListener", _listener_secret)
    _wrap("modify_rule", "ModifyRule", _rule_secret)
