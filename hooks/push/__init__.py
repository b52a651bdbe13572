"""The push: what is being pushed (:mod:`~hooks.push.refs`, :mod:`~hooks.push.precommit`,
:mod:`~hooks.push.gitpush`), the clean snapshot it is checked in (:mod:`~hooks.push.snapshot`,
completed as CI's checkout and install step leave it by :mod:`~hooks.push.submodules` and
:mod:`~hooks.push.versionfile`),
checking it (:mod:`~hooks.push.check`) and its summary (:mod:`~hooks.push.summary`), and the plain
git hook that starts it all (:mod:`~hooks.push.install`)."""
