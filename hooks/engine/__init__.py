"""The gate itself: plan the checks (:mod:`~hooks.engine.plan`), run them
(:mod:`~hooks.engine.run`), remember green verdicts (:mod:`~hooks.engine.cache`), and the run
pipeline for one tree (:mod:`~hooks.engine.gate`); :mod:`~hooks.engine.fix` applies the fixers."""
