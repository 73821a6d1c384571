"""Detectors for expressions and statements whose syntax or meaning changed.

Old syntax the modern grammar rejects shows up as error nodes; the detectors
that recognise it (curly-brace offsets here, reserved names and ``#[``
comments in detect_decls) mark their hits as explaining the error, so only
errors nobody explains are reported as "could not be parsed".
"""

from __future__ import annotations

from tree_sitter import Node

from upkeep.estimate.phpast import text
from upkeep.estimate.repair import offset_owner
from upkeep.estimate.walker import Ctx, Handler, TokenHandler, Walker

_PRECEDENCE_CHANGED = frozenset({"+", "-", "<<", ">>"})


def on_ternary(w: Walker, node: Node, ctx: Ctx, label: str) -> None:
    condition = node.child_by_field_name("condition")
    if condition is None or condition.type != "conditional_expression":
        return  # parenthesised nesting arrives as parenthesized_expression
    outer_short = node.child_by_field_name("body") is None
    inner_short = condition.child_by_field_name("body") is None
    if not (outer_short and inner_short):  # chains of ?: alone stay allowed
        w.hit("nested-ternary", node, w.excerpt(node))


def on_cast(w: Walker, node: Node, ctx: Ctx, label: str) -> None:
    cast = next((c for c in node.children if c.type == "cast_type"), None)
    if cast is None:
        return
    kind = text(cast).strip().lower()
    if kind == "real":
        w.hit("real-cast", node, w.excerpt(node))
    elif kind == "unset":
        w.hit("unset-cast", node, w.excerpt(node))


def on_binary(w: Walker, node: Node, ctx: Ctx, label: str) -> None:
    operator = node.child_by_field_name("operator")
    if operator is None or operator.type != ".":
        return
    right = node.child_by_field_name("right")
    if right is not None and right.type == "binary_expression":
        inner = right.child_by_field_name("operator")
        if inner is not None and inner.type in _PRECEDENCE_CHANGED:
            w.hit("concat-precedence", node, f"'{inner.type}'")


def on_subscript(w: Walker, node: Node, ctx: Ctx, label: str) -> Ctx | None:
    if label in ("encapsed_string", "heredoc_body"):
        before = node.prev_sibling
        if before is None or before.type != "{":
            # "$row[id]" (simple interpolation): the key is a string; "{$row[id]}" is code
            return ctx.but(string_key=True)
    if not node.children:
        return None
    target = node.children[0]
    if target.type == "dynamic_variable_name":
        if not any(child.type == "{" for child in target.children):
            w.hit("variable-variable-syntax", node, w.excerpt(node))
    elif target.type in ("member_access_expression", "nullsafe_member_access_expression"):
        member = target.child_by_field_name("name")
        braced = any(child.type == "{" for child in target.children)  # same in 5.x and 7
        if member is not None and member.type == "variable_name" and not braced:
            w.hit("variable-variable-syntax", node, w.excerpt(node))
    elif target.type == "scoped_property_access_expression" and label == "function_call_expression":
        w.hit("variable-variable-syntax", node, w.excerpt(node))
    return None


def on_dynamic_variable(w: Walker, node: Node, ctx: Ctx, label: str) -> None:
    in_string = label in ("encapsed_string", "heredoc_body")
    if in_string and any(child.type == "{" for child in node.children):
        w.hit("dollar-brace-interpolation", node, w.excerpt(node))


def _this_property(left: Node) -> str | None:
    base = left
    while base.type == "subscript_expression" and base.children:
        base = base.children[0]
    if base.type != "member_access_expression":
        return None
    owner = base.child_by_field_name("object")
    member = base.child_by_field_name("name")
    if owner is None or member is None or member.type != "name":
        return None
    if owner.type != "variable_name" or text(owner) != "$this":
        return None
    return text(member)


def _changes_parameter(ctx: Ctx, target: Node | None, until: int) -> None:
    """Note that a parameter of the function around changes (from byte ``until`` on)."""
    scope = ctx.scope
    if scope is None or not scope.parameters:
        return  # nothing that could change (most assignments)
    while target is not None and target.type == "subscript_expression" and target.children:
        target = target.children[0]  # $param['k'] = ... changes $param too
    if target is None or target.type != "variable_name":
        return
    name = text(target)
    if name in scope.parameters and name not in scope.changed:
        scope.changed[name] = until  # the right-hand side is evaluated before the change


def on_update(w: Walker, node: Node, ctx: Ctx, label: str) -> None:
    _changes_parameter(ctx, node.child_by_field_name("argument"), node.end_byte)


def on_unset(w: Walker, node: Node, ctx: Ctx, label: str) -> None:
    for target in node.named_children:
        _changes_parameter(ctx, target, node.end_byte)


def on_assignment(w: Walker, node: Node, ctx: Ctx, label: str) -> None:
    left = node.child_by_field_name("left")
    if left is None:
        return
    _changes_parameter(ctx, left, node.end_byte)
    if left.type == "variable_name":
        variable = text(left)
        if variable == "$this":
            w.hit("this-reassign", node, w.excerpt(node))
        elif variable == "$GLOBALS":
            w.hit("globals-write", node, w.excerpt(node))
    if node.type == "reference_assignment_expression":
        right = node.child_by_field_name("right")
        if right is not None and right.type == "object_creation_expression":
            w.hit("new-by-reference", node, w.excerpt(node))
    klass = ctx.klass
    if klass is None or klass.dynamic_ok or klass.kind != "class" or not ctx.has_this:
        return
    prop = _this_property(left)
    if prop is None or prop in klass.declared:
        return
    key = f"dynamic:{klass.fqn}:{prop}"
    if key not in w.seen:  # one finding per class and property: declaring it once fixes all
        w.seen.add(key)
        w.hit("dynamic-property", left, f"{klass.name}::${prop}")


def on_loop(w: Walker, node: Node, ctx: Ctx, label: str) -> Ctx:
    return ctx.but(breakable="loop")


def on_switch(w: Walker, node: Node, ctx: Ctx, label: str) -> Ctx:
    return ctx.but(breakable="switch")


def on_switch_block(w: Walker, node: Node, ctx: Ctx, label: str) -> None:
    defaults = [child for child in node.named_children if child.type == "default_statement"]
    for extra in defaults[1:]:
        w.hit("multiple-default", extra, "default")


def on_break(w: Walker, node: Node, ctx: Ctx, label: str) -> None:
    if ctx.breakable is None:  # a compile error since 7.0, even where never reached
        w.hit("break-outside-loop", node, "break")


def on_continue(w: Walker, node: Node, ctx: Ctx, label: str) -> None:
    if ctx.breakable is None:
        w.hit("break-outside-loop", node, "continue")
    if ctx.breakable != "switch":
        return
    levels = node.named_children[0] if node.named_children else None
    if levels is None or text(levels).strip() == "1":
        w.hit("continue-in-switch", node, "continue")


_INDIRECT_ACCESS = (b"->", b"[", b"::", b"{")


def on_global(w: Walker, node: Node, ctx: Ctx, label: str) -> None:
    # PHP 5 read `global $$x->y` as `global ${$x->y}`; PHP 7 allows only simple
    # variables there, and the grammar stops after `$$x`
    children = node.children
    for position, child in enumerate(children):
        if child.type != "dynamic_variable_name" or any(c.type == "{" for c in child.children):
            continue
        rest = w.source[child.end_byte : child.end_byte + 2].lstrip()
        if not rest.startswith(_INDIRECT_ACCESS):
            continue
        following = children[position + 1] if position + 1 < len(children) else None
        if following is not None and following.type == "ERROR":
            until = following.end_byte
        elif node.next_sibling is not None:  # the parser ended the statement early
            until = node.next_sibling.end_byte
        else:
            until = node.end_byte
        written = w.source[child.start_byte : until].decode("utf-8", "replace")
        shown = " ".join(written.split(",")[0].split()).rstrip(";")
        w.hit("global-indirect-variable", child, shown, explains_error=True, explains_until=until)


def on_open_brace(w: Walker, node: Node, label: str) -> None:
    # $str{0}, $obj->prop{0}, $arr[1]{0} that the repair could not rewrite
    # (no closing brace found): the grammar no longer knows curly offsets
    start = offset_owner(node)  # the variable, the whole $obj->prop, or the subscript
    if start is None:
        return
    close = w.source.find(b"}", node.end_byte, node.end_byte + 80)
    end = close + 1 if close != -1 else node.end_byte
    shown = " ".join(w.source[start.start_byte : end].decode("utf-8", "replace").split())
    w.hit("curly-offset", start, shown, explains_error=True, explains_until=end)


HANDLERS: dict[str, Handler] = {
    "conditional_expression": on_ternary,
    "cast_expression": on_cast,
    "binary_expression": on_binary,
    "subscript_expression": on_subscript,
    "dynamic_variable_name": on_dynamic_variable,
    "assignment_expression": on_assignment,
    "augmented_assignment_expression": on_assignment,
    "reference_assignment_expression": on_assignment,
    "for_statement": on_loop,
    "foreach_statement": on_loop,
    "while_statement": on_loop,
    "do_statement": on_loop,
    "switch_statement": on_switch,
    "switch_block": on_switch_block,
    "continue_statement": on_continue,
    "break_statement": on_break,
    "global_declaration": on_global,
    "update_expression": on_update,
    "unset_statement": on_unset,
}
TOKEN_HANDLERS: dict[str, TokenHandler] = {"{": on_open_brace}
