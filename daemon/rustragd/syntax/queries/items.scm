; Rust item definitions. Capture names follow the upstream tags convention
; (`@definition.<kind>` on the item node, `@name` on its name); the extractor
; decides from the enclosing item whether a function is a method and drops
; definitions that sit in function bodies.

(function_item name: (identifier) @name) @definition.function
(function_signature_item name: (identifier) @name) @definition.function

(struct_item name: (type_identifier) @name) @definition.struct
(enum_item name: (type_identifier) @name) @definition.enum
(union_item name: (type_identifier) @name) @definition.union
(enum_variant name: (identifier) @name) @definition.variant
(field_declaration name: (field_identifier) @name) @definition.field

(trait_item name: (type_identifier) @name) @definition.interface
(impl_item type: (_) @name) @definition.implementation

(type_item name: (type_identifier) @name) @definition.type
(associated_type name: (type_identifier) @name) @definition.type

(const_item name: (identifier) @name) @definition.constant
(static_item name: (identifier) @name) @definition.static

(macro_definition name: (identifier) @name) @definition.macro
(mod_item name: (identifier) @name) @definition.module

; Macro invocations whose token tree may hold items (`cfg_if! { ... }`); the
; extractor keeps those in item position and re-parses the body as items.
(macro_invocation macro: (_) @name (token_tree) @body) @expansion.macro
