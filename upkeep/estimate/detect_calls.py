"""Detectors for names: function calls, INI directives, constants, classes, variables.

Names are resolved the way PHP resolves them, so a method named ``each`` on an
object, a string mentioning ``mysql_query(``, or a namespaced function that
shadows a removed one are not findings: only calls that reach the global
function are, and a project that defines the function itself (a polyfill)
cancels them at resolve time.

    >>> from upkeep.estimate.catalogue import CallCondition
    >>> from upkeep.estimate.phpast import parser
    >>> call = parser().parse(b"<?php parse_str($q);").root_node.children[1].children[0]
    >>> condition_holds(CallCondition(args=1), *call_arguments(call))
    True
"""

from __future__ import annotations

import re

from tree_sitter import Node

from upkeep.estimate.catalogue import CallCondition
from upkeep.estimate.phpast import STRING_TYPES, call_arguments, literal_string, text
from upkeep.estimate.walker import SKIP, Ctx, Handler, Walker, _Skip

INI_FUNCTIONS = frozenset({"ini_set", "ini_get", "ini_restore", "ini_alter"})
# Functions whose pattern may carry the /e modifier (removed in PHP 7.0).
PREG_E_FUNCTIONS = frozenset({"preg_replace", "preg_filter"})
# Functions that read the arguments a function was called with (current values since 7.0).
ARGUMENT_INSPECTORS = frozenset(
    {"func_get_args", "func_get_arg", "debug_backtrace", "debug_print_backtrace"}
)
# Literal values: anything else is an "expression" for a call condition.
_LITERALS = frozenset(
    {
        "string",
        "encapsed_string",
        "heredoc",
        "nowdoc",
        "integer",
        "float",
        "boolean",
        "null",
        "array_creation_expression",
        "name",  # a constant: its value is a literal somewhere
        "qualified_name",
        "class_constant_access_expression",
    }
)

# Functions taking a callable: a string naming a function there is a call to it.
CALLBACK_FUNCTIONS = frozenset(
    {
        "call_user_func",
        "call_user_func_array",
        "array_map",
        "array_filter",
        "array_walk",
        "array_walk_recursive",
        "array_reduce",
        "usort",
        "uasort",
        "uksort",
        "array_udiff",
        "array_uintersect",
        "preg_replace_callback",
        "register_shutdown_function",
        "spl_autoload_register",
        "set_error_handler",
        "set_exception_handler",
        "iterator_apply",
        "forward_static_call",
        "forward_static_call_array",
        "ob_start",
        "register_tick_function",
        "header_register_callback",
    }
)
# is_callable() is a guard for names (not a use) but does take relative callables.
RELATIVE_CALLABLE_FUNCTIONS = CALLBACK_FUNCTIONS | {"is_callable"}

# Internal functions taking an array by reference: passing $GLOBALS writes to it.
BY_REFERENCE_ARRAY_FUNCTIONS = frozenset(
    {
        "array_pop",
        "array_shift",
        "array_unshift",
        "array_push",
        "array_splice",
        "array_walk",
        "array_multisort",
        "sort",
        "rsort",
        "usort",
        "uasort",
        "uksort",
        "ksort",
        "krsort",
        "asort",
        "arsort",
        "natsort",
        "natcasesort",
        "shuffle",
        "reset",
        "end",
        "next",
        "prev",
    }
)

# Where a bare name is an expression (so it is a constant).
CONSTANT_CONTEXTS = frozenset(
    {
        "argument",
        "binary_expression",
        "unary_op_expression",
        "echo_statement",
        "assignment_expression",
        "augmented_assignment_expression",
        "subscript_expression",
        "subscript_index",
        "array_element_initializer",
        "return_statement",
        "parenthesized_expression",
        "conditional_expression",
        "expression_statement",
        "property_element",
        "simple_parameter",
        "property_promotion_parameter",
        "case_statement",
        "match_condition_list",
        "match_conditional_expression",
        "print_intrinsic",
        "cast_expression",
        "sequence_expression",
        "static_variable_declaration",
        "exit_statement",
        "yield_expression",
        "enum_case",
        "const_element",
    }
)
# Where a name is a class.
CLASS_CONTEXTS = frozenset(
    {
        "object_creation_expression",
        "base_clause",
        "class_interface_clause",
        "named_type",
        "instanceof_class",
    }
)
RELATIVE_SCOPES = frozenset({"self", "parent", "static"})


def _is(node: Node, kind: str) -> bool:
    if kind == "string":
        return node.type in STRING_TYPES or node.type in ("heredoc", "nowdoc")
    if kind in ("true", "false"):
        return node.type == "boolean" and text(node).lower() == kind
    if kind == "null":
        return node.type == "null"
    if kind == "array":
        return node.type == "array_creation_expression"
    if kind == "integer":
        return node.type == "integer"
    if kind == "expression":
        return node.type not in _LITERALS
    if kind == "any":
        return True
    if kind == "negative":
        if node.type == "unary_op_expression" and text(node).lstrip().startswith("-"):
            operand = node.named_children[-1] if node.named_children else None
            return operand is not None and operand.type in ("integer", "float")
        return node.type in ("integer", "float") and text(node).startswith("-")
    return False


def condition_holds(condition: CallCondition, args: list[Node], certain: bool) -> bool:
    """Whether a call's arguments meet a CALL rule's condition (see CallCondition)."""
    positional = (
        bool(condition.args_are)
        or condition.args is not None
        or condition.min_args is not None
        or condition.max_args is not None
        or condition.arg is not None
    )
    if positional and not certain:
        return False
    count = len(args)
    if condition.args is not None and count != condition.args:
        return False
    if condition.min_args is not None and count < condition.min_args:
        return False
    if condition.max_args is not None and count > condition.max_args:
        return False
    if condition.arg is not None:
        if condition.arg >= count:
            return False
        value = args[condition.arg]
        if condition.arg_is is not None and not _is(value, condition.arg_is):
            return False
        if condition.arg_constants:
            if value.type not in ("name", "qualified_name"):
                return False
            if text(value).lstrip("\\") not in condition.arg_constants:
                return False
        if condition.arg_string:
            literal = literal_string(value)
            if literal is None or literal.lower() not in condition.arg_string:
                return False
    if condition.args_are:
        if len(args) < len(condition.args_are):
            return False
        if not all(_is(arg, kind) for arg, kind in zip(args, condition.args_are, strict=False)):
            return False
    if condition.any_arg_string:
        wanted = set(condition.any_arg_string)
        values = (literal_string(arg) for arg in args)
        if not any(value is not None and value.lower() in wanted for value in values):
            return False
    return True


def on_call(w: Walker, node: Node, ctx: Ctx, label: str) -> None:
    function = node.child_by_field_name("function")
    if function is None or function.type not in ("name", "qualified_name", "relative_name"):
        return
    written = text(function)
    # Unless imported, a call reaches a global function named like its last part
    # or none: most calls name nothing a rule knows, and end here.
    last = written.rpartition("\\")[2].lower()
    known = last in w.m.functions or last in w.m.calls or last in _LOOKS_AT_ARGUMENTS
    if not known and last not in ctx.imports.functions:
        return
    reached, unless = w.global_function(written, ctx)
    if reached is None:
        return
    shown = written.lstrip("\\")
    rules = w.m.functions.get(reached)
    if rules:
        w.hit(rules, node, f"{shown}()", unless=unless)
    conditional = w.m.calls.get(reached)
    needs_args = conditional or reached in _LOOKS_AT_ARGUMENTS
    if not needs_args:
        return
    args, certain = call_arguments(node)
    if reached in PREG_E_FUNCTIONS and args and _has_e_modifier(args[0]):
        w.hit("preg-e-modifier", node, f"{shown}()", unless=unless)
    if reached in ARGUMENT_INSPECTORS:
        _inspects_arguments(w, node, ctx, f"{shown}()", args)
    for rule, condition in conditional or ():
        if condition_holds(condition, args, certain):
            w.hit((rule,), node, f"{shown}()", unless=unless)
    if reached == "define" and args:
        defined = literal_string(args[0])
        if defined:
            namespace, _, constant = defined.lstrip("\\").rpartition("\\")
            w.facts.add(
                f"constant:{namespace.lower()}\\{constant}" if namespace else f"constant:{constant}"
            )
    if reached in INI_FUNCTIONS and args:
        directive = literal_string(args[0])
        if directive and directive in w.m.ini:
            # restoring a setting that no longer exists does nothing: worth a look, no break
            restore = reached == "ini_restore"
            w.hit(w.m.ini[directive], args[0], directive, unless=unless, review=restore)
    if reached in RELATIVE_CALLABLE_FUNCTIONS:
        _callbacks(w, args, check_names=reached != "is_callable")
    passes_globals = bool(args) and args[0].type == "variable_name" and text(args[0]) == "$GLOBALS"
    if reached in BY_REFERENCE_ARRAY_FUNCTIONS and passes_globals:
        w.hit("globals-write", node, f"{shown}($GLOBALS)")


_LOOKS_AT_ARGUMENTS = (
    INI_FUNCTIONS
    | RELATIVE_CALLABLE_FUNCTIONS
    | BY_REFERENCE_ARRAY_FUNCTIONS
    | PREG_E_FUNCTIONS
    | ARGUMENT_INSPECTORS
    | {"define"}
)
_CLOSING_DELIMITER = {"(": ")", "[": "]", "{": "}", "<": ">"}
_TEXT = frozenset({"string_content", "escape_sequence"})
_MODIFIERS = re.compile(r"[a-zA-Z\s]*")


def _literal_end(node: Node, last: bool) -> str | None:
    """The literal text a string expression starts (or ends) with, if it is known.

    For ``'/x/e'`` both ends are the whole string; ``"/$x/e"`` and
    ``'/' . $x . '/e'`` start with '/' and end with '/e'; a variable has none.
    """
    if node.type in STRING_TYPES:
        whole = literal_string(node)
        if whole is not None:
            return whole
        children = node.named_children
        if not children:
            return None
        edge = children[-1] if last else children[0]
        # raw text: escapes do not occur in delimiters and modifiers
        return text(edge) if edge.type in _TEXT else None
    if node.type == "binary_expression":
        operator = node.child_by_field_name("operator")
        side = node.child_by_field_name("right" if last else "left")
        if operator is None or operator.type != "." or side is None:
            return None
        return _literal_end(side, last)
    if node.type == "parenthesized_expression" and node.named_children:
        return _literal_end(node.named_children[0], last)
    return None


def _pattern_has_e(head: str, tail: str, whole: bool) -> bool:
    """Whether a PCRE pattern (its first and last literal text) ends in modifiers with e."""
    head = head.lstrip()  # PCRE skips leading blanks before the delimiter
    if whole:
        tail = head
    if not head or head[0].isalnum() or head[0] == "\\":
        return False
    closing = _CLOSING_DELIMITER.get(head[0], head[0])
    end = tail.rfind(closing)
    if end < (1 if whole else 0):  # in a whole pattern, not the opening delimiter itself
        return False
    modifiers = tail[end + 1 :]
    return "e" in modifiers and _MODIFIERS.fullmatch(modifiers) is not None


def _has_e_modifier(pattern: Node) -> bool:
    """Whether preg_replace's pattern (a string or an array of them) uses /e."""
    if pattern.type == "array_creation_expression":
        elements = [e for e in pattern.named_children if e.type == "array_element_initializer"]
        return any(_has_e_modifier(e.named_children[-1]) for e in elements if e.named_children)
    head, tail = _literal_end(pattern, last=False), _literal_end(pattern, last=True)
    if head is None or tail is None:
        return False  # a pattern built elsewhere: its modifiers cannot be seen
    return _pattern_has_e(head, tail, whole=literal_string(pattern) is not None)


def _inspects_arguments(w: Walker, node: Node, ctx: Ctx, shown: str, args: list[Node]) -> None:
    """func_get_args() and friends after a parameter changed see the new value since 7.0."""
    scope = ctx.scope
    if scope is None or not scope.changed:
        return
    watched = scope.parameters
    if shown == "func_get_arg()" and args and args[0].type == "integer":
        position = int(text(args[0]), 0)
        watched = scope.parameters[position : position + 1]
    changed = [p for p in watched if scope.changed.get(p, node.end_byte) <= node.start_byte]
    if changed:
        w.hit("func-get-args-modified", node, f"{shown} after {changed[0]} changed")


def _callbacks(w: Walker, args: list[Node], *, check_names: bool) -> None:
    for arg in args:
        value = literal_string(arg)
        if value is not None:
            lowered = value.lower()
            scope = lowered.split("::", 1)[0]
            if "::" in lowered and scope in RELATIVE_SCOPES:
                w.hit("relative-callable", arg, repr(value))
            elif check_names and lowered in w.m.functions and "\\" not in lowered:
                w.hit(w.m.functions[lowered], arg, f"{value}()", unless=(f"function:{lowered}",))
        elif arg.type == "array_creation_expression":
            elements = [e for e in arg.named_children if e.type == "array_element_initializer"]
            if len(elements) == 2 and elements[0].named_children:
                first = literal_string(elements[0].named_children[-1])
                if first is not None and first.lower() in RELATIVE_SCOPES:
                    w.hit("relative-callable", arg, w.excerpt(arg))


def on_scoped_call(w: Walker, node: Node, ctx: Ctx, label: str) -> None:
    scope = node.child_by_field_name("scope")
    name = node.child_by_field_name("name")
    if scope is None or name is None or name.type != "name":
        return
    if scope.type not in ("name", "qualified_name"):
        return
    owner = w.resolve_class(text(scope), ctx)
    if owner in RELATIVE_SCOPES:
        return
    method = text(name).lower()
    shown = f"{text(scope).lstrip(chr(92))}::{text(name)}()"
    rules = w.m.functions.get(f"{owner}::{method}")
    if rules:
        w.hit(rules, node, shown)
    _class_used(w, scope, owner)
    klass = ctx.klass
    no_instance = not ctx.has_this
    unrelated = (
        klass is not None
        and klass.kind == "class"
        and not klass.has_parent
        and ctx.has_this
        and owner != klass.fqn
    )
    if no_instance or unrelated:
        w.hit(
            "static-call-to-instance-method",
            node,
            shown,
            only_if=f"method:{owner}::{method}",
            review_if=f"static-method:{owner}::{method}",  # two copies disagree
        )


def on_class_constant(w: Walker, node: Node, ctx: Ctx, label: str) -> None:
    parts = node.named_children
    if len(parts) < 2:
        return
    scope, constant = parts[0], parts[-1]
    if scope.type not in ("name", "qualified_name"):
        return
    owner = w.resolve_class(text(scope), ctx)
    if owner in RELATIVE_SCOPES:
        return
    rules = w.m.constants.get(f"{owner}::{text(constant)}")
    if rules:
        w.hit(rules, node, f"{text(scope).lstrip(chr(92))}::{text(constant)}")
    _class_used(w, scope, owner)


def on_scoped_property(w: Walker, node: Node, ctx: Ctx, label: str) -> None:
    scope = node.child_by_field_name("scope")
    if scope is not None and scope.type in ("name", "qualified_name"):
        _class_used(w, scope, w.resolve_class(text(scope), ctx))


def _class_used(w: Walker, node: Node, owner: str) -> None:
    rules = w.m.classes.get(owner)
    if rules:
        w.hit(rules, node, text(node).lstrip("\\"), unless=(f"class:{owner}",))


def on_name(w: Walker, node: Node, ctx: Ctx, label: str) -> Ctx | _Skip | None:
    if label in _ROLE_BY_PLACE:
        label = _role(node, label)
    if ctx.string_key and label == "subscript_index":
        return None
    if label in CONSTANT_CONTEXTS:
        _constant(w, node, text(node), ctx, label)
    elif label in CLASS_CONTEXTS:
        _class_used(w, node, w.resolve_class(text(node), ctx))
    return None


# Parents whose children differ in role by place: asked of a name under one
# of them, not of every such parent's every child by the walk.
_ROLE_BY_PLACE = frozenset(
    {"subscript_expression", "const_element", "argument", "binary_expression"}
)


def _role(name: Node, parent: str) -> str:
    """The role of a name under a parent in ``_ROLE_BY_PLACE``.

    ``$a[KEY]``: the index (``subscript_index``, where a bare word is a
    string); ``const NAME = VALUE``: the declared ``const_name``, no use of a
    constant; ``f(name: X)``: the ``argument_name``, no constant either;
    ``$o instanceof Foo``: the ``instanceof_class``, a class.
    """
    if parent == "subscript_expression":
        return "subscript_index" if name.prev_sibling is not None else parent
    if parent == "const_element":
        return "const_name" if name.prev_sibling is None else parent
    if parent == "argument":
        after = name.next_sibling
        return "argument_name" if after is not None and after.type == ":" else parent
    before = name.prev_sibling
    return "instanceof_class" if before is not None and before.type == "instanceof" else parent


def on_qualified_name(w: Walker, node: Node, ctx: Ctx, label: str) -> Ctx | _Skip | None:
    on_name(w, node, ctx, label)
    return SKIP  # its parts are not names of their own


def _constant(w: Walker, node: Node, written: str, ctx: Ctx, label: str) -> None:
    if written.startswith("\\"):
        bare = written[1:]
        if "\\" in bare:
            return
        unless: tuple[str, ...] = ()
    elif "\\" in written:
        return  # a namespaced constant never reaches a global one
    else:
        bare = written
        unless = (f"constant:{ctx.ns_prefix}{bare}",) if ctx.namespace else ()
    rules = w.m.constants.get(bare)
    if rules:
        w.hit(rules, node, bare, unless=unless)
    if label == "subscript_index" and _bareword(bare):
        w.hit(
            "bareword-string",
            node,
            bare,
            unless=tuple(dict.fromkeys((f"constant:{bare}", f"constant:{ctx.ns_prefix}{bare}"))),
        )


def _bareword(name: str) -> bool:
    # Lower-case words in $row[id] are the classic undefined constant; upper-case
    # ones are usually real constants (from the site, an extension or a library).
    return name.islower() and name not in ("true", "false", "null")


def on_variable(w: Walker, node: Node, ctx: Ctx, label: str) -> _Skip | None:
    raw = node.text or b""
    if raw in w.variables_as_written and not _assigned(node, label):
        # bytes: most variables are not worth decoding; assigning one is no use of it
        name = raw[1:].decode("utf-8", "replace")
        w.hit(w.m.variables[name], node, name)
    elif raw == b"$this":
        _this(w, node, ctx, label)
    return SKIP  # its only child is the name, which is no constant or class


def _assigned(node: Node, label: str) -> bool:
    """Whether the variable is the target of a plain ``=`` (written, not read)."""
    parent = node.parent
    return (
        label == "assignment_expression"
        and parent is not None
        and parent.child_by_field_name("left") == node
    )


_NO_THIS = frozenset({"function", "static-method", "static-closure"})
_GUARDS = frozenset({"isset", "empty"})


def _this(w: Walker, node: Node, ctx: Ctx, label: str) -> None:
    """$this where no object can be: an Error since PHP 7.1 (was null with a notice)."""
    if label == "argument" and _guarded(node):
        return  # isset($this): the hybrid static/instance method idiom, fine
    if w.tree_has_error and _in_error(node):
        return  # the parser lost the class around it: the context cannot be trusted
    scope = ctx.scope
    if scope is None:
        if ctx.klass is None:
            w.library_only.append(("this-outside-object", node, "$this at file level"))
    elif scope.kind in _NO_THIS:
        w.hit("this-outside-object", node, f"$this in {scope.title}")


def _in_error(node: Node) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.type == "ERROR":
            return True
        parent = parent.parent
    return False


def _guarded(node: Node) -> bool:
    call = node.parent.parent.parent if node.parent and node.parent.parent else None
    if call is None or call.type != "function_call_expression":
        return False
    function = call.child_by_field_name("function")
    return function is not None and text(function).lower() in _GUARDS


def on_relative_scope(w: Walker, node: Node, ctx: Ctx, label: str) -> None:
    klass = ctx.klass
    orphan = klass is not None and klass.kind == "class" and not klass.has_parent
    if orphan and text(node).lower() == "parent":
        assert klass is not None
        w.hit("parent-without-parent", node, klass.name)


HANDLERS: dict[str, Handler] = {
    "function_call_expression": on_call,
    "scoped_call_expression": on_scoped_call,
    "class_constant_access_expression": on_class_constant,
    "scoped_property_access_expression": on_scoped_property,
    "name": on_name,
    "qualified_name": on_qualified_name,
    "variable_name": on_variable,
    "relative_scope": on_relative_scope,
}
