"""Small readers of the deployment files for the tests: Dockerfile instructions and stages, .dockerignore matching
(moby/patternmatcher's rules), Compose variable interpolation and dotenv files. Only what the checks need."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from jarvis_agent.settings import REPO_ROOT

DOCKERFILE = REPO_ROOT / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"
DEPLOY = REPO_ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / ".env.example"


# --- Dockerfile ----------------------------------------------------------------------------------------------------

@dataclass
class Instruction:
    keyword: str
    args: str
    line: int

    @property
    def is_json(self) -> bool:
        return self.args.lstrip().startswith("[")

    def words(self) -> list[str]:
        """The exec form's list, or the shell form split like a shell would (quotes honoured)."""
        if self.is_json:
            return json.loads(self.args)
        return shlex.split(self.args, comments=False, posix=True)


@dataclass
class Stage:
    index: int
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


def instructions(text: str) -> list[Instruction]:
    """Logical instructions: continuation lines joined, comment lines dropped (also inside a continuation, as
    Docker does). Heredocs are not supported (the Dockerfile has none)."""
    out: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1].rstrip())
            continue
        pending.append(stripped)
        logical = " ".join(p for p in pending if p)
        pending = []
        keyword, _, args = logical.partition(" ")
        out.append(Instruction(keyword.upper(), args.strip(), start))
    assert not pending, "the Dockerfile ends inside a continuation line"
    return out


def stages(path: Path = DOCKERFILE) -> list[Stage]:
    result: list[Stage] = []
    for instr in instructions(path.read_text()):
        if instr.keyword == "FROM":
            words = [w for w in instr.args.split() if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            result.append(Stage(len(result), words[0], name))
        elif instr.keyword in ("ARG",) and not result:
            continue  # global ARGs before the first FROM
        else:
            assert result, f"line {instr.line}: {instr.keyword} before any FROM"
            result[-1].instructions.append(instr)
    return result


def stage_map(all_stages: list[Stage]) -> dict[str, Stage]:
    return {s.name: s for s in all_stages if s.name}


def chain(stage: Stage, by_name: dict[str, Stage]) -> list[Stage]:
    """The stage and the stages it is built FROM, nearest first (an external image ends the chain)."""
    out = [stage]
    while out[-1].base in by_name and by_name[out[-1].base].index < out[-1].index:
        out.append(by_name[out[-1].base])
    return out


def effective(stage: Stage, by_name: dict[str, Stage], keyword: str) -> Instruction | None:
    """The instruction in force for a stage (the last one of the nearest stage of its chain that has one)."""
    for s in chain(stage, by_name):
        if found := s.all(keyword):
            return found[-1]
    return None


def copy_parts(instr: Instruction) -> tuple[dict[str, str], list[str], str]:
    """COPY/ADD: its --flags, its sources and its destination."""
    words = instr.words()
    flags: dict[str, str] = {}
    while words and words[0].startswith("--"):
        key, _, value = words.pop(0)[2:].partition("=")
        flags[key] = value
    assert len(words) >= 2, f"line {instr.line}: COPY needs a source and a destination"
    return flags, words[:-1], words[-1]


def workdir_at(stage: Stage, by_name: dict[str, Stage], instr: Instruction) -> PurePosixPath:
    """The WORKDIR in force when `instr` runs (inherited from the stages below)."""
    for s in chain(stage, by_name):
        candidates = [i for i in s.all("WORKDIR") if s is not stage or i.line < instr.line]
        if candidates:
            return PurePosixPath(candidates[-1].args)
    return PurePosixPath("/")


def produced_paths(stage: Stage, by_name: dict[str, Stage]) -> set[PurePosixPath]:
    """Paths a stage (with those below it) creates: COPY/ADD destinations, WORKDIRs, absolute paths its RUNs name."""
    out: set[PurePosixPath] = set()
    for s in chain(stage, by_name):
        for instr in s.instructions:
            if instr.keyword in ("COPY", "ADD"):
                dest = PurePosixPath(copy_parts(instr)[2])
                out.add(normalize(dest if dest.is_absolute() else workdir_at(s, by_name, instr) / dest))
            elif instr.keyword == "WORKDIR":
                out.add(normalize(PurePosixPath(instr.args)))
            elif instr.keyword == "RUN":
                out.update(normalize(PurePosixPath(p)) for p in re.findall(r"(?<![\w$.])(/[\w.\-/]+)", instr.args))
    return out


def normalize(path: PurePosixPath) -> PurePosixPath:
    parts: list[str] = []
    for part in path.parts[1:]:
        if part == "..":
            if parts:
                parts.pop()
        elif part not in (".", ""):
            parts.append(part)
    return PurePosixPath("/", *parts)


def python_modules(text: str) -> list[str]:
    """The modules a command runs with `python -m`."""
    return re.findall(r"\bpython3?(?:\.\d+)?\s+-m\s+([A-Za-z_][\w.]*)", text)


def env_of(stage: Stage, by_name: dict[str, Stage]) -> dict[str, str]:
    """The ENV variables in force in a stage (the nearest definition wins)."""
    out: dict[str, str] = {}
    for s in reversed(chain(stage, by_name)):
        for instr in s.all("ENV"):
            words = shlex.split(instr.args, posix=True)
            if words and "=" not in words[0]:  # legacy `ENV KEY value`
                out[words[0]] = " ".join(words[1:])
                continue
            for word in words:
                key, _, value = word.partition("=")
                out[key] = value
    return out


# --- .dockerignore ---------------------------------------------------------------------------------------------------

def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out += pattern[i:end + 1]
            i = end + 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out + r"\Z")


class DockerIgnore:
    """moby/patternmatcher: the last pattern matching the path or one of its parent folders decides."""

    def __init__(self, text: str) -> None:
        self.rules: list[tuple[bool, re.Pattern[str]]] = []
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            negated = line.startswith("!")
            pattern = str(PurePosixPath(line[1:] if negated else line)).lstrip("/")
            self.rules.append((negated, _pattern_regex(pattern)))

    def excluded(self, path: str) -> bool:
        parts = PurePosixPath(path.strip("/")).parts
        candidates = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
        result = False
        for negated, regex in self.rules:
            if any(regex.match(c) for c in candidates):
                result = not negated
        return result


# --- Compose interpolation and dotenv files --------------------------------------------------------------------------

def dotenv(path: Path) -> tuple[dict[str, str], set[str]]:
    """The variables a dotenv file sets, and those it only documents (commented-out `# NAME=` lines)."""
    values: dict[str, str] = {}
    documented: set[str] = set()
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if m := re.match(r"#\s*([A-Z][A-Z0-9_]*)=", line):
            documented.add(m.group(1))
        elif line and not line.startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, f"{path.name}: not KEY=value: {raw!r}"
            values[key.strip()] = value.strip()
    return values, documented


@dataclass
class Reference:
    name: str
    has_default: bool  # ${NAME:-x} / ${NAME-x} / ${NAME:+x} / ${NAME+x}: works while NAME is unset


def interpolate(text: str, env: dict[str, str], refs: list[Reference] | None = None) -> str:
    """Compose's interpolation ($$, $NAME, ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?err}, ${NAME?err},
    ${NAME:+alt}, ${NAME+alt}, nested). Every variable met is appended to `refs`."""
    refs = refs if refs is not None else []
    out, i = "", 0
    while i < len(text):
        if text.startswith("$$", i):
            out += "$"
            i += 2
        elif text.startswith("${", i):
            depth, j = 1, i + 2
            while depth:
                assert j < len(text), f"unclosed ${{ in {text!r}"
                if text.startswith("${", j):
                    depth, j = depth + 1, j + 2
                    continue
                depth -= text[j] == "}"
                j += 1
            body = text[i + 2:j - 1]
            m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)(:?[-?+])?(.*)\Z", body, re.S)
            assert m, f"bad variable {body!r}"
            name, op, arg = m.group(1), m.group(2), m.group(3)
            refs.append(Reference(name, op is not None and op.endswith(("-", "+"))))
            value = env.get(name)
            if op in (":-", "-"):
                unset = value is None or (op == ":-" and value == "")
                out += interpolate(arg, env, refs) if unset else value
            elif op in (":+", "+"):
                present = value is not None and (op == "+" or value != "")
                out += interpolate(arg, env, refs) if present else ""
            elif op in (":?", "?"):
                interpolate(arg, env, refs)
                missing = value is None or (op == ":?" and value == "")
                assert not missing, f"{name}: {arg}"
                out += value or ""
            else:
                out += value or ""
            i = j
        elif m := re.match(r"\$([A-Za-z_][A-Za-z0-9_]*)", text[i:]):
            refs.append(Reference(m.group(1), False))
            out += env.get(m.group(1), "")
            i += m.end()
        else:
            out += text[i]
            i += 1
    return out


def strings(node: object) -> list[str]:
    """Every string of a YAML document, keys included."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in (*strings(k), *strings(v))]
    if isinstance(node, list):
        return [s for v in node for s in strings(v)]
    return []
