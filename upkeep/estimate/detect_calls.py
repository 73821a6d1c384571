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

from tree_sitter import Node

from upkeep.estimate.catalogue import CallCondition
from upkeep.estimate.phpast import STRING_TYPES, call_arguments, literal_string, text
from upkeep.estimate.walker import SKIP, Ctx, Handler, Walker, _Skip

INI_FUNCTIONS = frozenset({"ini_set", "ini_get", "ini_restore", "ini_alter"})

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
    if kind == "negative":
        if node.type == "unary_op_expression" and text(node).lstrip().startswith("-"):
            operand = node.named_children[-1] if node.named_children else None
            return operand is not None and operand.type in ("integer", "float")
        return node.type in ("integer", "float") and text(node).startswith("-")
    return False


def condition_holds(condition: CallCondition, args: list[Node], certain: bool) -> bool:
    """Whether a call's arguments meet a CALL rule's condition (see CallCondition)."""
    positional = (
        condition.args is not None
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
    reached, unless = w.global_function(written, ctx)
    if reached is None:
        return
    shown = written.lstrip("\\")
    rules = w.m.functions.get(reached)
    if rules:
        w.hit(rules, node, f"{shown}()", unless=unless)
    conditional = w.m.calls.get(reached)
    needs_args = conditional or reached in INI_FUNCTIONS or reached in RELATIVE_CALLABLE_FUNCTIONS
    if not (needs_args or reached in BY_REFERENCE_ARRAY_FUNCTIONS or reached == "define"):
        return
    args, certain = call_arguments(node)
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
            w.hit(w.m.ini[directive], args[0], directive, unless=unless)
    if reached in RELATIVE_CALLABLE_FUNCTIONS:
        _callbacks(w, args, check_names=reached != "is_callable")
    passes_globals = bool(args) and args[0].type == "variable_name" and text(args[0]) == "$GLOBALS"
    if reached in BY_REFERENCE_ARRAY_FUNCTIONS and passes_globals:
        w.hit("globals-write", node, f"{shown}($GLOBALS)")


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
        w.hit("static-call-to-instance-method", node, shown, only_if=f"method:{owner}::{method}")


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
    if ctx.string_key and label == "subscript_index":
        return None
    if label in CONSTANT_CONTEXTS:
        _constant(w, node, text(node), ctx, label)
    elif label in CLASS_CONTEXTS:
        _class_used(w, node, w.resolve_class(text(node), ctx))
    return None


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
    if raw[1:] in w.variable_names:  # bytes: most variables are not worth decoding
        name = raw[1:].decode("utf-8", "replace")
        w.hit(w.m.variables[name], node, name)
    return SKIP  # its only child is the name, which is no constant or class


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
