; References that the resolver needs, beyond the items themselves (see facts.py).
; `@use`: a use declaration; `@call`: a call, its callee in `@callee`;
; `@bind.*`: local names (parameters, lets, closure parameters) and what is
; known of their types; `@type`: a type written in a signature, field or alias.

(use_declaration) @use
(call_expression function: (_) @callee) @call

(parameter pattern: (_) @bind.pattern type: (_) @bind.type) @bind.param
(let_declaration pattern: (_) @bind.pattern) @bind.let
(closure_parameters) @bind.closure
(tuple_struct_pattern type: (_) @bind.path) @bind.tuple

(parameter type: (_) @type)
(function_item return_type: (_) @type)
(function_signature_item return_type: (_) @type)
(field_declaration type: (_) @type)
(ordered_field_declaration_list type: (_) @type)
(type_item type: (_) @type)
(const_item type: (_) @type)
(static_item type: (_) @type)
