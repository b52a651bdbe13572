"""Reading CI definitions: the commands CI runs (:mod:`~hooks.ci.workflows`) and what their
arguments mean for the verdict (:mod:`~hooks.ci.args`). Read, never executed."""
