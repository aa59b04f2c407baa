"""Alembic environment: migrate the connection qualityflow hands over.

qualityflow runs its migrations programmatically (``qualityflow db upgrade``,
``QualityFlow(url, upgrade=True)``): the caller opens the connection and the transaction
and passes the connection in ``config.attributes["connection"]``. Offline (``--sql``) mode
is not supported.
"""

from __future__ import annotations

from alembic import context


def run_migrations() -> None:
    """Run the pending revisions on the connection qualityflow passed in."""
    connection = context.config.attributes.get("connection")
    if connection is None or context.is_offline_mode():
        raise RuntimeError(
            "qualityflow's migrations run through `qualityflow db upgrade --db URL` "
            "(or qualityflow.storage.migrations.upgrade(url)), not the alembic command"
        )
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()


# Alembic runs this file inside its environment; imported anywhere else (the doctest
# collection), it does nothing.
if getattr(context, "_proxy", None) is not None:
    run_migrations()
