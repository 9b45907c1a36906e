"""A new participant's first week in Spanish, on a phone, chosen from the browser's language:
create an account, take the self-inventory, choose a goal, make a plan (WHAM's confidence rule
at 5, then 8), log a day, and do the weekly check-in with the keyboard only, every focus stop
visible. Each page passes axe-core and fits the phone; screenshots are saved per step.
(The same week in English is in test_account_journey, test_goals_journey and
test_checkins_journey.)"""
from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.e2e.pages import assert_page_ok, choose_with_arrows, tab_to
from wham.factors import FACTORS
from wham.timeutil import local_today, utcnow

pytestmark = pytest.mark.e2e

TZ = "America/Chicago"


@pytest.fixture
def spanish_phone(browser, live_server):
    context = browser.new_context(viewport={"width": 360, "height": 640}, base_url=live_server,
                                  locale="es-US", extra_http_headers={"Accept-Language": "es-US,es;q=0.9"})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_first_week_in_spanish(spanish_phone, app, monkeypatch):
    page = spanish_phone
    # The program week starts yesterday, so there are two days to log whatever today is.
    yesterday = local_today(utcnow(), TZ) - timedelta(days=1)
    monkeypatch.setitem(app.config, "WEEK_STARTS_ON", yesterday.weekday())

    # Before signing in, the browser's language decides.
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.get_by_role("link", name="Crear una cuenta").click()
    expect(page.get_by_role("heading", name="Crear una cuenta")).to_be_visible()
    expect(page.get_by_label("Idioma")).to_have_value("es")
    page.get_by_role("button", name="Crear mi cuenta").click()  # empty: messages in Spanish
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.get_by_text("Escriba el nombre que quiere usar.")).to_be_visible()
    assert_page_ok(page)
    screenshot(page, "es-first-week/01-register-errors-phone")
    page.get_by_label("Su nombre").fill("Lupe")
    page.get_by_label("Correo electrónico").fill("lupe@example.org")
    page.get_by_label("Contraseña", exact=True).fill("camino largo cada mañana")
    page.get_by_label("Escriba la contraseña otra vez").fill("camino largo cada mañana")
    page.get_by_label("Zona horaria").select_option(TZ)
    page.get_by_role("button", name="Crear mi cuenta").click()
    expect(page.get_by_text("¡Bienvenido a WHAM, Lupe!")).to_be_visible()
    expect(page.get_by_text("Empiece con una autoevaluación rápida")).to_be_visible()
    assert_page_ok(page)
    screenshot(page, "es-first-week/02-home-phone")

    page.get_by_role("link", name="Empezar mi autoevaluación").click()
    for n, factor in enumerate(FACTORS):
        group = page.get_by_role("group", name=factor.label("es"))
        group.get_by_role("radio", name=re.compile(rf"^{1 + n % 4}\b")).check()
    page.get_by_role("button", name="Guardar mis respuestas").click()
    expect(page.get_by_text("Gracias. Su autoevaluación está guardada.")).to_be_visible()
    page.get_by_text("Mostrar los números como tabla").click()
    expect(page.get_by_role("row", name=re.compile("Sueño reparador"))).to_be_visible()
    assert_page_ok(page)
    screenshot(page, "es-first-week/03-inventory-phone")

    page.get_by_role("link", name="Elegir una meta").click()
    page.get_by_label("¿De qué parte de su salud integral se trata?").select_option("sleep")
    page.get_by_label("Lo que quiero").fill("Dormir mejor y despertar con energía")
    page.get_by_label("Por qué es importante para mí").fill("Quiero estar de buen humor con mi familia.")
    assert_page_ok(page)
    screenshot(page, "es-first-week/04-goal-phone")
    page.get_by_role("button", name="Guardar mi meta").click()
    expect(page.get_by_text("Su meta está guardada. Ahora, haga un plan pequeño")).to_be_visible()

    page.get_by_role("button", name="Guardar mi plan").click()  # empty: errors next to fields
    expect(page.get_by_text("Diga lo que va a hacer.")).to_be_visible()
    expect(page.get_by_label("Lo que voy a hacer")).to_have_attribute("aria-invalid", "true")
    assert_page_ok(page)
    page.get_by_label("Lo que voy a hacer").fill("Apagar el teléfono")
    page.get_by_label("Cuánto", exact=True).fill("30 minutos antes")
    page.get_by_label("Cuándo", exact=True).fill("antes de dormir")
    page.get_by_label("Cuántos días esta semana").fill("5")
    page.get_by_label(re.compile("Qué tan seguro estoy")).fill("5")
    page.get_by_role("button", name="Guardar mi plan").click()
    expect(page.get_by_text("La regla de WHAM es: si su confianza es menor de 7")).to_be_visible()
    assert_page_ok(page)
    screenshot(page, "es-first-week/05-plan-rule-phone")
    page.get_by_label("Cuántos días esta semana").fill("3")
    page.get_by_label(re.compile("Qué tan seguro estoy")).fill("8")
    page.get_by_role("button", name="Guardar mi plan").click()
    expect(page.get_by_text("Su plan para esta semana está guardado. ¡Usted puede!")).to_be_visible()

    page.get_by_label("Día").select_option(index=1)  # yesterday
    page.get_by_text("Sí", exact=True).click()
    page.get_by_label("Una nota corta (opcional)").fill("Leí un libro en vez del teléfono")
    page.get_by_role("button", name="Guardar este día").click()
    expect(page.get_by_text("Cumplido 1 día hasta ahora, de 3 planeados.")).to_be_visible()
    assert_page_ok(page)
    screenshot(page, "es-first-week/06-log-phone")

    # The weekly check-in with the keyboard only; the days done come from the log.
    page.get_by_role("link", name="Chequeo", exact=True).click()
    this_week = f"/check-in/{yesterday.isoformat()}"
    if not page.url.endswith(this_week):  # last week's check-in is offered first while open
        page.goto(this_week)
    expect(page.get_by_role("heading", name="Chequeo semanal")).to_be_visible()
    assert_page_ok(page)
    started = time.monotonic()
    keys = tab_to(page, 'input[name="days_done"]')
    assert page.evaluate("document.activeElement.value") == "1"  # pre-filled from the log
    for n in range(1, 6):
        keys += tab_to(page, f'input[name="who5_{n}"]') + choose_with_arrows(page, "3")
    keys += tab_to(page, 'input[name="stress"]') + choose_with_arrows(page, "4")
    keys += tab_to(page, 'textarea[name="helped"]')
    page.keyboard.type("Dejar el teléfono en la cocina")
    keys += tab_to(page, 'input[name="confidence_next"]') + choose_with_arrows(page, "8")
    keys += tab_to(page, 'button[type="submit"]')
    screenshot(page, "es-first-week/07-check-in-keyboard-phone")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Gracias. Su chequeo está guardado.")).to_be_visible()
    # Effort is counted in key presses (fewer than 90 is well under a minute for a person);
    # the browser's own time depends on the machine and is only printed.
    seconds = time.monotonic() - started
    print(f"check-in by keyboard: {keys} key presses, {seconds:.1f} s in the test browser")
    assert keys < 90, f"the check-in took {keys} key presses"
    expect(page.get_by_role("heading", name="Mi progreso")).to_be_visible()
    page.get_by_text("Mostrar como tabla").first.click()
    first_week = page.locator("table").first.locator("tbody tr").first
    expect(first_week.locator("td")).to_have_text(["3", "1"])  # planned, done
    assert_page_ok(page)
    screenshot(page, "es-first-week/08-progress-phone")

    # Help is one tap away on every page, in Spanish too.
    page.get_by_role("link", name="Más formas de pedir ayuda").click()
    expect(page.get_by_role("heading", name="No tiene que pasar por esto solo")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Llamar al 988"))).to_have_attribute("href", "tel:988")
    screenshot(page, "es-first-week/09-crisis-phone")
