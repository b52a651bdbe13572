"""``guardrail doctor`` and ``guardrail init --from-ci``: CI compared with the push hook
(:mod:`~hooks.doctor.compare`), the plumbing around it (:mod:`~hooks.doctor.plumbing`), the
settings that close the gaps (:mod:`~hooks.doctor.init`) and the reports
(:mod:`~hooks.doctor.render`)."""
