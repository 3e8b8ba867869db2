"""The words that announce an appointment to a household, in French and in Arabic, for a
gateway to send. They name the campaign, the site, the day and the hour; never a person."""

from __future__ import annotations

from datetime import date

LANGUAGES = ("fr", "ar")

_ASSIGNED = {
    "fr": "Aide {campaign} : votre rendez-vous au site {site} est le {day} de {start} à {end}. "
    "Venez à cette heure avec votre carte.",
    "ar": "مساعدة {campaign}: موعدكم في موقع {site} يوم {day} من الساعة {start} إلى {end}. "
    "يرجى الحضور في هذا الوقت مع بطاقتكم.",
}
_MOVED = {
    "fr": "Aide {campaign} : votre rendez-vous au site {site} est déplacé au {day} de {start} "
    "à {end}. Venez à cette heure avec votre carte.",
    "ar": "مساعدة {campaign}: تم تغيير موعدكم في موقع {site} إلى يوم {day} من الساعة {start} "
    "إلى {end}. يرجى الحضور في هذا الوقت مع بطاقتكم.",
}


_RELEASED = {
    "fr": "Aide {campaign} : votre rendez-vous au site {site} du {day} à {start} est annulé. "
    "Un nouveau rendez-vous vous sera envoyé par votre site.",
    "ar": "مساعدة {campaign}: تم إلغاء موعدكم في موقع {site} يوم {day} على الساعة {start}. "
    "سيرسل إليكم موقعكم موعدا جديدا.",
}


def release(language: str, campaign_id: str, site_id: str, day: date, hour: int) -> str:
    """The message for an appointment given up (the household moved to another site, or is
    no longer admitted) in `language` (fr or ar)."""
    return _RELEASED[language].format(
        campaign=campaign_id, site=site_id, day=day.strftime("%d/%m/%Y"), start=f"{hour}:00"
    )


def announcement(
    language: str, campaign_id: str, site_id: str, day: date, hour: int, moved: bool = False
) -> str:
    """The message for a new appointment (or a moved one) in `language` (fr or ar)."""
    words = (_MOVED if moved else _ASSIGNED)[language]
    return words.format(
        campaign=campaign_id,
        site=site_id,
        day=day.strftime("%d/%m/%Y"),
        start=f"{hour}:00",
        end=f"{hour + 1}:00",
    )
