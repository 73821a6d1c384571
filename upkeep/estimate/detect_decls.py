"""Detectors for declarations: classes, functions, methods and their parameters.

They also set the context below them (the class being declared, the
function and its parameters, whether ``$this`` exists) and record what the
project declares, so calls elsewhere can be checked against it:
``function:app\\mysql_query``, ``class:app\\report``,
``method:app\\report::render`` (a non-static method) and
``static-method:app\\report::create`` (a static one).
"""

from __future__ import annotations

from tree_sitter import Node

from upkeep.estimate.phpast import identifier_after, text
from upkeep.estimate.walker import (
    ClassInfo,
    Ctx,
    Handler,
    Scope,
    TokenHandler,
    Walker,
    add_imports,
)

# Declarations whose parameters are the scope's (the ``formal_parameters`` child of each)
_FUNCTION_KINDS = frozenset(
    {"function_definition", "method_declaration", "anonymous_function", "arrow_function"}
)
_CLASS_KINDS = {
    "class_declaration": "class",
    "interface_declaration": "interface",
    "trait_declaration": "trait",
    "enum_declaration": "enum",
}
# Where an attribute list belongs; anywhere else, #[ was meant as a comment.
_ATTRIBUTE_OWNERS = frozenset(
    {
        *_CLASS_KINDS,
        "enum_case",
        "function_definition",
        "method_declaration",
        "property_declaration",
        "const_declaration",
        "simple_parameter",
        "property_promotion_parameter",
        "variadic_parameter",
        "anonymous_function",
        "arrow_function",
        "anonymous_class",
        "object_creation_expression",
    }
)


def _members(body: Node | None) -> tuple[dict[str, bool], set[str], bool]:
    """Methods (name → is static), declared property names, whether traits are used."""
    methods: dict[str, bool] = {}
    declared: set[str] = set()
    uses_traits = False
    if body is None:
        return methods, declared, uses_traits
    for member in body.named_children:
        if member.type == "method_declaration":
            name_node = member.child_by_field_name("name")
            if name_node is None:
                continue
            name = text(name_node).lower()
            methods[name] = any(c.type == "static_modifier" for c in member.children)
            if name == "__construct":
                parameters = member.child_by_field_name("parameters")
                for parameter in parameters.named_children if parameters else ():
                    if parameter.type == "property_promotion_parameter":
                        variable = parameter.child_by_field_name("name")
                        if variable is not None:
                            declared.add(text(variable).lstrip("$&"))
        elif member.type == "property_declaration":
            for element in member.named_children:
                if element.type == "property_element":
                    variable = element.child_by_field_name("name")
                    if variable is not None:
                        declared.add(text(variable).lstrip("$"))
        elif member.type == "use_declaration":
            uses_traits = True
    return methods, declared, uses_traits


def _allows_dynamic(node: Node) -> bool:
    attributes = node.child_by_field_name("attributes")
    if attributes is None:
        return False
    for group in attributes.named_children:
        for attribute in group.named_children:
            for part in attribute.named_children:
                named = part.type in ("name", "qualified_name")
                if named and text(part).lstrip("\\").lower() == "allowdynamicproperties":
                    return True
    return False


def on_class_like(w: Walker, node: Node, ctx: Ctx, label: str) -> Ctx:
    kind = _CLASS_KINDS[node.type]
    name_node = node.child_by_field_name("name")
    name = text(name_node) if name_node is not None else "?"
    fqn = ctx.ns_prefix + name.lower()
    w.facts.add(f"class:{fqn}")
    methods, declared, uses_traits = _members(node.child_by_field_name("body"))
    for method, static in methods.items():
        # another copy of the class (vendored twice) may disagree: resolve
        # then says "review" for a static call rather than "breaks"
        w.facts.add(f"{'static-method' if static else 'method'}:{fqn}::{method}")
    has_parent = any(child.type == "base_clause" for child in node.children)
    keyword = next((c for c in node.children if c.type == kind), None)
    if keyword is not None:
        # the word after the keyword, not the name field: with a reserved word the
        # parser may take the next name (class Object extends Foo → "Foo")
        _reserved_class_name(w, keyword, "")
    interfaces = {
        w.resolve_class(text(part), ctx)
        for clause in node.children
        if clause.type == "class_interface_clause"
        for part in clause.named_children
        if part.type in ("name", "qualified_name")
    }
    if kind == "class":
        if not ctx.namespace and name.lower() in methods and "__construct" not in methods:
            # PHP 4 constructors only ever existed for classes outside namespaces
            w.hit("php4-constructor", _method_node(node, name) or node, f"{name}::{name}()")
        if "serializable" in interfaces and not {"__serialize", "__unserialize"} <= set(methods):
            w.hit("serializable-without-magic", name_node or node, name)
    info = ClassInfo(
        kind=kind,
        name=name,
        fqn=fqn,
        has_parent=has_parent,
        dynamic_ok=has_parent or "__set" in methods or uses_traits or _allows_dynamic(node),
        declared=frozenset(declared),
    )
    return ctx.but(klass=info, has_this=False, breakable=None)


def on_anonymous_class(w: Walker, node: Node, ctx: Ctx, label: str) -> Ctx:
    methods, declared, uses_traits = _members(node.child_by_field_name("body"))
    has_parent = any(child.type == "base_clause" for child in node.children)
    info = ClassInfo(
        kind="class",
        name="class@anonymous",
        fqn=f"class@anonymous@{node.start_byte}",
        has_parent=has_parent,
        dynamic_ok=has_parent or "__set" in methods or uses_traits or _allows_dynamic(node),
        declared=frozenset(declared),
    )
    return ctx.but(klass=info, has_this=False, breakable=None)


def _method_node(class_node: Node, name: str) -> Node | None:
    body = class_node.child_by_field_name("body")
    for member in body.named_children if body is not None else ():
        if member.type == "method_declaration":
            method_name = member.child_by_field_name("name")
            if method_name is not None and text(method_name).lower() == name.lower():
                return member
    return None


def _modifiers(node: Node) -> frozenset[str]:
    """The types of a declaration's direct children, asked once (``static_modifier`` ...)."""
    return frozenset(child.type for child in node.children)


def _void_by_reference(w: Walker, node: Node, name: str, modifiers: frozenset[str]) -> None:
    if "reference_modifier" not in modifiers:
        return
    returns = node.child_by_field_name("return_type")
    if returns is not None and text(returns).lower() == "void":
        w.hit("void-by-reference", node, name)


def on_function(w: Walker, node: Node, ctx: Ctx, label: str) -> Ctx:
    name_node = node.child_by_field_name("name")
    name = text(name_node) if name_node is not None else "?"
    if name_node is not None:
        w.facts.add(f"function:{ctx.ns_prefix}{name.lower()}")
        if name.lower() == "__autoload" and not ctx.namespace:
            w.hit("autoload-function", node, name)
        if name.lower() == "assert" and ctx.namespace:
            w.hit("namespaced-assert", node, f"{ctx.namespace}\\{name}")
        _void_by_reference(w, node, name, _modifiers(node))
    scope = Scope("function", f"function {name}()")
    return ctx.but(klass=None, has_this=False, breakable=None, scope=scope)


def on_method(w: Walker, node: Node, ctx: Ctx, label: str) -> Ctx:
    modifiers = _modifiers(node)
    static = "static_modifier" in modifiers
    name_node = node.child_by_field_name("name")
    name = text(name_node) if name_node is not None else "?"
    if name_node is not None:
        _void_by_reference(w, node, name, modifiers)
    owner = ctx.klass.name if ctx.klass is not None else "?"
    scope = (
        Scope("static-method", f"static method {owner}::{name}()")
        if static
        else Scope("method", f"method {owner}::{name}()")
    )
    return ctx.but(has_this=not static, breakable=None, scope=scope)


def on_closure(w: Walker, node: Node, ctx: Ctx, label: str) -> Ctx:
    static = node.child_by_field_name("static_modifier") is not None or (
        "static_modifier" in _modifiers(node)
    )
    scope = Scope("static-closure", "static closure") if static else Scope("closure", "closure")
    return ctx.but(has_this=ctx.has_this and not static, breakable=None, scope=scope)


def _nullable(type_node: Node) -> bool:
    if type_node.type == "optional_type":
        return True
    if type_node.type == "primitive_type":
        return text(type_node).lower() in ("mixed", "null")
    if type_node.type in ("union_type", "disjunctive_normal_form_type"):
        return any(
            (part.type == "primitive_type" and text(part).lower() == "null")
            or part.type == "optional_type"
            for part in type_node.named_children
        )
    return False


def on_parameters(w: Walker, node: Node, ctx: Ctx, label: str) -> None:
    parameters = [
        p
        for p in node.named_children
        if p.type in ("simple_parameter", "variadic_parameter", "property_promotion_parameter")
    ]
    seen: set[str] = set()
    names: list[str] = []  # as the function's scope knows them
    last_required = -1
    for index, parameter in enumerate(parameters):
        variable = parameter.child_by_field_name("name")
        name = text(variable) if variable is not None else "?"
        if name in seen:
            w.hit("duplicate-parameter", parameter, name)
        seen.add(name)
        if variable is not None:
            names.append(name)
        default = parameter.child_by_field_name("default_value")
        if parameter.type != "variadic_parameter" and default is None:
            last_required = index
        type_node = parameter.child_by_field_name("type")
        if (
            parameter.type == "simple_parameter"
            and type_node is not None
            and default is not None
            and default.type == "null"
            and not _nullable(type_node)
        ):
            w.hit("implicitly-nullable", parameter, name)
    if ctx.scope is not None and label in _FUNCTION_KINDS:
        # the function's own scope (its handler made it): its body, walked
        # next, changes these
        ctx.scope.parameters = tuple(names)
    for parameter in parameters[: max(last_required, 0)]:
        default = parameter.child_by_field_name("default_value")
        if default is None or parameter.type == "variadic_parameter":
            continue
        typed_null = parameter.child_by_field_name("type") is not None and default.type == "null"
        if not typed_null:  # `Type $x = null` before a required one stays allowed (PHP 8.0)
            variable = parameter.child_by_field_name("name")
            w.hit("optional-before-required", parameter, text(variable) if variable else "?")


def _declaration_end(keyword: Node, label: str) -> int | None:
    """Where the errors caused by a dropped declaration name can reach.

    When the name is a reserved word the parser turns ``class X`` into an
    error and reads the body that follows as a separate statement; its errors
    are consequences of the same finding.
    """
    if label != "ERROR" or keyword.parent is None:
        return None
    following = keyword.parent.next_sibling
    return following.end_byte if following is not None else keyword.parent.end_byte


def _reserved_class_name(w: Walker, keyword: Node, label: str) -> None:
    word = identifier_after(w.source, keyword.end_byte)
    rules = w.m.reserved_class_names.get(word.lower())
    if rules:
        end = _declaration_end(keyword, label)
        w.hit(rules, keyword, word, explains_error=True, explains_until=end)


def on_class_keyword(w: Walker, node: Node, label: str) -> None:
    # A reserved word as class name can turn the declaration into an error
    # node; declarations the parser kept are checked by on_class_like.
    if label == "ERROR":
        _reserved_class_name(w, node, label)


def on_function_keyword(w: Walker, node: Node, label: str) -> None:
    if label in ("function_definition", "ERROR"):
        word = identifier_after(w.source, node.end_byte)
        rules = w.m.reserved_function_names.get(word.lower())
        if rules:
            end = _declaration_end(node, label)
            w.hit(rules, node, word, explains_error=True, explains_until=end)


def on_attributes(w: Walker, node: Node, ctx: Ctx, label: str) -> None:
    if label not in _ATTRIBUTE_OWNERS:
        w.hit("hash-bracket-comment", node, w.excerpt(node), explains_error=True)


def on_const_declaration(w: Walker, node: Node, ctx: Ctx, label: str) -> None:
    if ctx.klass is not None:
        return  # class constants are not global names
    for element in node.named_children:
        if element.type == "const_element" and element.named_children:
            w.facts.add(f"constant:{ctx.ns_prefix}{text(element.named_children[0])}")


def on_use(w: Walker, node: Node, ctx: Ctx, label: str) -> None:
    if ctx.klass is None:
        add_imports(node, ctx.imports)


HANDLERS: dict[str, Handler] = {
    **dict.fromkeys(_CLASS_KINDS, on_class_like),
    "anonymous_class": on_anonymous_class,
    "function_definition": on_function,
    "method_declaration": on_method,
    "anonymous_function": on_closure,
    "arrow_function": on_closure,
    "formal_parameters": on_parameters,
    "attribute_list": on_attributes,
    "const_declaration": on_const_declaration,
    "namespace_use_declaration": on_use,
}
TOKEN_HANDLERS: dict[str, TokenHandler] = {
    "class": on_class_keyword,
    "interface": on_class_keyword,
    "trait": on_class_keyword,
    "function": on_function_keyword,
}
