"""Load the YAML configuration, validate it whole, and report every problem with its path."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from gateway.acd.specs import Channel
from gateway.config._schema import Config, QueueConfig, is_e164
from gateway.config.errors import ConfigError, ConfigProblem

__all__ = ["format_path", "load_config", "parse_config", "read_yaml"]


def load_config(path: str | Path) -> Config:
    """Read and validate a configuration file; raise ConfigError listing every problem."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(source, [ConfigProblem("", f"cannot read the file: {exc.strerror}")]) from None
    try:
        raw = read_yaml(text)
    except yaml.YAMLError as exc:
        raise ConfigError(source, [ConfigProblem("", f"not valid YAML: {_yaml_reason(exc)}")]) from None
    return parse_config(raw, source=source)


def read_yaml(text: str) -> object:
    """YAML as the safe loader reads it, but a key given twice in one mapping is a `yaml.YAMLError`."""
    return yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader: no arbitrary objects


def parse_config(raw: object, *, source: str = "<config>") -> Config:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(source, [ConfigProblem("", "the top level must be a mapping of sections")])
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(source, [_problem(err, Config) for err in exc.errors()]) from None
    problems = list(_cross_references(config))
    problems.extend(_flow_problems(config))
    if problems:
        raise ConfigError(source, problems)
    return config


def format_path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class _UniqueKeyLoader(yaml.SafeLoader):
    """The safe loader, refusing a key given twice in one mapping (YAML would silently keep the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *anchor` merges keys that the mapping's own keys may override
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str | int | float | bool) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


def _yaml_reason(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is not None:
        return f"{problem} (line {mark.line + 1}, column {mark.column + 1})"
    return str(problem)


_MESSAGES = {
    "greater_than": "must be > {gt}",
    "greater_than_equal": "must be >= {ge}",
    "less_than": "must be < {lt}",
    "less_than_equal": "must be <= {le}",
    "missing": "is required",
    "string_pattern_mismatch": (
        "must be letters, digits, '_', '.' or '-' (at most 64), starting with a letter or digit"
    ),
    "string_too_short": "must have at least {min_length} character(s)",
    "string_too_long": "must have at most {max_length} character(s)",
}


def _problem(err: ErrorDetails, model: type[BaseModel]) -> ConfigProblem:
    loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
    kind = err["type"]
    ctx: dict[str, Any] = dict(err.get("ctx") or {})
    if kind == "extra_forbidden":
        return ConfigProblem(
            format_path(loc[:-1]) or "(top level)", _unknown_key(str(loc[-1]), loc[:-1], model)
        )
    if kind in _MESSAGES:
        return ConfigProblem(format_path(loc), _MESSAGES[kind].format(**ctx))
    if kind == "value_error":
        return ConfigProblem(format_path(loc), str(ctx.get("error", err["msg"])))
    if kind == "enum":
        return ConfigProblem(format_path(loc), f"{err['input']!r} is not one of {ctx.get('expected')}")
    if kind == "literal_error":
        return ConfigProblem(format_path(loc), f"{err['input']!r} is not one of {ctx.get('expected')}")
    got = err.get("input")
    return ConfigProblem(format_path(loc), f"{err['msg'].lower()}, got {_short(got)}")


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _unknown_key(key: str, parent: Sequence[int | str], model: type[BaseModel]) -> str:
    known = _fields_at(model, parent)
    hint = difflib.get_close_matches(key, known, n=1)
    suffix = (
        f"; did you mean {hint[0]!r}?"
        if hint
        else (f"; known keys: {', '.join(sorted(known))}" if known else "")
    )
    return f"unknown key {key!r}{suffix}"


def _fields_at(model: type[BaseModel], path: Sequence[int | str]) -> list[str]:
    """The field names of the model found at `path` (best effort, for did-you-mean hints)."""
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        is_model = isinstance(current, type) and issubclass(current, BaseModel)
        field = current.model_fields.get(part) if is_model else None
        if field is None:
            return []
        current = _model_in(field.annotation)
        if current is None:
            return []
    return list(current.model_fields) if isinstance(current, type) and issubclass(current, BaseModel) else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _duplicates(kind: str, ids: Iterable[str]) -> Iterable[ConfigProblem]:
    seen: dict[str, int] = {}
    for index, item in enumerate(ids):
        if item in seen:
            yield ConfigProblem(
                f"{kind}[{index}].id", f"duplicate id {item!r} (first at {kind}[{seen[item]}])"
            )
        seen.setdefault(item, index)


def _unknown(path: str, what: str, name: str, known: Iterable[str]) -> ConfigProblem:
    hint = difflib.get_close_matches(name, list(known), n=1)
    return ConfigProblem(path, f"unknown {what} {name!r}" + (f"; did you mean {hint[0]!r}?" if hint else ""))


def _cross_references(config: Config) -> Iterable[ConfigProblem]:
    yield from _duplicates("users", (u.id for u in config.users))
    yield from _duplicates("skills", (s.id for s in config.skills))
    yield from _duplicates("queues", (q.id for q in config.queues))
    yield from _duplicates("business_hours", (b.id for b in config.business_hours))
    skills = {s.id for s in config.skills}
    agents = {u.id for u in config.users if u.role == "agent"}
    sip_users: dict[str, str] = {}
    for i, user in enumerate(config.users):
        for skill in user.skills:
            if skill not in skills:
                yield _unknown(f"users[{i}].skills.{skill}", "skill", skill, skills)
        if user.sip is not None:
            if user.sip.user in sip_users:
                yield ConfigProblem(
                    f"users[{i}].sip.user",
                    f"SIP user {user.sip.user!r} is already used by {sip_users[user.sip.user]!r}",
                )
            sip_users.setdefault(user.sip.user, user.id)
    for i, queue in enumerate(config.queues):
        yield from _queue_references(f"queues[{i}]", queue, config, skills, agents)
    fallback = config.crm.no_entitlement.queue
    if fallback is not None and fallback not in {q.id for q in config.queues}:
        yield _unknown("crm.no_entitlement.queue", "queue", fallback, [q.id for q in config.queues])
    yield from _trunk_references(config)
    yield from _number_references(config)
    for queue_id in config.speech.keywords:
        if queue_id not in {q.id for q in config.queues}:
            yield _unknown(f"speech.keywords.{queue_id}", "queue", queue_id, [q.id for q in config.queues])


def _number_references(config: Config) -> Iterable[ConfigProblem]:
    for number, flow in config.server.sip.numbers.items():
        path = f"server.sip.numbers[{number!r}]"
        if not is_e164(number):
            yield ConfigProblem(path, "not a valid phone number in E.164 form (e.g. '+442079460100')")
        if flow not in config.flows:
            yield _unknown(path, "flow", flow, config.flows)


def _trunk_references(config: Config) -> Iterable[ConfigProblem]:
    trunk = config.server.sip.trunk
    if trunk is None or trunk.queue is None:
        return
    queue = config.queue(trunk.queue)
    if queue is None:
        yield _unknown("server.sip.trunk.queue", "queue", trunk.queue, [q.id for q in config.queues])
    elif queue.channel is not Channel.VOICE:
        yield ConfigProblem("server.sip.trunk.queue", f"queue {trunk.queue!r} is not a voice queue")


def _queue_references(
    path: str, queue: QueueConfig, config: Config, skills: set[str], agents: set[str]
) -> Iterable[ConfigProblem]:
    queues = {q.id for q in config.queues}
    hours = {b.id for b in config.business_hours}
    for j, req in enumerate(queue.skills):
        if req.skill not in skills:
            yield _unknown(f"{path}.skills[{j}].skill", "skill", req.skill, skills)
    for j, member in enumerate(queue.members):
        if member.agent not in agents:
            yield _unknown(f"{path}.members[{j}].agent", "agent", member.agent, agents)
    for j, step in enumerate(queue.relaxation):
        if step.lower_level is not None and step.lower_level.skill not in skills:
            yield _unknown(
                f"{path}.relaxation[{j}].lower_level.skill", "skill", step.lower_level.skill, skills
            )
        if step.drop_skill is not None and step.drop_skill not in skills:
            yield _unknown(f"{path}.relaxation[{j}].drop_skill", "skill", step.drop_skill, skills)
        if step.widen_to_queue is not None and step.widen_to_queue not in queues - {queue.id}:
            yield _unknown(f"{path}.relaxation[{j}].widen_to_queue", "queue", step.widen_to_queue, queues)
    if any(
        a.after_seconds >= b.after_seconds
        for a, b in zip(queue.relaxation, queue.relaxation[1:], strict=False)
    ):
        yield ConfigProblem(f"{path}.relaxation", "steps must be in increasing after_seconds order")
    if queue.max_wait is not None and queue.max_wait.exit.queue is not None:
        target = queue.max_wait.exit.queue
        if target not in queues - {queue.id}:
            yield _unknown(f"{path}.max_wait.exit.queue", "queue", target, queues)
    if queue.closed_exit.queue is not None and queue.closed_exit.queue not in queues - {queue.id}:
        yield _unknown(f"{path}.closed_exit.queue", "queue", queue.closed_exit.queue, queues)
    if queue.business_hours is not None and queue.business_hours not in hours:
        yield _unknown(f"{path}.business_hours", "business hours", queue.business_hours, hours)


def _flow_problems(config: Config) -> Iterable[ConfigProblem]:
    # Flows are validated by the IVR package, which knows the verbs; see gateway.ivr.
    from gateway.config._flows import flow_problems

    yield from flow_problems(config)
