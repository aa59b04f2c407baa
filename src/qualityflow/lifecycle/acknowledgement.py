"""Sincere acknowledgements: the first answer to a complaint, written from a template.

The guide asks the first answer to a complaint to show sincere concern (换位思考，展现真诚关怀):
an apology for the trouble, what happens next, by when the customer hears from us, and
who to contact, never a canned phrase or blame. :class:`AcknowledgementTemplates` holds
one template per locale (the built-in English and Chinese texts unless a plant gives its
own) and renders it with the complaint's data and its ``resolve`` due time from the
deadline policy. The service's ``qms.complaints.acknowledge(...)`` records the rendered
text as the outbound contact that acknowledges the complaint.

Templates are ``str.format`` texts with these placeholders (each optional but
``{respond_by}`` and ``{contact}``, which an acknowledgement must say):

``{customer}``      how the customer is greeted (``customer=``, else "customer" / "客户")
``{product}``       the complaint's product (else "our product" / "我们的产品")
``{complaint_id}``  the complaint's id, the customer's reference
``{received}``      when the complaint was received (the date, in the locale)
``{respond_by}``    the earliest ``resolve`` due time the deadline policy gives
``{contact}``       who to contact, and how (``contact=``)
``{sender}``        who writes (``sender=``, the service passes the actor's name)

Pure: no I/O; the templates' texts come from the catalogs like every other message.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from datetime import datetime, timezone

from qualityflow.i18n import N_, _, current_locale, format_date, format_datetime, normalize, using
from qualityflow.lifecycle.timelimits import REGULATOR_STEPS, DeadlinePolicy, deadlines
from qualityflow.models import Complaint

__all__ = [
    "ACKNOWLEDGEMENT",
    "BLAME_PHRASES",
    "PLACEHOLDERS",
    "AcknowledgementTemplates",
    "respond_by",
]

ACKNOWLEDGEMENT = N_(
    "Dear {customer},\n"
    "\n"
    "thank you for telling us about the problem with {product} (your reference "
    "{complaint_id}, received on {received}). We are truly sorry for the trouble and the "
    "worry it has caused you. Your health and your satisfaction matter to us, and we take "
    "what you told us seriously.\n"
    "\n"
    "What happens next: we are checking the information you gave us (the product, its lot "
    "code, where it was bought, and photos or the product itself if you can keep it for "
    "us). Our quality team then looks into the cause and tells you what we will do to put "
    "it right.\n"
    "\n"
    "You will hear from us by {respond_by} at the latest, sooner if we can.\n"
    "\n"
    "If you have a question or anything to add, please contact {contact}.\n"
    "\n"
    "With our sincere apologies,\n"
    "{sender}"
)
"""The built-in acknowledgement (English; the ``zh_CN`` catalog holds the Chinese text)."""

PLACEHOLDERS = frozenset(
    {"customer", "product", "complaint_id", "received", "respond_by", "contact", "sender"}
)
"""The placeholders a template may use."""

_REQUIRED = ("respond_by", "contact")

BLAME_PHRASES: dict[str, tuple[str, ...]] = {
    "en": (
        "misuse",
        "your fault",
        "improper use",
        "incorrect use",
        "you should have",
        "your own responsibility",
        "not our fault",
        "not our problem",
        "careless",
    ),
    "zh_CN": (
        "使用不当",
        "您的责任",
        "你的责任",
        "操作不当",
        "保管不当",
        "人为损坏",
        "与我方无关",
        "不是我们的问题",
        "自行负责",
    ),
}
"""Phrases that blame the customer: no acknowledgement template may contain one."""


def _placeholders(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as err:
        raise ValueError(
            _(
                "the acknowledgement template is not a valid format text ({error}): write "
                "placeholders as {{name}} and a literal brace as {{{{ or }}}}"
            ).format(error=err)
        ) from None


def _check(locale: str, text: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValueError(
            _("the acknowledgement template for {locale} is empty: give its text").format(
                locale=locale
            )
        )
    used = _placeholders(text)
    unknown = sorted(used - PLACEHOLDERS)
    if unknown:
        raise ValueError(
            _(
                "the acknowledgement template for {locale} uses unknown placeholders "
                "{unknown}: use only {known}"
            ).format(
                locale=locale,
                unknown=", ".join("{" + name + "}" for name in unknown),
                known=", ".join("{" + name + "}" for name in sorted(PLACEHOLDERS)),
            )
        )
    missing = [name for name in _REQUIRED if name not in used]
    if missing:
        raise ValueError(
            _(
                "the acknowledgement template for {locale} lacks {missing}: an acknowledgement "
                "tells the customer by when they hear from us and who to contact"
            ).format(locale=locale, missing=", ".join("{" + name + "}" for name in missing))
        )
    lowered = text.casefold()
    blame = [p for phrases in BLAME_PHRASES.values() for p in phrases if p.casefold() in lowered]
    if blame:
        raise ValueError(
            _(
                "the acknowledgement template for {locale} blames the customer ({phrases}): "
                "an acknowledgement apologises and says what happens next; whether the "
                "product was used as intended is for the investigation to find"
            ).format(locale=locale, phrases=", ".join(repr(p) for p in blame))
        )
    return text


def respond_by(complaint: Complaint, policy: DeadlinePolicy | None = None) -> datetime | None:
    """Return the earliest ``resolve`` due time ``policy`` gives (the 12315 mediation too)."""
    steps = {"resolve", REGULATOR_STEPS["resolve"]}
    dues = [d.due for d in deadlines(complaint, policy=policy) if d.what in steps]
    return min(dues) if dues else None


class AcknowledgementTemplates:
    """The acknowledgement templates of a plant, by locale.

    Without a template of its own for a locale, the built-in text is used, translated
    into that locale (``en`` and ``zh_CN``; a locale without a catalog reads English). A
    plant gives its own with the constructor or :meth:`set`; each is checked: only known
    placeholders, ``{respond_by}`` and ``{contact}`` present, no phrase of
    :data:`BLAME_PHRASES`.

    Examples
    --------
    >>> import qualityflow as qf
    >>> cmp = qf.Complaint(id="CMP-7", customer_id="C-1", channel="wechat",
    ...     received_at="2026-03-02T09:00:00+00:00", description="soft biscuits",
    ...     product="butter biscuits 200 g")
    >>> templates = AcknowledgementTemplates()
    >>> text = templates.render(cmp, contact="Lena Fox, 400-820-1234", locale="zh_CN")
    >>> "butter biscuits 200 g" in text and "CMP-7" in text and "400-820-1234" in text
    True
    >>> print(text.splitlines()[0])
    尊敬的客户：
    >>> templates.set("en", "Sorry! We answer by {respond_by}; call {contact}.")
    >>> templates.render(cmp, contact="Lena", locale="en")
    'Sorry! We answer by 2026-03-09 09:00 UTC; call Lena.'

    """

    def __init__(self, templates: Mapping[str, str] | None = None) -> None:
        self._own: dict[str, str] = {}
        for locale, text in (templates or {}).items():
            self.set(locale, text)

    def set(self, locale: str, text: str) -> None:
        """Use ``text`` for ``locale`` from now on (checked; a refusal changes nothing)."""
        name = normalize(locale)
        self._own[name] = _check(name, text)

    def reset(self, locale: str) -> None:
        """Go back to the built-in text for ``locale``."""
        self._own.pop(normalize(locale), None)

    def template(self, locale: str | None = None) -> str:
        """Return the template for ``locale`` (``None``: the active locale)."""
        name = current_locale() if locale is None else normalize(locale)
        own = self._own.get(name)
        if own is not None:
            return own
        with using(name):
            return _(ACKNOWLEDGEMENT)

    def render(
        self,
        complaint: Complaint,
        *,
        contact: str,
        locale: str | None = None,
        customer: str | None = None,
        sender: str = "",
        respond_by: datetime | None = None,
        policy: DeadlinePolicy | None = None,
    ) -> str:
        """Fill the template for ``locale`` with ``complaint``'s data.

        ``respond_by`` defaults to the earliest ``resolve`` due time of ``policy`` (the
        default time limits unless given); a policy that gives none asks for it.

        Raises
        ------
        ValueError
            ``contact`` is blank, or no ``respond_by`` is given or known.

        """
        if not isinstance(contact, str) or not contact.strip():
            raise ValueError(
                _(
                    "say who the customer can contact (contact=...): a name and a phone "
                    "number, WeChat or e-mail address"
                )
            )
        name = current_locale() if locale is None else normalize(locale)
        due = respond_by if respond_by is not None else _respond_by(complaint, policy)
        if due is None:
            raise ValueError(
                _(
                    "the deadline policy gives complaint {id!r} no resolve due time: pass "
                    "respond_by=... (when the customer hears from us)"
                ).format(id=complaint.id)
            )
        text = self.template(name)
        with using(name):
            values = {
                "customer": (customer or "").strip() or _("customer"),
                "product": (complaint.product or "").strip() or _("our product"),
                "complaint_id": complaint.id,
                "received": format_date(
                    complaint.received_at.astimezone(timezone.utc).date(), name
                ),
                "respond_by": format_datetime(due, name),
                "contact": contact.strip(),
                "sender": sender.strip(),
            }
        return text.format(**values).strip()


_respond_by = respond_by
