"""LOCK TABLE, ANALYZE, CLUSTER, VACUUM."""

from pgwarden.locks.forms import Form
from pgwarden.locks.forms._setups import P, T, V
from pgwarden.locks.modes import LockMode

_LOCK = "LOCK TABLE"
_MAINT = "ANALYZE, VACUUM, CLUSTER"


def _f(id: str, sql: str, setup: str = T, family: str = _MAINT, **kw: object) -> Form:
    return Form(id, sql, setup, family, **kw)  # type: ignore[arg-type]


FORMS = [
    *(
        _f(
            f"lock-{m.sql_name.lower().replace(' ', '-')}",
            f"LOCK TABLE t IN {m.sql_name} MODE",
            T,
            _LOCK,
        )
        for m in LockMode
    ),
    _f("lock-default-mode", "LOCK TABLE t", T, _LOCK),
    _f("lock-partitioned", "LOCK TABLE p IN SHARE MODE", P, _LOCK),
    _f("lock-only-partitioned", "LOCK TABLE ONLY p IN SHARE MODE", P, _LOCK),
    _f("lock-view", "LOCK TABLE v IN EXCLUSIVE MODE", V, _LOCK),
    _f("analyze", "ANALYZE t"),
    _f("analyze-columns", "ANALYZE t (a, b)"),
    _f("analyze-partitioned", "ANALYZE p", P),
    _f("cluster-using", "CLUSTER t USING t_pkey"),
    _f("cluster-table", "CLUSTER t", T + "ALTER TABLE t CLUSTER ON t_pkey;\n"),
    _f("vacuum", "VACUUM t"),
    _f("vacuum-analyze", "VACUUM (ANALYZE) t"),
    _f("vacuum-full", "VACUUM FULL t"),
]
