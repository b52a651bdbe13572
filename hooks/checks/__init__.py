"""The checks: :mod:`~hooks.checks.base` (the Protocol and the parse context),
:mod:`~hooks.checks.registry` (which modules there are), and one module per tool."""
