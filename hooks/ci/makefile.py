"""``make TARGET`` read the way GNU make runs it: prerequisites first, then each recipe line in
its own ``sh -c`` (one shell for all with ``.ONESHELL``), ``$(var)`` from the Makefile's own
assignments, the command line and the environment; ``-`` lines cannot fail the build, ``@``
only hides the echo. A bare ``make`` builds ``.DEFAULT_GOAL`` or the first target.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from hooks.ci.context import Call, Frame, Job, Walker
from hooks.ci.interp import join_dir, run_script

MAKEFILE_NAMES = ("GNUmakefile", "makefile", "Makefile")
_ASSIGN = re.compile(
    r"^(?P<mods>(?:(?:override|export|private)\s+)*)(?P<name>[^:#=\s]+)\s*"
    r"(?P<op>:::=|::=|:=|\?=|\+=|!=|=)\s*(?P<value>.*)$"
)
_DIRECTIVES = ("ifeq", "ifneq", "ifdef", "ifndef")
_MAKE_VALUE_OPTS = frozenset(
    {"-C", "--directory", "-f", "--file", "--makefile", "-j", "--jobs", "-l", "-o", "-W", "-I"}
)


class Unknown(Exception):
    """A make expansion that only running something would tell (``$(shell ...)``)."""


@dataclass(slots=True)
class Rule:
    prereqs: list[str] = field(default_factory=list)
    recipe: list[tuple[str, int]] = field(default_factory=list)
    line: int = 0


@dataclass(slots=True)
class Makefile:
    rel: str
    variables: dict[str, tuple[bool, str]] = field(default_factory=dict)
    exported: set[str] = field(default_factory=set)
    rules: dict[str, Rule] = field(default_factory=dict)
    first_target: str | None = None
    oneshell: bool = False
    undecided: list[int] = field(default_factory=list)


@dataclass(slots=True)
class _Expander:
    """make's ``$(...)`` with the Makefile's variables, overrides first, the environment last."""

    makefile: Makefile
    overrides: Mapping[str, str]
    env: Mapping[str, str | None]
    automatic: Mapping[str, str] = field(default_factory=dict)
    depth: int = 0

    def value(self, name: str) -> str:
        if name in self.automatic:
            return self.automatic[name]
        if name in self.overrides:
            return self.overrides[name]
        if name == "MAKE":
            return "make"
        if name in self.makefile.variables:
            recursive, raw = self.makefile.variables[name]
            if not recursive:
                return raw
            if self.depth > 30:
                raise Unknown(name)
            self.depth += 1
            try:
                return self.expand(raw)
            finally:
                self.depth -= 1
        found = self.env.get(name, "")
        if found is None:
            raise Unknown(name)
        return found

    def expand(self, text: str) -> str:
        out: list[str] = []
        i = 0
        while i < len(text):
            char = text[i]
            if char != "$" or i + 1 >= len(text):
                out.append(char)
                i += 1
                continue
            nxt = text[i + 1]
            if nxt == "$":
                out.append("$")
                i += 2
            elif nxt in "({":
                end = _closing(text, i + 1)
                out.append(self._reference(text[i + 2 : end]))
                i = end + 1
            else:
                out.append(self.value(nxt))
                i += 2
        return "".join(out)

    def _reference(self, body: str) -> str:
        name, _, rest = body.partition(" ")
        if rest and name in _FUNCTIONS:
            return _FUNCTIONS[name](self, _split_args(rest))
        if rest or name in ("shell", "wildcard", "eval", "call", "error"):
            raise Unknown(body)
        expanded = self.expand(body)
        if ":" in expanded and "=" in expanded:
            var, _, subst = expanded.partition(":")
            old, _, new = subst.partition("=")
            words = self.value(var).split()
            return " ".join(w[: -len(old)] + new if old and w.endswith(old) else w for w in words)
        return self.value(expanded)


def _closing(text: str, start: int) -> int:
    opening = text[start]
    closing = ")" if opening == "(" else "}"
    depth = 0
    for i in range(start, len(text)):
        if text[i] == opening:
            depth += 1
        elif text[i] == closing:
            depth -= 1
            if depth == 0:
                return i
    raise Unknown(text[start:])


def _split_args(text: str) -> list[str]:
    args: list[str] = []
    depth, current = 0, list[str]()
    for char in text:
        if char in "({":
            depth += 1
        elif char in ")}":
            depth -= 1
        if char == "," and depth == 0:
            args.append("".join(current))
            current = []
        else:
            current.append(char)
    args.append("".join(current))
    return args


def _patsubst(pattern: str, replacement: str, word: str) -> str:
    if "%" not in pattern:
        return replacement if word == pattern else word
    head, _, tail = pattern.partition("%")
    if word.startswith(head) and word.endswith(tail) and len(word) >= len(head) + len(tail):
        stem = word[len(head) : len(word) - len(tail)]
        return replacement.replace("%", stem, 1)
    return word


def _words(e: _Expander, arg: str) -> list[str]:
    return e.expand(arg).split()


_FUNCTIONS: dict[str, Callable[[_Expander, list[str]], str]] = {
    "strip": lambda e, a: " ".join(_words(e, ",".join(a))),
    "subst": lambda e, a: e.expand(a[2]).replace(e.expand(a[0]), e.expand(a[1])),
    "patsubst": lambda e, a: " ".join(
        _patsubst(e.expand(a[0]).strip(), e.expand(a[1]).strip(), w) for w in _words(e, a[2])
    ),
    "addprefix": lambda e, a: " ".join(e.expand(a[0]).strip() + w for w in _words(e, a[1])),
    "addsuffix": lambda e, a: " ".join(w + e.expand(a[0]).strip() for w in _words(e, a[1])),
    "sort": lambda e, a: " ".join(sorted(set(_words(e, a[0])))),
    "firstword": lambda e, a: next(iter(_words(e, a[0])), ""),
    "lastword": lambda e, a: (_words(e, a[0]) or [""])[-1],
    "filter": lambda e, a: " ".join(
        w
        for w in _words(e, a[1])
        if any(_patsubst(p, "", w) != w or p == w for p in _words(e, a[0]))
    ),
    "filter-out": lambda e, a: " ".join(
        w
        for w in _words(e, a[1])
        if not any(_patsubst(p, "", w) != w or p == w for p in _words(e, a[0]))
    ),
    "if": lambda e, a: (
        e.expand(a[1]) if e.expand(a[0]).strip() else (e.expand(a[2]) if len(a) > 2 else "")
    ),
    "info": lambda e, a: "",
    "warning": lambda e, a: "",
    "notdir": lambda e, a: " ".join(posixpath.basename(w) for w in _words(e, a[0])),
    "dir": lambda e, a: " ".join((posixpath.dirname(w) or ".") + "/" for w in _words(e, a[0])),
}


def _logical_lines(text: str) -> list[tuple[str, int, bool]]:
    """(line, first line number, is a recipe line), ``\\`` continuations joined: kept with
    their newline in a recipe, where the shell reads them, replaced by a space elsewhere."""
    out: list[tuple[str, int, bool]] = []
    raw = text.splitlines()
    i = 0
    while i < len(raw):
        start = i
        recipe = raw[i].startswith("\t")
        line = raw[i]
        while line.endswith("\\") and i + 1 < len(raw):
            i += 1
            if recipe:
                line += "\n" + raw[i].removeprefix("\t")
            else:
                line = line[:-1].rstrip() + " " + raw[i].strip()
        out.append((line, start + 1, recipe))
        i += 1
    return out


def _strip_comment(line: str) -> str:
    out, i = [], 0
    while i < len(line):
        if line[i] == "\\" and i + 1 < len(line) and line[i + 1] == "#":
            out.append("#")
            i += 2
            continue
        if line[i] == "#":
            break
        out.append(line[i])
        i += 1
    return "".join(out).rstrip()


def parse(
    walker: Walker, rel: str, overrides: Mapping[str, str], env: Mapping[str, str | None]
) -> Makefile | None:
    text = walker.read(rel)
    if text is None:
        return None
    makefile = Makefile(rel)
    _parse_into(walker, makefile, rel, text, overrides, env, depth=0)
    return makefile


def _condition(line: str, expander: _Expander) -> bool | None:
    keyword, _, rest = line.partition(" ")
    rest = rest.strip()
    try:
        if keyword in ("ifdef", "ifndef"):
            name = expander.expand(rest).strip()
            defined = (
                name in expander.makefile.variables
                or name in expander.overrides
                or bool(expander.env.get(name))
            )
            return defined if keyword == "ifdef" else not defined
        if rest.startswith("("):
            inner = rest[1 : _closing(rest, 0)]
            left, _, right = inner.partition(",")
        else:
            quoted = re.findall(r"""(['"])(.*?)\1""", rest)
            if len(quoted) != 2:
                return None
            left, right = quoted[0][1], quoted[1][1]
        same = expander.expand(left).strip() == expander.expand(right).strip()
    except Unknown:
        return None
    return same if keyword == "ifeq" else not same


def _parse_into(
    walker: Walker,
    makefile: Makefile,
    rel: str,
    text: str,
    overrides: Mapping[str, str],
    env: Mapping[str, str | None],
    *,
    depth: int,
) -> None:
    expander = _Expander(makefile, overrides, env)
    current: list[Rule] = []
    stack: list[tuple[bool | None, bool | None]] = []  # (this branch taken, some branch taken)
    in_define = False
    for line, number, recipe in _logical_lines(text):
        stripped = line.strip()
        if in_define:
            in_define = stripped != "endef"
            continue
        active = all(taken is not False for taken, _ in stack)
        words = stripped.split()
        directive = words[0] if words and not recipe else ""
        if directive in _DIRECTIVES:
            decided = _condition(stripped, expander) if active else False
            if decided is None:
                makefile.undecided.append(number)
            stack.append((decided, decided))
            continue
        if directive == "else" and stack:
            _, done = stack.pop()
            rest = stripped[4:].strip()
            if done is True:
                stack.append((False, True))
                continue
            decided = _condition(rest, expander) if rest.split(" ", 1)[0] in _DIRECTIVES else True
            taken = None if done is None or decided is None else decided
            stack.append((taken, None if done is None else taken))
            continue
        if directive == "endif" and stack:
            stack.pop()
            continue
        if not active:
            continue
        if recipe and current:
            for rule in current:
                rule.recipe.append((line[1:], number))
            continue
        content = _strip_comment(line)
        if not content.strip():
            continue
        if "define" in words[:3] and directive in ("define", "export", "override", "private"):
            in_define = True
            continue
        if directive in ("include", "-include", "sinclude"):
            try:
                names = (
                    expander.expand(content.split(None, 1)[1]).split()
                    if " " in content.strip()
                    else []
                )
            except Unknown:
                names = []
            for name in names:
                included = posixpath.normpath(posixpath.join(posixpath.dirname(rel), name))
                body = walker.read(included) if depth < 5 else None
                if body is not None:
                    _parse_into(walker, makefile, included, body, overrides, env, depth=depth + 1)
            continue
        if directive in ("export", "unexport") and "=" not in content:
            names = content.split()[1:]
            if directive == "export":
                makefile.exported.update(names)
            continue
        assign = _ASSIGN.match(content.strip())
        colon = _rule_colon(content)
        if assign is not None and (colon is None or colon > content.find(assign["op"])):
            current = []
            _assign(makefile, expander, assign)
            continue
        if colon is None:
            continue
        current = _rule(makefile, expander, content, colon, number)


def _assign(makefile: Makefile, expander: _Expander, match: re.Match[str]) -> None:
    name, op, value = match["name"], match["op"], match["value"].strip()
    if "export" in match["mods"].split():
        makefile.exported.add(name)
    if name in expander.overrides and "override" not in match["mods"].split():
        return
    if op in (":=", "::=", ":::="):
        try:
            makefile.variables[name] = (False, expander.expand(value))
        except Unknown:
            makefile.variables[name] = (True, "$(shell unknown)")
    elif op == "?=":
        if name not in makefile.variables and expander.env.get(name) is None:
            makefile.variables[name] = (True, value)
    elif op == "+=":
        recursive, before = makefile.variables.get(name, (True, ""))
        if not recursive:
            try:
                value = expander.expand(value)
            except Unknown:
                recursive, value = True, value
        makefile.variables[name] = (recursive, f"{before} {value}".strip())
    elif op == "!=":
        makefile.variables[name] = (True, "$(shell unknown)")
    else:
        makefile.variables[name] = (True, value)


def _rule_colon(content: str) -> int | None:
    """Where the rule's ``:`` is (outside ``$(...)`` and not part of ``:=``)."""
    depth = 0
    for i, char in enumerate(content):
        if char in "({":
            depth += 1
        elif char in ")}":
            depth -= 1
        elif char == ":" and depth == 0 and content[i + 1 : i + 2] != "=":
            return i
    return None


def _rule(
    makefile: Makefile, expander: _Expander, content: str, colon: int, number: int
) -> list[Rule]:
    try:
        targets = expander.expand(content[:colon]).split()
    except Unknown:
        return []
    rest = content[colon + 1 :].lstrip(":")
    inline = None
    if ";" in rest:
        rest, _, inline = rest.partition(";")
    if "=" in rest and _ASSIGN.match(rest.strip()):
        return []  # a target-specific variable
    try:
        prereqs = expander.expand(rest.split("|")[0]).split()
    except Unknown:
        prereqs = []
    rules: list[Rule] = []
    for target in targets:
        if target == ".ONESHELL":
            makefile.oneshell = True
        if target.startswith(".") or "%" in target:
            continue
        if makefile.first_target is None:
            makefile.first_target = target
        rule = makefile.rules.setdefault(target, Rule(line=number))
        rule.prereqs.extend(prereqs)
        if inline is not None and inline.strip():
            rule.recipe.append((inline.strip(), number))
        rules.append(rule)
    return rules


@dataclass(frozen=True, slots=True)
class MakeArgs:
    folder: str | None
    file: str | None
    targets: tuple[str, ...]
    overrides: tuple[tuple[str, str], ...]
    ignore_errors: bool
    dry_run: bool


def make_args(argv: Sequence[str], cwd: str) -> MakeArgs:
    folder: str | None = cwd
    file = None
    targets: list[str] = []
    overrides: list[tuple[str, str]] = []
    ignore = dry = False
    words = list(argv[1:])
    i = 0
    while i < len(words):
        word = words[i]
        name, eq, value = word.partition("=")
        if (
            word.startswith("-")
            and not word.startswith("--")
            and len(word) > 2
            and word[:2] in _MAKE_VALUE_OPTS
        ):
            name, eq, value = word[:2], "=", word[2:]
        if name in _MAKE_VALUE_OPTS:
            if not eq:
                i += 1
                value = words[i] if i < len(words) else ""
            if name in ("-C", "--directory"):
                folder = join_dir(folder, value) if folder is not None else None
            elif name in ("-f", "--file", "--makefile"):
                file = value
        elif word.startswith("-"):
            letters = word[1:] if not word.startswith("--") else ""
            ignore = ignore or "i" in letters or word == "--ignore-errors"
            dry = dry or "n" in letters or word in ("--dry-run", "--just-print", "--recon")
        elif eq and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", name):
            overrides.append((name, value))
        else:
            targets.append(word)
        i += 1
    return MakeArgs(folder, file, tuple(targets), tuple(overrides), ignore, dry)


def find_makefile(walker: Walker, folder: str, file: str | None) -> str | None:
    if file is not None:
        rel = join_dir(folder, file)
        return rel if rel is not None and (walker.root / rel).is_file() else None
    for name in MAKEFILE_NAMES:
        rel = name if folder == "." else f"{folder}/{name}"
        if (walker.root / rel).is_file():
            return rel
    return None


def run_make(walker: Walker, call: Call, frame: Frame, job: Job) -> None:
    """Follow ``make ...`` (``call.argv``) into the recipes it runs."""
    if call.cwd is None:
        walker.note(
            call.origin, call.text, "runs in a folder that cannot be known without running CI"
        )
        return
    args = make_args(call.argv, call.cwd)
    if args.dry_run:
        return
    rel = find_makefile(walker, args.folder, args.file) if args.folder is not None else None
    if rel is None or args.folder is None:
        walker.note(
            call.origin,
            call.text,
            f"no Makefile in {args.folder or 'a folder that cannot be known'}",
        )
        return
    overrides = dict(args.overrides)
    makefile = parse(walker, rel, overrides, call.env)
    if makefile is None:
        return
    for number in makefile.undecided:
        walker.note(
            call.origin.then(f"{rel}:{number}"),
            "conditional",
            "a make conditional that cannot be decided without running CI: both branches read",
            hides_checks=False,
        )
    goals = list(args.targets)
    if not goals:
        default = makefile.variables.get(".DEFAULT_GOAL")
        goal = default[1].strip() if default else makefile.first_target
        goals = [goal] if goal else []
    built: set[str] = set()
    for goal in goals:
        _build(walker, makefile, goal, call, frame, job, args, overrides, built)


def _build(
    walker: Walker,
    makefile: Makefile,
    target: str,
    call: Call,
    frame: Frame,
    job: Job,
    args: MakeArgs,
    overrides: Mapping[str, str],
    built: set[str],
) -> None:
    if target in built:
        return
    built.add(target)
    rule = makefile.rules.get(target)
    folder = args.folder or "."
    if rule is None:
        if not walker.in_checkout(join_dir(folder, target) or target):
            walker.note(call.origin, f"make {target}", f"{makefile.rel} has no rule for {target}")
        return
    for prereq in rule.prereqs:
        _build(walker, makefile, prereq, call, frame, job, args, overrides, built)
    inner = frame.enter(f"{makefile.rel}:{target}", call.origin, advisory=call.advisory)
    if inner is None or not rule.recipe:
        return
    env: dict[str, str | None] = dict(call.env)
    expander = _Expander(
        makefile,
        overrides,
        call.env,
        {"@": target, "<": next(iter(rule.prereqs), ""), "^": " ".join(rule.prereqs)},
    )
    for name in makefile.exported:
        try:
            env[name] = expander.value(name)
        except Unknown:
            env[name] = None
    flags = makefile.variables.get(".SHELLFLAGS", (False, "-c"))[1]
    errexit = bool(re.search(r"(^|\s)-\w*e", flags))
    lines = rule.recipe
    if makefile.oneshell and lines:
        lines = [("\n".join(text for text, _ in lines), lines[0][1])]
    for text, number in lines:
        stripped = text.lstrip()
        prefix = re.match(r"^[@+\-\s]*", stripped)
        marks = prefix[0] if prefix else ""
        body = stripped[len(marks) :]
        ignored = "-" in marks or args.ignore_errors
        try:
            script = expander.expand(body)
        except Unknown as exc:
            walker.note(
                inner.origin.then(f"{makefile.rel}:{number}"),
                body.strip(),
                f"uses $({exc}), which only running make would tell",
            )
            continue
        recipe_frame = replace(inner, advisory=inner.advisory or ignored)
        run_script(
            walker,
            recipe_frame,
            job,
            file=makefile.rel,
            text=script,
            first_line=number,
            cwd=folder,
            env=env,
            errexit=errexit,
        )
