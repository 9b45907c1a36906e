"""The ten WHAM whole-health factors: stable codes, labels in English and Spanish, order."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import get_locale


@dataclass(frozen=True)
class Factor:
    code: str
    labels: dict[str, str]
    descriptions: dict[str, str]
    examples: dict[str, tuple[str, ...]]

    def _pick(self, texts: dict, locale: str | None):
        return texts.get(locale or _current_language(), texts["en"])

    def label(self, locale: str | None = None) -> str:
        return self._pick(self.labels, locale)

    def description(self, locale: str | None = None) -> str:
        return self._pick(self.descriptions, locale)

    def example_goals(self, locale: str | None = None) -> tuple[str, ...]:
        return self._pick(self.examples, locale)


def _current_language() -> str:
    try:
        locale = get_locale()
    except RuntimeError:  # outside a request: English
        return "en"
    return locale.language if locale else "en"


FACTORS: tuple[Factor, ...] = (
    Factor(
        "stress",
        {"en": "Stress management", "es": "Manejo del estrés"},
        {"en": "Handling the pressures of life in healthy ways.",
         "es": "Manejar las presiones de la vida de forma sana."},
        {"en": ("Take three slow breaths when I feel tense", "Walk for 10 minutes after work"),
         "es": ("Respirar lento tres veces cuando me siento tenso",
                "Caminar 10 minutos después del trabajo")},
    ),
    Factor(
        "eating",
        {"en": "Healthy eating", "es": "Alimentación sana"},
        {"en": "Food and drink that give my body what it needs.",
         "es": "Comida y bebida que le dan a mi cuerpo lo que necesita."},
        {"en": ("Eat a piece of fruit with breakfast", "Drink water instead of soda at lunch"),
         "es": ("Comer una fruta en el desayuno", "Tomar agua en vez de refresco en el almuerzo")},
    ),
    Factor(
        "activity",
        {"en": "Physical activity", "es": "Actividad física"},
        {"en": "Moving my body in ways I enjoy.",
         "es": "Mover mi cuerpo de formas que disfruto."},
        {"en": ("Walk around the block three times a week", "Stretch for 5 minutes each morning"),
         "es": ("Caminar alrededor de la cuadra tres veces por semana",
                "Estirarme 5 minutos cada mañana")},
    ),
    Factor(
        "sleep",
        {"en": "Restful sleep", "es": "Sueño reparador"},
        {"en": "Getting enough sleep to feel rested.",
         "es": "Dormir lo suficiente para sentirme descansado."},
        {"en": ("Turn off screens 30 minutes before bed", "Go to bed by 11 pm on weeknights"),
         "es": ("Apagar las pantallas 30 minutos antes de dormir",
                "Acostarme antes de las 11 entre semana")},
    ),
    Factor(
        "service",
        {"en": "Service to others", "es": "Servicio a los demás"},
        {"en": "Helping other people or my community.",
         "es": "Ayudar a otras personas o a mi comunidad."},
        {"en": ("Volunteer one hour a week", "Call a friend who is having a hard time"),
         "es": ("Ser voluntario una hora por semana", "Llamar a un amigo que pasa por un mal momento")},
    ),
    Factor(
        "support",
        {"en": "Support network", "es": "Red de apoyo"},
        {"en": "People I can count on, and who can count on me.",
         "es": "Personas con las que puedo contar, y que cuentan conmigo."},
        {"en": ("Go to one support meeting each week", "Text a family member every Sunday"),
         "es": ("Ir a una reunión de apoyo cada semana",
                "Mandar un mensaje a un familiar cada domingo")},
    ),
    Factor(
        "optimism",
        {"en": "Optimism based on positive expectations",
         "es": "Optimismo basado en expectativas positivas"},
        {"en": "Expecting good things and working toward them.",
         "es": "Esperar cosas buenas y trabajar para lograrlas."},
        {"en": ("Write down one good thing each night", "Plan one thing to look forward to"),
         "es": ("Escribir una cosa buena cada noche", "Planear algo que me haga ilusión")},
    ),
    Factor(
        "cognitive",
        {"en": "Cognitive skills to avoid negative thinking",
         "es": "Habilidades para evitar pensamientos negativos"},
        {"en": "Noticing unhelpful thoughts and changing them.",
         "es": "Notar los pensamientos que no ayudan y cambiarlos."},
        {"en": ("Catch one negative thought a day and reframe it", "Read a coping card each morning"),
         "es": ("Notar un pensamiento negativo al día y cambiarlo",
                "Leer una tarjeta de apoyo cada mañana")},
    ),
    Factor(
        "spiritual",
        {"en": "Spiritual beliefs and practices", "es": "Creencias y prácticas espirituales"},
        {"en": "What gives me peace and connects me to something bigger.",
         "es": "Lo que me da paz y me conecta con algo más grande."},
        {"en": ("Spend 10 minutes in quiet reflection", "Attend a service or gathering weekly"),
         "es": ("Pasar 10 minutos en reflexión tranquila",
                "Ir a un servicio o reunión cada semana")},
    ),
    Factor(
        "meaning",
        {"en": "A sense of meaning and purpose", "es": "Sentido y propósito en la vida"},
        {"en": "Doing things that matter to me.",
         "es": "Hacer cosas que son importantes para mí."},
        {"en": ("Spend an hour a week on a hobby I love", "Look into one class or job program"),
         "es": ("Dedicar una hora por semana a un pasatiempo",
                "Buscar información sobre un curso o programa de empleo")},
    ),
)

FACTOR_CODES: tuple[str, ...] = tuple(f.code for f in FACTORS)
_BY_CODE = {f.code: f for f in FACTORS}


def get_factor(code: str) -> Factor:
    """The factor with this code; KeyError for an unknown code."""
    return _BY_CODE[code]


def factor_choices(locale: str | None = None) -> list[tuple[str, str]]:
    return [(f.code, f.label(locale)) for f in FACTORS]
