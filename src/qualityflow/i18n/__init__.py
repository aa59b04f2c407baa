"""Translations of everything a person reads: gettext catalogs managed with Babel.

The library's English texts are the message ids (``msgid``) of the gettext domain
``qualityflow``; the catalogs live in ``qualityflow/locale/<locale>/LC_MESSAGES/`` as
``qualityflow.po`` (the source, edited by translators) and ``qualityflow.mo`` (compiled at
build time by the wheel's build hook, ``hatch_build.py``). In a source checkout without
compiled catalogs, or when a ``.po`` file is newer than its ``.mo``, the catalog is compiled
with Babel on first use, so tests and editable installs always see the ``.po`` as it is;
where the checkout is writable the result is kept as the ``.mo`` beside it (ignored by
git), so the next process loads it instead of parsing the ``.po`` again.

The active locale is held in a :class:`~contextvars.ContextVar`, so each thread and each
asyncio task has its own; :func:`using` sets it for a block and :func:`_` / :func:`ngettext`
translate into it. Identifiers, enum values, JSON and stored data are never translated.

Examples
--------
>>> from qualityflow.i18n import _, using
>>> with using("zh_CN"):
...     _("no corrective action has been planned")
'尚未制定任何纠正措施'
>>> _("no corrective action has been planned")
'no corrective action has been planned'

"""

from __future__ import annotations

import gettext
import io
import os
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from datetime import date, datetime, timezone
from decimal import Decimal
from enum import Enum
from pathlib import Path

from qualityflow.errors import LocaleError

__all__ = [
    "DEFAULT_LOCALE",
    "DOMAIN",
    "LOCALE_DIR",
    "SUPPORTED_LOCALES",
    "N_",
    "_",
    "activate",
    "current_locale",
    "format_date",
    "format_datetime",
    "format_decimal",
    "format_percent",
    "label",
    "negotiate",
    "ngettext",
    "normalize",
    "translation",
    "using",
]

DOMAIN = "qualityflow"
"""The gettext domain: the catalogs are ``qualityflow.po`` / ``qualityflow.mo``."""

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
"""Where the catalogs live: ``LOCALE_DIR/<locale>/LC_MESSAGES/qualityflow.{po,mo}``."""

DEFAULT_LOCALE = "en"
"""The locale of the message ids, and the one used when nothing else is chosen."""

SUPPORTED_LOCALES: tuple[str, ...] = ("en", "zh_CN")
"""The locales with a complete catalog."""

_LOCALE: ContextVar[str] = ContextVar("qualityflow_locale", default=DEFAULT_LOCALE)
_CACHE: dict[str, gettext.NullTranslations] = {}
_IDENTITY: set[str] = set()  # loaded locales whose catalog translates nothing (English)
_LOCK = threading.Lock()


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (it is translated later).

    Module-level constants stay the English message ids; the code translates them when
    it uses them: ``_(NO_TEAM)``.

    Examples
    --------
    >>> N_("no corrective action has been planned")
    'no corrective action has been planned'

    """
    return message


def normalize(locale: str | None) -> str:
    """Return the supported locale for ``locale`` (``None``: the active one).

    Accepts the usual spellings: ``"zh_CN"``, ``"zh-CN"``, ``"zh_Hans_CN"``, ``"zh"``,
    ``"zh_CN.UTF-8"``, ``"en_US"``, ``"C"``. Every Chinese locale gives ``"zh_CN"`` (the
    only Chinese catalog, in simplified characters); any other well-formed locale without
    a catalog (``"de_DE"``, ``"fr"``) falls back to ``"en"`` without an error, as gettext
    does. A name that is not a locale at all raises :class:`~qualityflow.errors.LocaleError`.

    Examples
    --------
    >>> [normalize(n) for n in ("zh-CN", "zh_Hans_CN", "zh", "en_GB", "de_DE.UTF-8", "C")]
    ['zh_CN', 'zh_CN', 'zh_CN', 'en', 'en', 'en']

    """
    if locale is None:
        return _LOCALE.get()
    if not isinstance(locale, str):
        raise LocaleError(
            f"locale must be a string such as 'zh_CN' or 'en', not {type(locale).__name__}"
        )
    if locale in SUPPORTED_LOCALES:
        return locale
    name = locale.strip().split(".", 1)[0].split("@", 1)[0].replace("-", "_")
    if name in ("C", "POSIX"):
        return DEFAULT_LOCALE
    from babel import Locale, UnknownLocaleError

    try:
        parsed = Locale.parse(name)
    except (ValueError, TypeError, UnknownLocaleError) as exc:
        raise LocaleError(
            f"{locale!r} is not a locale: give one of {', '.join(SUPPORTED_LOCALES)} "
            "(also accepted: zh-CN, zh_Hans_CN, zh, en_US...)"
        ) from exc
    if parsed.language == "zh":
        return "zh_CN"
    return DEFAULT_LOCALE


def negotiate(environ: Mapping[str, str] | None = None) -> str:
    """Choose the locale from the environment, as gettext does: never raises.

    The variables are read in gettext's order, ``LANGUAGE`` (a colon-separated list),
    ``LC_ALL``, ``LC_MESSAGES``, ``LANG``; the first one set decides (its first entry with
    a catalog, for ``LANGUAGE``). Unset, empty, ``C`` or unknown gives ``"en"``. The CLI's
    ``--lang`` and ``qf.QualityFlow(locale=...)`` use this when no locale is given.

    Examples
    --------
    >>> negotiate({"LANG": "zh_CN.UTF-8"}), negotiate({"LC_ALL": "C", "LANG": "zh_CN"})
    ('zh_CN', 'en')
    >>> negotiate({"LANGUAGE": "fr:zh_TW", "LANG": "en_US.UTF-8"}), negotiate({})
    ('zh_CN', 'en')

    """
    env = os.environ if environ is None else environ
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "")
        if not value:
            continue
        candidates = value.split(":") if var == "LANGUAGE" else [value]
        for candidate in candidates:
            try:
                chosen = normalize(candidate)
            except LocaleError:
                continue
            if chosen != DEFAULT_LOCALE or candidate.lower().startswith(("en", "c", "posix")):
                return chosen
        if var != "LANGUAGE":
            return DEFAULT_LOCALE
    return DEFAULT_LOCALE


def _keep_compiled(mo: Path, data: bytes) -> None:
    """Write a checkout's compiled catalog beside its ``.po`` (atomically), if allowed."""
    try:
        fd, tmp = tempfile.mkstemp(dir=mo.parent, prefix=f".{mo.name}.")
    except OSError:
        return  # a read-only checkout: compile in memory each time
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, mo)
    except OSError:
        with suppress(OSError):
            os.unlink(tmp)


def _load(locale: str) -> gettext.NullTranslations:
    folder = LOCALE_DIR / locale / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as handle:
            return gettext.GNUTranslations(handle)
    if po.is_file():
        # A source checkout: compile the catalog in memory (what `pybabel compile` writes).
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        with po.open("rb") as handle:
            catalog = read_po(handle, locale=locale, domain=DOMAIN)
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        _keep_compiled(mo, buffer.getvalue())
        buffer.seek(0)
        return gettext.GNUTranslations(buffer)
    return gettext.NullTranslations()


def translation(locale: str | None = None) -> gettext.NullTranslations:
    """Return the translations of ``locale`` (``None``: the active one), loaded once.

    ``"en"`` gives the English catalog (empty entries keep the message id, so an English
    text can still be reworded there); a missing catalog gives ``NullTranslations``.

    Examples
    --------
    >>> translation("zh-CN").gettext("no corrective action has been planned")
    '尚未制定任何纠正措施'

    """
    name = normalize(locale)
    found = _CACHE.get(name)
    if found is None:
        with _LOCK:
            found = _CACHE.get(name)
            if found is None:
                found = _load(name)
                catalog = getattr(found, "_catalog", {})
                if not any(key for key in catalog):  # only the header: nothing to translate
                    _IDENTITY.add(name)
                _CACHE[name] = found
    return found


def current_locale() -> str:
    """Return the active locale of this thread or task (``"en"`` unless :func:`using` says)."""
    return _LOCALE.get()


def activate(locale: str | None) -> str:
    """Make ``locale`` the active one from now on in this thread or task; return it.

    For a program's entry point (the command line sets ``--lang`` or ``LANG`` once);
    library code and servers use :func:`using`, which restores the previous locale.
    ``None`` chooses from the environment (:func:`negotiate`).

    Examples
    --------
    >>> import contextvars
    >>> contextvars.copy_context().run(activate, "zh")
    'zh_CN'
    >>> current_locale()
    'en'

    """
    chosen = negotiate() if locale is None else normalize(locale)
    _LOCALE.set(chosen)
    return chosen


@contextmanager
def using(locale: str | None) -> Iterator[str]:
    """Make ``locale`` the active one for the block, in this thread or task only.

    ``None`` keeps the active locale (so a ``locale=None`` argument passes through).
    Yields the normalized locale.

    Examples
    --------
    >>> with using("zh-CN") as chosen:
    ...     chosen, current_locale()
    ('zh_CN', 'zh_CN')
    >>> current_locale()
    'en'

    """
    if locale is None:
        yield _LOCALE.get()
        return
    token = _LOCALE.set(normalize(locale))
    try:
        yield _LOCALE.get()
    finally:
        _LOCALE.reset(token)


def _(message: str) -> str:
    """Translate ``message`` into the active locale (the message itself in English)."""
    locale = _LOCALE.get()
    if locale in _IDENTITY:
        return message
    found = _CACHE.get(locale)
    return (found or translation(locale)).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate the singular or plural form for ``n`` into the active locale.

    Examples
    --------
    >>> ngettext("{n} day", "{n} days", 2).format(n=2)
    '2 days'

    """
    return translation(_LOCALE.get()).ngettext(singular, plural, n)


def label(value: object, of: object = None) -> str:
    """Return the display word of an enum value (``refund``, ``critical``...) in the locale.

    Stored data and JSON keep the value itself; only what a person reads is translated;
    English shows the value itself. Values without a label are returned unchanged. ``of``
    (an entity, or its kind such as ``"complaint"``) picks a kind's own word where one
    value means different things (a complaint's ``verifying`` checks information).

    Examples
    --------
    >>> with using("zh_CN"):
    ...     label("critical"), label("quarantine"), label("ABC-1")
    ('致命', '隔离', 'ABC-1')
    >>> with using("zh_CN"):
    ...     label("verifying"), label("verifying", "complaint")
    ('验证中', '信息核实中')

    """
    from qualityflow.i18n.labels import LABELS

    text = value.value if isinstance(value, Enum) else value
    if not isinstance(text, str):
        return str(text)
    kind = of if isinstance(of, str) or of is None else type(of).__name__.lower()
    msgid = LABELS.get(f"{kind}.{text}") if kind else None
    msgid = msgid or LABELS.get(text)
    if msgid is None or _LOCALE.get() == DEFAULT_LOCALE:
        return text  # English shows the value itself, as it always has
    return _(msgid)


def _babel_locale(locale: str | None) -> str:
    return "en_US" if normalize(locale) == "en" else normalize(locale)


def format_datetime(value: datetime, locale: str | None = None) -> str:
    """Format an aware time in UTC for a report (``2026-03-05 09:00 UTC`` in English).

    English keeps the ISO-like form the reports always used (byte-identical).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = datetime(2026, 3, 5, 9, 0, tzinfo=timezone.utc)
    >>> format_datetime(t, "en"), format_datetime(t, "zh_CN")
    ('2026-03-05 09:00 UTC', '2026年3月5日 09:00 UTC')

    """
    moment = value.astimezone(timezone.utc)
    if normalize(locale) == DEFAULT_LOCALE:
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    from babel.dates import format_datetime as babel_format

    return babel_format(moment, "yyyy年M月d日 HH:mm", tzinfo=timezone.utc, locale="zh_CN") + " UTC"


def format_date(value: date, locale: str | None = None) -> str:
    """Format a date for a report: ``2026-03-05`` in English, Babel's medium form otherwise.

    Examples
    --------
    >>> from datetime import date
    >>> format_date(date(2026, 3, 5), "en"), format_date(date(2026, 3, 5), "zh_CN")
    ('2026-03-05', '2026年3月5日')

    """
    if normalize(locale) == DEFAULT_LOCALE:
        return value.isoformat()
    from babel.dates import format_date as babel_format

    return babel_format(value, "medium", locale=_babel_locale(locale))


def format_decimal(value: float | Decimal | int, fmt: str, locale: str | None = None) -> str:
    """Format a number with Babel's pattern ``fmt`` (``"0.0"``, ``"#,##0.00"``) in the locale.

    Examples
    --------
    >>> format_decimal(1234.5, "#,##0.0", "zh_CN")
    '1,234.5'

    """
    from babel.numbers import format_decimal as babel_format

    return babel_format(value, fmt, locale=_babel_locale(locale))


def format_percent(value: float, locale: str | None = None) -> str:
    """Format a share 0-1 as a whole percentage: ``80%``.

    Examples
    --------
    >>> format_percent(0.8, "en"), format_percent(0.8, "zh_CN")
    ('80%', '80%')

    """
    if normalize(locale) == DEFAULT_LOCALE:
        return f"{value:.0%}"
    from babel.numbers import format_percent as babel_format

    return babel_format(value, "0%", locale=_babel_locale(locale))
