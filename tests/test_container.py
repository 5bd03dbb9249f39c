"""The Dockerfile and compose.yaml keep their promises. No container engine runs here, so the
files are read: multi-stage, non-root, a health check on /healthz, no secret baked in, one
`bot` process and two `web` processes on PostgreSQL with pg_isready, a volume."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from typing import Any

import yaml

from bot.config import PROJECT_ROOT
from bot.roles import Role, parse_role

SECRET_WORDS = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|KEY", re.IGNORECASE)


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    text = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n", " ", text)
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            result.append((word.upper(), rest.strip()))
    return result


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for word, rest in instructions():
        if word == "FROM":
            found.append([])
        found[-1].append((word, rest))
    return found


def env_names(rest: str) -> list[str]:
    return [part.split("=", 1)[0] for part in shlex.split(rest)]


def test_dockerfile_is_multi_stage_and_runs_as_a_plain_user() -> None:
    build, runtime = stages()
    assert " AS " in build[0][1].upper()
    assert any(w == "COPY" and rest.startswith("--from=") for w, rest in runtime)
    users = [rest for word, rest in runtime if word == "USER"]
    assert users and users[-1] not in ("root", "0", "0:0")
    last_user = max(i for i, (word, _) in enumerate(runtime) if word == "USER")
    assert all(word != "RUN" for word, _ in runtime[last_user:])
    assert not any(word == "RUN" and "pip" in rest for word, rest in runtime)  # tools stay behind


def test_the_build_stage_has_every_file_the_package_build_reads() -> None:
    """`pip install .` reads the readme and the license files pyproject.toml names."""
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    needed = {project["project"]["readme"], *project["project"].get("license-files", [])}
    build = stages()[0]
    copied = {name for word, rest in build if word == "COPY" for name in rest.split()[:-1]}
    assert needed <= copied, needed - copied
    assert all((PROJECT_ROOT / name).is_file() for name in needed)


def test_dockerfile_health_check_and_entry() -> None:
    words = dict(instructions())
    assert "/healthz" in words["HEALTHCHECK"] and "CMD" in words["HEALTHCHECK"]
    assert "run_bot.py" in words["ENTRYPOINT"] and "--role" in words["CMD"]
    command = json.loads(words["CMD"])
    assert parse_role(command) is Role.ALL
    assert "VOLUME" in words


def test_no_secret_is_baked_into_the_image() -> None:
    for word, rest in instructions():
        if word in ("ENV", "ARG"):
            assert not [n for n in env_names(rest) if SECRET_WORDS.search(n)], rest
            assert "@" not in rest  # no user:password@host URL
        if word in ("COPY", "ADD"):
            assert ".env" not in rest.split()
    ignored = (PROJECT_ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert ".env" in ignored and ".git" in ignored and "data" in ignored


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(
        (PROJECT_ROOT / "compose.yaml").read_text(encoding="utf-8")
    )
    return loaded


def role(service: dict[str, Any]) -> str | None:
    command = service.get("command") or []
    return command[command.index("--role") + 1] if "--role" in command else None


def test_compose_runs_one_bot_and_two_web_processes_on_postgresql() -> None:
    services = compose()["services"]
    roles = {name: role(service) for name, service in services.items()}
    assert sorted(r for r in roles.values() if r) == ["bot", "web", "web"]
    for name, value in roles.items():
        if value is not None:
            assert parse_role(["--role", value]) is Role(value), name
    db = next(s for s in services.values() if str(s.get("image", "")).startswith("postgres"))
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    ports = set()
    for name, service in services.items():
        if roles[name] is None:
            continue
        assert service["depends_on"]["db"]["condition"] == "service_healthy"
        env = service["environment"]
        assert env["DATABASE_URL"].startswith("postgresql://")
        if roles[name] == "web":
            ports.add(env["WEB_PORT"])
            assert any(str(p).endswith(f":{env['WEB_PORT']}") for p in service["ports"])
    assert len(ports) == 2


def test_compose_keeps_data_in_volumes_and_secrets_out_of_the_file() -> None:
    document = compose()
    named = set(document["volumes"])
    for service in document["services"].values():
        mounts = [str(v).split(":")[0] for v in service.get("volumes", [])]
        assert mounts and set(mounts) <= named
        for key, value in service.get("environment", {}).items():
            if SECRET_WORDS.search(key):
                assert str(value).startswith("${"), key
        url = service.get("environment", {}).get("DATABASE_URL")
        if url:
            password = url.split("//", 1)[1].split("@", 1)[0].partition(":")[2]
            assert password.startswith("${"), "DATABASE_URL must take its password from .env"
