"""EventBridge event patterns: refused at PutRule as AWS refuses them, matched as AWS matches.

AWS compiles a pattern with its open-source event-ruler, reading the JSON as a stream of
tokens and stopping at the first problem: the reason it gives names the problem and where the
parser stood (`Empty objects are not allowed\\n at [Source: (String)"..."; line: 1, column: 40]`).
`pattern_check` walks the same token stream with the same checks and messages.

moto's own matcher is close but not faithful: it treats `true` as the number 1, cannot see
fields inside arrays of objects, and lets a rule without a pattern (a scheduled rule) match
every event. `pattern_matches` follows the documented semantics instead: every field of the
pattern must match (`$or` branches any); an array in the event matches when any element does;
a pattern object that meets an array of objects needs one element to match all its fields.
"""

import ipaddress
import json
import re
from json.decoder import scanstring

MISSING = object()
MATCH_TYPES = {"exact", "prefix", "suffix", "equals-ignore-case", "wildcard", "numeric",
               "anything-but", "exists", "cidr"}
RESERVED_IN_OR = MATCH_TYPES | {"=", "<", "<=", ">", ">=", "regex", "not-wildcard",
                                "not-equals-ignore-case"}
NUMBER = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?")
SOURCE_SHOWN = 500


class PatternError(ValueError):
    """The reason AWS gives, location included."""


# -- the token stream, as Jackson's JsonParser hands it to event-ruler ----------------------

class _Tokens:
    def __init__(self, text: str):
        self.text, self.pos, self.stack = text, 0, []  # stack: [kind, state]
        self.value = None

    def fail(self, message: str, at: int | None = None):
        at = self.pos if at is None else at
        line = self.text.count("\n", 0, at) + 1
        column = at - (self.text.rfind("\n", 0, at) + 1) + 1
        shown = self.text[:SOURCE_SHOWN]
        if len(self.text) > SOURCE_SHOWN:
            shown += f"[truncated {len(self.text) - SOURCE_SHOWN} chars]"
        raise PatternError(f'{message}\n at [Source: (String)"{shown}"; line: {line}, '
                           f"column: {column}]")

    def _skip(self):
        while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n":
            self.pos += 1
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _unexpected(self, char: str, expecting: str):
        if not char:
            kind = self.stack[-1][0] if self.stack else "Object"
            self.fail(f"Unexpected end-of-input: expected close marker for {kind}")
        self.fail(f"Unexpected character ('{char}' (code {ord(char)})): {expecting}",
                  self.pos + 1)

    def next(self) -> str | None:
        """The next token: START_OBJECT, END_OBJECT, START_ARRAY, END_ARRAY, FIELD_NAME,
        STRING, NUMBER, TRUE, FALSE, NULL (None at the end); `value` holds its text."""
        char = self._skip()
        if not self.stack:
            return self._value(char) if char else None
        kind, state = self.stack[-1]
        if kind == "Object":
            if state in ("first", "next"):
                if char == "}" and state == "first":
                    return self._close()
                if char != '"':
                    self._unexpected(char, "was expecting double-quote to start field name")
                self.value, self.pos = scanstring(self.text, self.pos + 1)
                self.stack[-1][1] = "colon"
                return "FIELD_NAME"
            if state == "colon":
                if char != ":":
                    self._unexpected(char, "was expecting a colon to separate field name "
                                           "and value")
                self.pos += 1
                self.stack[-1][1] = "after"
                return self._value(self._skip())
            # after a value
            if char == "}":
                return self._close()
            if char != ",":
                self._unexpected(char, "was expecting comma to separate Object entries")
            self.pos += 1
            self.stack[-1][1] = "next"
            return self.next()
        if state == "first" and char == "]":
            return self._close()
        if state == "after":
            if char == "]":
                return self._close()
            if char != ",":
                self._unexpected(char, "was expecting comma to separate Array entries")
            self.pos += 1
            char = self._skip()
        self.stack[-1][1] = "after"
        return self._value(char)

    def _close(self) -> str:
        kind, _ = self.stack.pop()
        self.pos += 1
        return "END_OBJECT" if kind == "Object" else "END_ARRAY"

    def _value(self, char: str) -> str:
        if char in "{[" and char:
            self.pos += 1
            self.stack.append(["Object" if char == "{" else "Array", "first"])
            return "START_OBJECT" if char == "{" else "START_ARRAY"
        if char == '"':
            self.value, self.pos = scanstring(self.text, self.pos + 1)
            return "STRING"
        if found := NUMBER.match(self.text, self.pos):
            self.value, self.pos = found[0], found.end()
            return "NUMBER"
        for word in ("true", "false", "null"):
            if self.text.startswith(word, self.pos):
                self.value, self.pos = word, self.pos + len(word)
                return word.upper()
        if char.isalpha():
            word = re.match(r"\w+", self.text[self.pos:])[0]
            self.fail(f"Unrecognized token '{word}': was expecting (JSON String, Number, "
                      f"Array, Object or token 'null', 'true' or 'false')",
                      self.pos + len(word))
        self._unexpected(char, "expected a valid value (JSON String, Number, Array, Object or "
                               "token 'null', 'true' or 'false')")


# -- the checks of event-ruler's JsonRuleCompiler, in its order -----------------------------

def pattern_check(text: str) -> None:
    """Raise PatternError with AWS's reason if EventBridge would refuse this pattern."""
    tokens = _Tokens(text)
    try:
        if tokens.next() != "START_OBJECT":
            tokens.fail("Filter is not an object")
        _object(tokens, in_or=False)
    except ValueError as e:  # a broken string escape, from scanstring
        if isinstance(e, PatternError):
            raise
        tokens.fail(str(e).split(":")[0])


def _object(tokens: _Tokens, *, in_or: bool) -> None:
    present = False
    while (token := tokens.next()) != "END_OBJECT":
        present = True
        name = tokens.value
        if name == "$or":
            _or(tokens)
            continue
        if in_or and name in RESERVED_IN_OR:
            tokens.fail(f"{name} is Ruler reserved fieldName which cannot be used inside $or.")
        token = tokens.next()
        if token == "START_OBJECT":
            _object(tokens, in_or=in_or)
        elif token == "START_ARRAY":
            _values(tokens)
        else:
            tokens.fail(f'"{name}" must be an object or an array')
    if not present:
        tokens.fail("Empty objects are not allowed")


def _or(tokens: _Tokens) -> None:
    if tokens.next() != "START_ARRAY":
        tokens.fail("It must be an Array followed with $or.")
    count = 0
    while (token := tokens.next()) != "END_ARRAY":
        count += 1
        if token != "START_OBJECT":
            tokens.fail("Only JSON object is allowed in array of $or relationship.")
        _object(tokens, in_or=True)
    if count < 2:
        tokens.fail("There must have at least 2 Objects in $or relationship.")


def _values(tokens: _Tokens) -> None:
    count = 0
    while (token := tokens.next()) != "END_ARRAY":
        count += 1
        if token == "START_OBJECT":
            _match_expression(tokens)
        elif token not in ("STRING", "NUMBER", "TRUE", "FALSE", "NULL"):
            tokens.fail("Match value must be String, number, true, false, or null")
    if not count:
        tokens.fail("Empty arrays are not allowed")


def _end(tokens: _Tokens, message="Only one key allowed in match expression") -> None:
    if tokens.next() != "END_OBJECT":
        tokens.fail(message)


def _match_expression(tokens: _Tokens) -> None:
    if tokens.next() != "FIELD_NAME":
        tokens.fail("Match expression name not found")
    kind = tokens.value
    if kind not in MATCH_TYPES:
        tokens.fail(f"Unrecognized match type {kind}")
    token = tokens.next()
    if kind in ("prefix", "suffix") and token == "START_OBJECT":
        if tokens.next() != "FIELD_NAME":
            tokens.fail(f"{kind.capitalize()} expression name not found")
        if tokens.value != "equals-ignore-case":
            tokens.fail(f"Unsupported {kind} pattern: {tokens.value}")
        if tokens.next() != "STRING":
            tokens.fail("equals-ignore-case match pattern must be a string")
        _end(tokens)
    elif kind in ("exact", "prefix", "suffix", "equals-ignore-case", "wildcard", "cidr"):
        if token != "STRING":
            name = "prefix" if kind == "cidr" else kind
            tokens.fail(f"{name} match pattern must be a string")
        if kind == "wildcard":
            _wildcard_check(tokens, tokens.value)
        if kind == "cidr":
            try:
                ipaddress.ip_network(tokens.value, strict=False)
            except ValueError as e:
                tokens.fail(str(e))
    elif kind == "numeric":
        if token != "START_ARRAY":
            tokens.fail("Value of numeric must be an array.")
        _numeric(tokens)
        _end(tokens, "Too many elements in numeric expression")
        return
    elif kind == "exists":
        if token not in ("TRUE", "FALSE"):
            tokens.fail("exists match pattern must be either true or false.")
    else:
        _anything_but_check(tokens, token)
        return
    _end(tokens)


def _wildcard_check(tokens: _Tokens, value: str) -> None:
    data, i = value.encode(), 0
    while i < len(data):
        if data[i:i + 2] == b"**":
            tokens.fail(f"Consecutive wildcard characters at pos {i + 1}")
        if data[i:i + 1] == b"\\":
            if data[i + 1:i + 2] not in (b"*", b"\\"):
                tokens.fail(f"Invalid escape character at pos {i + 1}")
            i += 1
        i += 1


def _numeric(tokens: _Tokens) -> None:
    if tokens.next() != "STRING":
        tokens.fail(f"Invalid member in numeric match: {tokens.value}")
    operator = tokens.value
    if operator not in ("=", "<", "<=", ">", ">="):
        tokens.next()
        tokens.fail(f"Unrecognized numeric range operator: {operator}")
    if tokens.next() != "NUMBER":
        tokens.fail("Value of equals must be numeric" if operator == "=" else
                    f"Value of {operator} must be numeric")
    bottom = float(tokens.value)
    token = tokens.next()
    if token == "END_ARRAY":
        return
    if operator not in (">", ">="):
        tokens.fail("Too many elements in numeric expression")
    if token != "STRING":
        tokens.fail(f"Bad value in numeric range: {tokens.value}")
    second = tokens.value
    if second not in ("<", "<="):
        tokens.fail(f"Bad numeric range operator: {second}")
    if tokens.next() != "NUMBER":
        tokens.fail(f"Value of {second} must be numeric")
    if float(tokens.value) <= bottom:
        tokens.fail("Bottom must be less than top")
    if tokens.next() != "END_ARRAY":
        tokens.fail("Too many terms in numeric range expression")


def _anything_but_check(tokens: _Tokens, token: str) -> None:
    nested = None
    if token == "START_OBJECT":
        if tokens.next() != "FIELD_NAME":
            tokens.fail("Anything-But expression name not found")
        nested = tokens.value
        if nested not in ("equals-ignore-case", "prefix", "suffix", "wildcard"):
            tokens.fail(f"Unsupported anything-but pattern: {nested}")
        token = tokens.next()
    if token not in ("START_ARRAY", "STRING", "NUMBER"):
        tokens.fail("Value of anything-but must be an array or single string/number value.")
    values = []
    if token == "START_ARRAY":
        while (item := tokens.next()) != "END_ARRAY":
            values.append(_anything_but_value(tokens, item, nested, listed=True))
        if nested is None and len({kind for kind, _ in values}) != 1:
            tokens.fail("Inside anything but list, either all values are number or string, "
                        "mixed type is not supported")
    else:
        _anything_but_value(tokens, token, nested, listed=False)
    _end(tokens, "Too many elements in numeric expression")
    if nested is not None:
        _end(tokens, "Too many elements in numeric expression")


def _anything_but_value(tokens: _Tokens, token: str, nested: str | None, *, listed: bool):
    if nested is None:
        if token not in ("STRING", "NUMBER"):
            where = "anything but list" if listed else "anything-but list"
            tokens.fail(f"Inside {where}, start|null|boolean is not supported.")
        return token, tokens.value
    if token != "STRING":
        tokens.fail({"equals-ignore-case": "Inside anything-but/equals-ignore-case list, "
                                           "number|start|null|boolean is not supported.",
                     "wildcard": "wildcard match pattern must be a string"}.get(
            nested, "prefix/suffix match pattern must be a string"))
    if nested in ("prefix", "suffix") and not tokens.value:
        tokens.fail("Null prefix/suffix not allowed")
    if nested == "wildcard":
        _wildcard_check(tokens, tokens.value)
    return token, tokens.value


# -- matching --------------------------------------------------------------------------------

def pattern_matches(pattern: dict, event: dict) -> bool:
    """Whether the event (a dict, as EventBridge delivers it) matches a checked pattern."""
    return _object_matches(pattern, event)


def _object_matches(pattern: dict, node) -> bool:
    for key, rule in pattern.items():
        if key == "$or":
            if not any(_object_matches(branch, node) for branch in rule):
                return False
            continue
        value = node.get(key, MISSING) if isinstance(node, dict) else MISSING
        if isinstance(rule, dict):
            objects = [v for v in value if isinstance(v, dict)] if isinstance(value, list) \
                else [value] if isinstance(value, dict) else [{}]
            if not any(_object_matches(rule, o) for o in objects or [{}]):
                return False
        elif not _leaf_matches(rule, value):
            return False
    return True


def _leaves(value) -> list:
    if value is MISSING or isinstance(value, dict):
        return []
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def _leaf_matches(filters: list, value) -> bool:
    leaves = _leaves(value)
    for wanted in filters:
        if isinstance(wanted, dict) and "exists" in wanted:
            if bool(leaves) == wanted["exists"]:
                return True
        elif any(_value_matches(wanted, leaf) for leaf in leaves):
            return True
    return False


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _value_matches(wanted, value) -> bool:
    if isinstance(wanted, dict):
        (kind, operand), = wanted.items()
        return MATCHERS[kind](operand, value)
    if _is_number(wanted):
        return _is_number(value) and float(value) == float(wanted)
    if isinstance(wanted, str):
        return isinstance(value, str) and value == wanted
    return value is wanted  # true, false, null


def _ignoring_case(operand, value, test) -> bool:
    if isinstance(operand, dict):
        operand = operand["equals-ignore-case"]
        return isinstance(value, str) and test(value.lower(), operand.lower())
    return isinstance(value, str) and test(value, operand)


def _wildcard(pattern: str, value) -> bool:
    if not isinstance(value, str):
        return False
    regex = "".join(".*" if part == "*" else re.escape(part.replace("\\", "", 1))
                    for part in re.findall(r"\\[*\\]|\*|[^*\\]+|\\", pattern))
    return re.fullmatch(regex, value, re.DOTALL) is not None


def _numeric_matches(operand: list, value) -> bool:
    if not _is_number(value):
        return False
    checks = {"=": float.__eq__, "<": float.__lt__, "<=": float.__le__, ">": float.__gt__,
              ">=": float.__ge__}
    return all(checks[op](float(value), float(limit))
               for op, limit in zip(operand[::2], operand[1::2], strict=True))


def _cidr(operand: str, value) -> bool:
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(operand, strict=False)
    except (TypeError, ValueError):
        return False


def _anything_but(operand, value) -> bool:
    if isinstance(operand, dict):
        (kind, inner), = operand.items()
        inner = inner if isinstance(inner, list) else [inner]
        if kind == "equals-ignore-case":
            return not (isinstance(value, str) and value.lower() in {i.lower() for i in inner})
        test = {"prefix": lambda v, i: v.startswith(i), "suffix": lambda v, i: v.endswith(i),
                "wildcard": lambda v, i: _wildcard(i, v)}[kind]
        return not (isinstance(value, str) and any(test(value, i) for i in inner))
    excluded = operand if isinstance(operand, list) else [operand]
    return not any(_value_matches(e, value) for e in excluded)


MATCHERS = {
    "exact": lambda operand, value: isinstance(value, str) and value == operand,
    "prefix": lambda operand, value: _ignoring_case(operand, value, str.startswith),
    "suffix": lambda operand, value: _ignoring_case(operand, value, str.endswith),
    "equals-ignore-case": lambda operand, value: (isinstance(value, str)
                                                  and value.lower() == operand.lower()),
    "wildcard": _wildcard,
    "numeric": _numeric_matches,
    "cidr": _cidr,
    "anything-but": _anything_but,
}


def pattern_load(text: str) -> dict:
    """A checked pattern's JSON, ready for pattern_matches."""
    return json.loads(text)
