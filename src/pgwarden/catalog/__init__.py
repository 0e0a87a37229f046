"""What the analyser knows about the schema, built from earlier statements and schema dumps."""

from pgwarden.catalog.model import (
    Catalog,
    Column,
    Constraint,
    Index,
    QualifiedName,
    Table,
)

__all__ = ["Catalog", "Column", "Constraint", "Index", "QualifiedName", "Table"]
