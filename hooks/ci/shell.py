"""Enough of the POSIX shell language to read CI scripts without running them.

:func:`parse` turns a script into statements (and-or lists of pipelines of simple commands, with
``if``/``for``/``while``/``case``, groups, subshells and function definitions), each simple
command with its 1-based line. Words keep their quoting, so :func:`expand` can expand
``$VAR``/``${VAR:-x}``/``"$@"`` and split unquoted results the way the shell does. What cannot
be known without running anything (``$(...)``, a variable nobody set in the files read) expands
to None. :func:`evaluate_test` decides ``[ -z "$X" ]``, ``[ -d venv ]`` and friends.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

_OPERATORS = (
    "<<-",
    "&&",
    "||",
    ";;",
    "|&",
    ">>",
    "<<",
    ">&",
    "<&",
    "&>",
    ">|",
    "<>",
    "|",
    ";",
    "&",
    "(",
    ")",
    "<",
    ">",
)
REDIRECTS = frozenset({">>", "<<", "<<-", ">&", "<&", "&>", ">|", "<>", "<", ">"})
_SEPARATORS = frozenset({";", "&", "\n"})
_RESERVED_END = frozenset({"then", "else", "elif", "fi", "do", "done", "esac", "}"})
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(\+?)=")


class ShellSyntaxError(ValueError):
    """The script is not shell this module can read; ``line`` is where it stopped."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True, slots=True)
class Part:
    """A piece of a word: ``lit`` (taken as is), ``plain`` (expanded, then split), ``dq``
    (double-quoted: expanded, not split)."""

    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class Word:
    parts: tuple[Part, ...]
    line: int
    raw: str

    def literal(self) -> str | None:
        """The word's text when it needs no expansion."""
        if any(p.kind != "lit" and ("$" in p.text or "`" in p.text) for p in self.parts):
            return None
        return "".join(p.text for p in self.parts)

    @property
    def quoted(self) -> bool:
        return any(p.kind != "plain" for p in self.parts)


@dataclass(frozen=True, slots=True)
class Token:
    op: str | None
    word: Word | None
    line: int


@dataclass(frozen=True, slots=True)
class Redirect:
    op: str
    target: Word | None


@dataclass(slots=True)
class Simple:
    assigns: list[tuple[str, bool, Word]]
    words: list[Word]
    redirects: list[Redirect]
    line: int


@dataclass(slots=True)
class Pipeline:
    commands: list[Node]
    negated: bool = False
    pipe_stderr: bool = False


@dataclass(slots=True)
class AndOr:
    """``pipelines[0] ops[0] pipelines[1] ...`` with ops ``&&``/``||``."""

    pipelines: list[Pipeline]
    ops: list[str]
    background: bool = False

    @property
    def line(self) -> int:
        return node_line(self.pipelines[0].commands[0])


@dataclass(slots=True)
class If:
    clauses: list[tuple[list[AndOr], list[AndOr]]]
    else_body: list[AndOr] | None
    line: int


@dataclass(slots=True)
class For:
    name: str
    items: list[Word] | None
    body: list[AndOr]
    line: int


@dataclass(slots=True)
class Loop:
    until: bool
    condition: list[AndOr]
    body: list[AndOr]
    line: int


@dataclass(slots=True)
class Case:
    subject: Word
    arms: list[tuple[list[Word], list[AndOr]]]
    line: int


@dataclass(slots=True)
class Group:
    body: list[AndOr]
    subshell: bool
    line: int


@dataclass(slots=True)
class Function:
    name: str
    body: Node
    line: int


Node = Simple | If | For | Loop | Case | Group | Function


def node_line(node: Node) -> int:
    return node.line


# --- tokens -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Lexer:
    text: str
    line: int
    pos: int = 0
    tokens: list[Token] = field(default_factory=list)
    heredocs: list[tuple[str, bool]] = field(default_factory=list)

    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def run(self) -> list[Token]:
        while self.pos < len(self.text):
            char = self.peek()
            if char == "\\" and self.peek(1) == "\n":
                self.pos += 2
                self.line += 1
            elif char == "\n":
                self.tokens.append(Token("\n", None, self.line))
                self.pos += 1
                self.line += 1
                if self.heredocs:
                    self._skip_heredocs()
            elif char in " \t\r":
                self.pos += 1
            elif char == "#":
                while self.pos < len(self.text) and self.peek() != "\n":
                    self.pos += 1
            elif (op := self._operator()) is not None:
                self.tokens.append(Token(op, None, self.line))
                self.pos += len(op)
                if op in ("<<", "<<-"):
                    self._heredoc_start(strip=op == "<<-")
            else:
                self._word()
        return self.tokens

    def _operator(self) -> str | None:
        for op in _OPERATORS:
            if self.text.startswith(op, self.pos):
                return op
        return None

    def _heredoc_start(self, *, strip: bool) -> None:
        while self.peek() in (" ", "\t"):
            self.pos += 1
        start = len(self.tokens)
        self._word()
        if len(self.tokens) > start and (word := self.tokens[-1].word) is not None:
            delimiter = "".join(p.text for p in word.parts)
            self.heredocs.append((delimiter, strip))

    def _skip_heredocs(self) -> None:
        for delimiter, strip in self.heredocs:
            while self.pos < len(self.text):
                end = self.text.find("\n", self.pos)
                end = len(self.text) if end < 0 else end
                body = self.text[self.pos : end]
                self.pos = min(end + 1, len(self.text))
                self.line += 1
                if (body.lstrip("\t") if strip else body) == delimiter:
                    break
        self.heredocs = []

    def _word(self) -> None:
        start, line = self.pos, self.line
        parts: list[Part] = []
        plain: list[str] = []

        def flush() -> None:
            if plain:
                parts.append(Part("plain", "".join(plain)))
                plain.clear()

        while self.pos < len(self.text):
            char = self.peek()
            if char in " \t\r\n" or (self._operator() is not None and not self._in_test(parts)):
                break
            if char == "\\":
                nxt = self.peek(1)
                self.pos += 2
                if nxt == "\n":
                    self.line += 1
                    continue
                flush()
                parts.append(Part("lit", nxt))
            elif char == "'":
                end = self.text.find("'", self.pos + 1)
                if end < 0:
                    raise ShellSyntaxError("unterminated single quote", self.line)
                flush()
                body = self.text[self.pos + 1 : end]
                parts.append(Part("lit", body))
                self.line += body.count("\n")
                self.pos = end + 1
            elif char == '"':
                flush()
                parts.extend(self._double_quoted())
            elif char == "$" and self.peek(1) in ("(", "{"):
                plain.append(self._balanced())
            elif char == "`":
                end = self.text.find("`", self.pos + 1)
                if end < 0:
                    raise ShellSyntaxError("unterminated backquote", self.line)
                plain.append(self.text[self.pos : end + 1])
                self.pos = end + 1
            else:
                plain.append(char)
                self.pos += 1
        flush()
        raw = self.text[start : self.pos]
        if (
            raw.isdigit()
            and self.peek() in ("<", ">")
            and self.tokens
            and self.tokens[-1].op not in REDIRECTS
        ):
            return  # an io number (2>&1): the operator follows and the number means nothing here
        self.tokens.append(Token(None, Word(tuple(parts), line, raw), line))

    def _in_test(self, parts: list[Part]) -> bool:
        """Inside ``[[ ... ]]`` the shell's ``&&``, ``<`` and ``>`` are test operators."""
        depth = 0
        for token in self.tokens:
            literal = token.word.literal() if token.word is not None else None
            if literal == "[[":
                depth += 1
            elif literal == "]]":
                depth -= 1
            elif token.op is not None and token.op in _SEPARATORS:
                depth = 0
        return depth > 0 and not parts and self.text[self.pos : self.pos + 2] in ("&&", "||")

    def _double_quoted(self) -> list[Part]:
        parts: list[Part] = []
        buf: list[str] = []
        self.pos += 1
        while True:
            if self.pos >= len(self.text):
                raise ShellSyntaxError("unterminated double quote", self.line)
            char = self.peek()
            if char == '"':
                self.pos += 1
                break
            if char == "\\" and self.peek(1) in ('"', "\\", "$", "`", "\n"):
                if self.peek(1) == "\n":
                    self.line += 1
                else:
                    if buf:
                        parts.append(Part("dq", "".join(buf)))
                        buf.clear()
                    parts.append(Part("lit", self.peek(1)))
                self.pos += 2
                continue
            if char == "$" and self.peek(1) in ("(", "{"):
                buf.append(self._balanced())
                continue
            if char == "\n":
                self.line += 1
            buf.append(char)
            self.pos += 1
        if buf or not parts:
            parts.append(Part("dq", "".join(buf)))
        return parts

    def _balanced(self) -> str:
        """``$(...)``, ``$((...))`` or ``${...}``, nesting and quotes respected."""
        start = self.pos
        close = ")" if self.peek(1) == "(" else "}"
        opening = "(" if close == ")" else "{"
        depth = 0
        self.pos += 1
        while self.pos < len(self.text):
            char = self.peek()
            if char == "\\":
                self.pos += 2
                continue
            if char in ("'", '"') and close == ")":
                end = self.text.find(char, self.pos + 1)
                self.pos = len(self.text) if end < 0 else end + 1
                continue
            if char == "\n":
                self.line += 1
            if char == opening:
                depth += 1
            elif char == close:
                depth -= 1
                if depth == 0:
                    self.pos += 1
                    return self.text[start : self.pos]
            self.pos += 1
        raise ShellSyntaxError(f"unterminated {self.text[start : start + 2]}", self.line)


def tokenize(text: str, first_line: int = 1) -> list[Token]:
    return _Lexer(text, first_line).run()


# --- parser -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Parser:
    tokens: list[Token]
    pos: int = 0

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def reserved(self, *names: str) -> bool:
        token = self.peek()
        return (
            token is not None
            and token.word is not None
            and not token.word.quoted
            and token.word.raw in names
        )

    def take_reserved(self, name: str) -> None:
        if not self.reserved(name):
            token = self.peek()
            found = "end of script" if token is None else (token.op or token.word.raw)  # type: ignore[union-attr]
            raise ShellSyntaxError(f"expected {name!r}, found {found!r}", self._line())
        self.pos += 1

    def _line(self) -> int:
        token = self.peek()
        if token is not None:
            return token.line
        return self.tokens[-1].line if self.tokens else 1

    def skip_newlines(self) -> None:
        while (token := self.peek()) is not None and token.op == "\n":
            self.pos += 1

    def compound_list(self, *ends: str) -> list[AndOr]:
        """Statements until one of the reserved words ``ends`` (or ``)``/``;;``/the end)."""
        out: list[AndOr] = []
        while True:
            self.skip_newlines()
            token = self.peek()
            if token is None or (ends and self.reserved(*ends)):
                return out
            if token.op in (")", ";;"):
                return out
            if token.op in (";", "&"):
                self.pos += 1
                continue
            out.append(self.and_or())
            token = self.peek()
            if token is not None and token.op == "&":
                out[-1].background = True
                self.pos += 1
            elif token is not None and token.op in (";", "\n"):
                self.pos += 1

    def and_or(self) -> AndOr:
        pipelines = [self.pipeline()]
        ops: list[str] = []
        while (token := self.peek()) is not None and token.op in ("&&", "||"):
            self.pos += 1
            self.skip_newlines()
            ops.append(token.op)
            pipelines.append(self.pipeline())
        return AndOr(pipelines, ops)

    def pipeline(self) -> Pipeline:
        negated = False
        if self.reserved("!"):
            negated = True
            self.pos += 1
        commands = [self.command()]
        stderr = False
        while (token := self.peek()) is not None and token.op in ("|", "|&"):
            stderr = stderr or token.op == "|&"
            self.pos += 1
            self.skip_newlines()
            commands.append(self.command())
        return Pipeline(commands, negated, stderr)

    def command(self) -> Node:
        token = self.peek()
        if token is None:
            raise ShellSyntaxError("a command is missing at the end", self._line())
        line = token.line
        if token.op == "(":
            self.pos += 1
            body = self.compound_list()
            self._expect_op(")")
            self._redirects()
            return Group(body, True, line)
        if token.op is not None and token.op not in REDIRECTS:
            raise ShellSyntaxError(f"unexpected {token.op!r}", line)
        if self.reserved("if"):
            return self._if(line)
        if self.reserved("for"):
            return self._for(line)
        if self.reserved("while", "until"):
            until = self.reserved("until")
            self.pos += 1
            condition = self.compound_list("do")
            self.take_reserved("do")
            body = self.compound_list("done")
            self.take_reserved("done")
            self._redirects()
            return Loop(until, condition, body, line)
        if self.reserved("case"):
            return self._case(line)
        if self.reserved("{"):
            self.pos += 1
            body = self.compound_list("}")
            self.take_reserved("}")
            self._redirects()
            return Group(body, False, line)
        if self.reserved("function"):
            self.pos += 1
            name = self._word_token().raw
            if self._is_op("("):
                self.pos += 1
                self._expect_op(")")
            self.skip_newlines()
            return Function(name, self.command(), line)
        if (
            token.word is not None
            and NAME.fullmatch(token.word.raw)
            and self.pos + 2 < len(self.tokens)
            and self.tokens[self.pos + 1].op == "("
            and self.tokens[self.pos + 2].op == ")"
        ):
            self.pos += 3
            self.skip_newlines()
            return Function(token.word.raw, self.command(), line)
        return self._simple(line)

    def _is_op(self, op: str) -> bool:
        token = self.peek()
        return token is not None and token.op == op

    def _expect_op(self, op: str) -> None:
        if not self._is_op(op):
            raise ShellSyntaxError(f"expected {op!r}", self._line())
        self.pos += 1

    def _word_token(self) -> Word:
        token = self.peek()
        if token is None or token.word is None:
            raise ShellSyntaxError("expected a word", self._line())
        self.pos += 1
        return token.word

    def _redirects(self) -> list[Redirect]:
        found: list[Redirect] = []
        while (token := self.peek()) is not None and token.op in REDIRECTS:
            self.pos += 1
            target = self.peek()
            if target is not None and target.word is not None:
                self.pos += 1
                found.append(Redirect(token.op, target.word))
            else:
                found.append(Redirect(token.op, None))
        return found

    def _simple(self, line: int) -> Simple:
        assigns: list[tuple[str, bool, Word]] = []
        words: list[Word] = []
        redirects: list[Redirect] = []
        while (token := self.peek()) is not None:
            if token.op is not None:
                if token.op in REDIRECTS:
                    redirects.extend(self._redirects())
                    continue
                break
            word = token.word
            assert word is not None
            if words and words[0].raw in ("[[",) and word.raw == "]]":
                words.append(word)
                self.pos += 1
                continue
            if not words and word.raw in _RESERVED_END and not word.quoted:
                break
            match = _ASSIGN.match(word.raw) if not words else None
            if match is not None and word.parts and word.parts[0].kind == "plain":
                assigns.append((match[1], bool(match[2]), _strip_prefix(word, len(match[0]))))
            else:
                words.append(word)
            self.pos += 1
        if not words and not assigns and not redirects:
            raise ShellSyntaxError("a command is missing", line)
        return Simple(assigns, words, redirects, line)

    def _if(self, line: int) -> If:
        self.take_reserved("if")
        clauses: list[tuple[list[AndOr], list[AndOr]]] = []
        else_body: list[AndOr] | None = None
        while True:
            condition = self.compound_list("then")
            self.take_reserved("then")
            body = self.compound_list("elif", "else", "fi")
            clauses.append((condition, body))
            if self.reserved("elif"):
                self.pos += 1
                continue
            if self.reserved("else"):
                self.pos += 1
                else_body = self.compound_list("fi")
            self.take_reserved("fi")
            break
        self._redirects()
        return If(clauses, else_body, line)

    def _for(self, line: int) -> For:
        self.take_reserved("for")
        name = self._word_token().raw
        items: list[Word] | None = None
        self.skip_newlines()
        if self.reserved("in"):
            self.pos += 1
            items = []
            while (token := self.peek()) is not None and token.word is not None:
                items.append(token.word)
                self.pos += 1
        while (token := self.peek()) is not None and token.op in (";", "\n"):
            self.pos += 1
        self.take_reserved("do")
        body = self.compound_list("done")
        self.take_reserved("done")
        self._redirects()
        return For(name, items, body, line)

    def _case(self, line: int) -> Case:
        self.take_reserved("case")
        subject = self._word_token()
        self.skip_newlines()
        self.take_reserved("in")
        arms: list[tuple[list[Word], list[AndOr]]] = []
        while True:
            self.skip_newlines()
            if self.reserved("esac"):
                self.pos += 1
                break
            if self._is_op("("):
                self.pos += 1
            patterns = [self._word_token()]
            while self._is_op("|"):
                self.pos += 1
                patterns.append(self._word_token())
            self._expect_op(")")
            body = self.compound_list("esac")
            arms.append((patterns, body))
            if self._is_op(";;"):
                self.pos += 1
        self._redirects()
        return Case(subject, arms, line)


def _strip_prefix(word: Word, length: int) -> Word:
    """``word`` without its first ``length`` characters (the ``NAME=`` of an assignment)."""
    parts: list[Part] = []
    left = length
    for part in word.parts:
        if left >= len(part.text):
            left -= len(part.text)
            continue
        parts.append(Part(part.kind, part.text[left:]))
        left = 0
    return Word(tuple(parts), word.line, word.raw[length:])


def parse(text: str, first_line: int = 1) -> list[AndOr]:
    """The statements of a script whose first line is ``first_line``."""
    parser = _Parser(tokenize(text, first_line))
    statements = parser.compound_list()
    if parser.peek() is not None:
        token = parser.peek()
        assert token is not None
        raise ShellSyntaxError(f"unexpected {token.op or token.word.raw!r}", token.line)  # type: ignore[union-attr]
    return statements


# --- expansion --------------------------------------------------------------------------------

Lookup = Callable[[str], str | None]
"""A variable's value; None when it cannot be known without running CI."""


class Unknown(Exception):
    """An expansion whose value cannot be known without running CI."""


def _param(body: str, lookup: Lookup) -> str:
    """The value of ``${body}`` (``NAME``, ``NAME:-word``, ``#NAME`` ...)."""
    match = re.fullmatch(
        r"([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[@*#?$!-])(?:(:?[-=+?])(.*))?", body, re.S
    )
    if match is None:
        if body.startswith("#") and NAME.fullmatch(body[1:]):
            return str(len(_value(body[1:], lookup)))
        raise Unknown(body)
    name, op, word = match[1], match[2], match[3] or ""
    if op is None:
        return _value(name, lookup)
    value = lookup(name)
    if value is None:
        raise Unknown(name)
    kind = op[-1]  # unset and empty are one here: a variable nobody set expands to ""
    if kind in "-=":
        return expand_text(word, lookup) if value == "" else value
    if kind == "+":
        return "" if value == "" else expand_text(word, lookup)
    if value == "":
        raise Unknown(name)
    return value


def _value(name: str, lookup: Lookup) -> str:
    value = lookup(name)
    if value is None:
        raise Unknown(name)
    return value


def expand_text(text: str, lookup: Lookup) -> str:
    """``text`` with every ``$NAME``/``${...}`` replaced (no splitting)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "`" or text.startswith("$(", i):
            raise Unknown(text[i:])
        if char != "$" or i + 1 >= len(text):
            out.append(char)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "{":
            depth, j = 0, i + 1
            while j < len(text):
                if text[j] == "{":
                    depth += 1
                elif text[j] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            out.append(_param(text[i + 2 : j], lookup))
            i = j + 1
            continue
        match = NAME.match(text, i + 1)
        if match is not None:
            out.append(_value(match[0], lookup))
            i = match.end()
        elif nxt.isdigit() or nxt in "@*#?$!-":
            out.append(_value(nxt, lookup))
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


def expand(word: Word, lookup: Lookup, positional: Sequence[str] = ()) -> list[str] | None:
    """The fields ``word`` expands to (unquoted results split at whitespace, ``"$@"`` one field
    per argument); None when a value cannot be known."""
    fields: list[str] = []
    current: str | None = None
    quoted = False
    try:
        for part in word.parts:
            if part.kind == "lit":
                current = (current or "") + part.text
                quoted = True
            elif part.kind == "dq":
                if part.text in ("$@", "${@}"):  # one field per argument; none without any
                    if positional:
                        current = (current or "") + positional[0]
                        for middle in positional[1:]:
                            fields.append(current)
                            current = middle
                    continue
                quoted = True
                current = (current or "") + expand_text(part.text, lookup)
            else:
                text = expand_text(part.text, lookup)
                if not text:
                    continue
                pieces = text.split()
                if not pieces:
                    if current is not None:
                        fields.append(current)
                    current = None
                    continue
                if text[0].isspace() and current is not None:
                    fields.append(current)
                    current = None
                current = (current or "") + pieces[0]
                for piece in pieces[1:]:
                    fields.append(current)
                    current = piece
                if text[-1].isspace():
                    fields.append(current)
                    current = None
    except Unknown:
        return None
    if current is not None:
        fields.append(current)
    elif not fields and quoted:
        fields.append("")
    return fields


# --- test -------------------------------------------------------------------------------------


def evaluate_test(args: Sequence[str], exists: Callable[[str, str], bool]) -> bool | None:
    """The outcome of ``test``/``[``/``[[`` with ``args`` (brackets removed); ``exists(op, path)``
    answers ``-d``/``-f``/``-e``. None when the expression is beyond these simple forms."""
    args = list(args)
    if not args:
        return False
    if args[0] == "!":
        inner = evaluate_test(args[1:], exists)
        return None if inner is None else not inner
    for joiner in ("-o", "||", "-a", "&&"):
        if joiner in args:
            i = args.index(joiner)
            first, second = evaluate_test(args[:i], exists), evaluate_test(args[i + 1 :], exists)
            if first is None or second is None:
                return None
            return (first or second) if joiner in ("-o", "||") else (first and second)
    if len(args) == 1:
        return args[0] != ""
    if len(args) == 2:
        op, value = args
        if op == "-z":
            return value == ""
        if op == "-n":
            return value != ""
        if op in ("-d", "-f", "-e", "-s", "-x", "-r", "-w", "-L", "-h"):
            return exists(op, value)
        return None
    if len(args) == 3:
        left, op, right = args
        if op in ("=", "=="):
            return left == right
        if op == "!=":
            return left != right
        numeric = {"-eq": 0, "-ne": 1, "-lt": 2, "-le": 3, "-gt": 4, "-ge": 5}
        if op in numeric and left.lstrip("-").isdigit() and right.lstrip("-").isdigit():
            a, b = int(left), int(right)
            return [a == b, a != b, a < b, a <= b, a > b, a >= b][numeric[op]]
    return None
