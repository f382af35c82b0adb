"""The extract (uttrekk) form: criteria in, the same ``read_tailored_extract`` call the notebook makes.

    >>> from freg_nb.widgets.extracts import ExtractForm
    >>> form = ExtractForm(fc, rolle="analyse", bostedskommunenummer="0301")   # doctest: +SKIP
    >>> form                                                                 # doctest: +SKIP

The form only builds keyword arguments (``form.kwargs()``); the work is done by
``freg_nb.read_tailored_extract`` — exactly what a papermill run with the same parameters does.
Bad input is shown as the ``InputError`` message (what to fix), before anything is sent.
"""
from __future__ import annotations

from typing import Any, Sequence

import html

import ipywidgets as w
from IPython.display import HTML, display

from freg_nb.criteria import KJOENN, PERSONSTATUSTYPER, SIVILSTANDSTYPER
from freg_nb.display import number
from freg_nb.errors import FregNbError, InputError
from freg_nb.extract_records import all_states, describe_spec, store_of
from freg_nb.extracts import read_tailored_extract
from freg_nb.messages import code_label, msg
from freg_nb.widgets.common import (BUTTON, STYLE, WIDE, RunPanel, download_links, error_html, labelled,
                                    role_dropdown)

__all__ = ["ExtractForm", "extract_form"]

_ALL = "(alle)"
_STATUS_LABELS = {"bosatt": "bosatt", "aktiv": "aktiv", "utflyttet": "utflyttet", "doed": "død",
                  "inaktiv": "inaktiv"}


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _kommune_options() -> list[str]:
    from freg_nb.kommuner import kommune_dict

    return [f"{k.kommunenummer} {k.kommunenavn}" for k in kommune_dict().values()]


def _kommune_value(raw: str) -> str | None:
    """'0301 Oslo' → '0301'; free text is passed on as typed (the criteria check explains problems)."""
    s = (raw or "").strip()
    if not s:
        return None
    head = s.split()[0]
    return head


def _blank_none(raw: str) -> str | None:
    s = (raw or "").strip()
    return s or None


class ExtractForm(w.VBox):
    """Criteria for a tailored extract, a run button, progress and a short summary of the result.

    The keyword arguments are the notebook's parameters (same names, same meaning). After a run,
    ``form.result`` is the DataFrame ``read_tailored_extract`` returned.
    """

    def __init__(self, client: Any, *, rolle: str | None = None,
                 personstatustyper: Sequence[str] = ("bosatt",),
                 bostedskommunenummer: str | None = None, oppholdskommunenummer: str | None = None,
                 foedselsaarFraOgMed: int | None = None, foedselsaarTilOgMed: int | None = None,
                 doedsaarFraOgMed: int | None = None, doedsaarTilOgMed: int | None = None,
                 kjoenn: str | None = None, statsborgerskap: str | None = None,
                 sivilstandstype: str | None = None, deler: Sequence[str] | None = None,
                 navn_paa_uttrekket: str | None = None, vis_fulle_id: bool = False, formaal: str | None = None):
        self.client = client
        self.result = None
        self.rolle = role_dropdown(client.settings.roles, rolle)
        self.status = w.SelectMultiple(
            options=[(_STATUS_LABELS[s], s) for s in PERSONSTATUSTYPER],
            value=tuple(s for s in (personstatustyper or ()) if s in PERSONSTATUSTYPER),
            description="Personstatus", rows=len(PERSONSTATUSTYPER), style=STYLE, layout=WIDE)
        self.kommunetype = w.ToggleButtons(
            options=[("Bostedskommune", "bosted"), ("Oppholdskommune", "opphold")],
            value="opphold" if oppholdskommunenummer and not bostedskommunenummer else "bosted",
            style={"button_width": "auto"})
        self.kommune = w.Combobox(
            value=_text(bostedskommunenummer or oppholdskommunenummer), options=_kommune_options(),
            placeholder="f.eks. 0301 Oslo (tomt = hele landet)", ensure_option=False,
            description="Kommunenummer", style=STYLE, layout=WIDE)
        self.foedt_fra = w.Text(value=_text(foedselsaarFraOgMed), placeholder="f.eks. 1950",
                                description="Født fra og med år", style=STYLE)
        self.foedt_til = w.Text(value=_text(foedselsaarTilOgMed), placeholder="f.eks. 1960",
                                description="Født til og med år", style=STYLE)
        self.doed_fra = w.Text(value=_text(doedsaarFraOgMed), placeholder="(bare for døde)",
                               description="Død fra og med år", style=STYLE)
        self.doed_til = w.Text(value=_text(doedsaarTilOgMed), placeholder="(bare for døde)",
                               description="Død til og med år", style=STYLE)
        self.kjoenn = w.Dropdown(options=[("begge", _ALL), ("kvinne", "kvinne"), ("mann", "mann")],
                                 value=kjoenn if kjoenn in KJOENN else _ALL, description="Kjønn", style=STYLE)
        self.borgerskap = w.Text(value=_text(statsborgerskap), placeholder="landkode, f.eks. NOR, SWE, POL",
                                 description="Statsborgerskap", style=STYLE, layout=w.Layout(width="420px"))
        self.sivilstand = w.Dropdown(options=[_ALL, *((code_label("sivilstand", s), s) for s in SIVILSTANDSTYPER)],
                                     value=sivilstandstype if sivilstandstype in SIVILSTANDSTYPER else _ALL,
                                     description="Sivilstand", style=STYLE)
        self.deler = w.Text(value=", ".join(deler) if deler else "",
                            placeholder="tomt = person-basis; ellers f.eks. navn, foedsel, kjoenn",
                            description="Deler (part)", style=STYLE, layout=WIDE)
        self.navn = w.Text(value=_text(navn_paa_uttrekket), placeholder="tomt = lages av kriteriene",
                           description="Navn på uttrekket", style=STYLE, layout=WIDE)
        self.vis_id = w.Checkbox(value=bool(vis_fulle_id), description="Vis fulle fødselsnummer", indent=False)
        self.formaal = w.Text(value=formaal or "", placeholder="hvorfor (skrives i revisjonsloggen)",
                              description="Formål", style=STYLE, layout=WIDE)
        self.panel = RunPanel(self.run, label="Bestill og hent uttrekket", icon="download", client=client)
        # a typed name that a stored extract with other criteria has: resume that one, or a new one
        self._clash: dict | None = None
        self.valg_tekst = w.HTML()
        self.fortsett = w.Button(description=msg("extract.resume"), icon="play", button_style="primary",
                                 layout=BUTTON)
        self.nytt_navn = w.Button(description=msg("extract.new"), icon="plus", layout=BUTTON)
        self.fortsett.on_click(lambda _b: self._resume_stored())
        self.nytt_navn.on_click(lambda _b: self._new_name())
        self.valg = w.VBox([self.valg_tekst, w.HBox([self.fortsett, self.nytt_navn],
                                                    layout=w.Layout(flex_flow="row wrap"))],
                           layout=w.Layout(display="none"))
        self.eksport = {fmt: w.Button(description=label, icon="download", layout=BUTTON)
                        for fmt, label in (("csv", "CSV"), ("xlsx", "Excel"), ("parquet", "Parquet"))}
        for fmt, button in self.eksport.items():
            button.on_click(lambda _b, f=fmt: self.export([f]))
        self.eksport_ut = w.Output()
        self.etterpaa = w.VBox([w.HBox([w.Label("Lag fil av uttrekket:"), *self.eksport.values()]), self.eksport_ut],
                               layout=w.Layout(display="none"))
        super().__init__([
            w.HTML("<b>Kriterier for tilpasset uttrekk</b>"),
            self.rolle, self.status, labelled("Kommune gjelder", self.kommunetype), self.kommune,
            w.HBox([self.foedt_fra, self.foedt_til]), w.HBox([self.doed_fra, self.doed_til]),
            w.HBox([self.kjoenn, self.sivilstand]), self.borgerskap, self.deler, self.navn, self.vis_id,
            self.formaal, self.valg, self.etterpaa, self.panel,
        ])

    def kwargs(self) -> dict[str, Any]:
        """The keyword arguments for ``freg_nb.read_tailored_extract`` (nothing checked here)."""
        kommune = _kommune_value(self.kommune.value)
        deler = [p.strip() for p in self.deler.value.split(",") if p.strip()] or None
        return {
            "role": self.rolle.value,
            "personstatustyper": list(self.status.value),
            "bostedskommunenummer": kommune if self.kommunetype.value == "bosted" else None,
            "oppholdskommunenummer": kommune if self.kommunetype.value == "opphold" else None,
            "foedselsaarFraOgMed": _blank_none(self.foedt_fra.value),
            "foedselsaarTilOgMed": _blank_none(self.foedt_til.value),
            "doedsaarFraOgMed": _blank_none(self.doed_fra.value),
            "doedsaarTilOgMed": _blank_none(self.doed_til.value),
            "kjoenn": None if self.kjoenn.value == _ALL else self.kjoenn.value,
            "statsborgerskap": _blank_none(self.borgerskap.value),
            "sivilstandstype": None if self.sivilstand.value == _ALL else self.sivilstand.value,
            "parts": deler,
            "name": _blank_none(self.navn.value),
            "show_ids": bool(self.vis_id.value),
            "purpose": self.formaal.value.strip() or None,
        }

    def run(self):
        """Order/resume the extract with the form's criteria; shows counts, the table and summaries."""
        from freg_nb.plots.extracts import age_pyramid
        from freg_nb.summaries import age_pyramid_table, summarize_extract

        self.valg.layout.display = "none"
        self.etterpaa.layout.display = "none"
        kw = self.kwargs()
        _check_years(kw)
        try:
            df = read_tailored_extract(self.client, progress=False, **kw)
        except InputError as e:
            stored = next((st for st in all_states(store_of(self.client)) if kw["name"] and st.get("name") == kw["name"]),
                          None)
            if stored is None or str(e) != msg("extract.exists", name=kw["name"],
                                               spec=describe_spec(stored.get("spec") or {})):
                raise
            # the typed name belongs to other criteria: not a failure, a choice (nothing was sent)
            self._clash = stored
            text = msg("extract.clash", name=kw["name"], stored=describe_spec(stored.get("spec") or {}))
            self.valg_tekst.value = f"<div class='freg-nb-msg'>⏸ {html.escape(text)}</div>"
            self.valg.layout.display = "flex"
            self.panel.conclude("choice", msg("extract.clash_status"))
            return None
        self.result = df
        info = df.attrs.get("uttrekk", {})
        self.eksport_ut.outputs = ()  # the trait, not clear_output(): this runs in the worker thread
        self.etterpaa.layout.display = "flex"
        self.panel.show(HTML(
            f"<p>Uttrekket <b>{html.escape(str(info.get('navn')))}</b>: {number(info.get('rader'))} personer "
            f"({number(info.get('feil'))} feil) fra {number(info.get('batcher'))} "
            f"{'batch' if info.get('batcher') == 1 else 'batcher'}. "
            f"Lagret i den private datamappen.</p>"))
        self.panel.show(df)
        self.panel.show(summarize_extract(df, by="kjoenn"))
        if "alder" in df.columns and df["alder"].notna().any():
            import matplotlib.pyplot as plt

            fig = age_pyramid(age_pyramid_table(df), title=f"Aldersfordeling – {info.get('navn')}")
            self.panel.show(fig)
            plt.close(fig)
        return None

    def _new_name(self) -> None:
        """A new extract with the form's criteria, named from them."""
        self.navn.value = ""
        self.valg.layout.display = "none"
        self.panel.run(wait=False)

    def _resume_stored(self) -> None:
        """The stored extract of that name: put its criteria into the form and continue it."""
        spec = (self._clash or {}).get("spec") or {}
        crit = spec.get("criteria") or {}
        if spec.get("role") in self.rolle.options:
            self.rolle.value = spec["role"]
        self.status.value = tuple(s for s in crit.get("personstatustyper") or () if s in PERSONSTATUSTYPER)
        place = crit.get("kommunenummer") or {}
        self.kommunetype.value = "opphold" if "oppholdskommunenummer" in place else "bosted"
        number_ = place.get("oppholdskommunenummer") or place.get("bostedskommunenummer") or ""
        self.kommune.value = next((o for o in self.kommune.options if o.split()[0] == number_), number_)
        for box, key in ((self.foedt_fra, "foedselsaarFraOgMed"), (self.foedt_til, "foedselsaarTilOgMed"),
                         (self.doed_fra, "doedsaarFraOgMed"), (self.doed_til, "doedsaarTilOgMed")):
            box.value = _text(crit.get(key))
        self.kjoenn.value = crit.get("kjoenn") if crit.get("kjoenn") in KJOENN else _ALL
        self.borgerskap.value = _text(crit.get("statsborgerskap"))
        self.sivilstand.value = crit.get("sivilstandstype") if crit.get("sivilstandstype") in SIVILSTANDSTYPER else _ALL
        self.deler.value = ", ".join(spec.get("parts") or [])
        self.valg.layout.display = "none"
        self.panel.run(wait=False)

    def export(self, formats: Sequence[str]) -> dict | None:
        """Export what the form produced (masked ids unless shown; protected addresses never), with download."""
        from freg_nb.export import export_extract

        self.eksport_ut.clear_output()
        with self.eksport_ut:
            if self.result is None:
                print(msg("form.run_first"))
                return None
            try:
                files = export_extract(self.client, self.result, formats=list(formats),
                                       show_ids=bool(self.vis_id.value))
            except FregNbError as e:
                display(HTML(error_html(e)))
                return None
            name = str(self.result.attrs.get("uttrekk", {}).get("navn") or "uttrekk")
            display(download_links(files, name=name))
            return files


def _check_years(kw: dict[str, Any]) -> None:
    """The year fields, in the form's words, before anything is sent (the criteria check does the rest)."""
    from datetime import date

    from freg_nb.messages import label

    problems = []
    for key in ("foedselsaarFraOgMed", "foedselsaarTilOgMed", "doedsaarFraOgMed", "doedsaarTilOgMed"):
        raw = kw.get(key)
        if raw is None:
            continue
        if not (str(raw).isdigit() and len(str(raw)) == 4):
            problems.append(msg("extract.year", field=label(key), value=raw))
        elif int(raw) > date.today().year:
            problems.append(msg("extract.year_future", field=label(key), value=raw))
    for a, b in (("foedselsaarFraOgMed", "foedselsaarTilOgMed"), ("doedsaarFraOgMed", "doedsaarTilOgMed")):
        if not problems and kw.get(a) and kw.get(b) and int(kw[a]) > int(kw[b]):
            problems.append(msg("extract.year_order", first=label(a), last=label(b)))
    if problems:
        raise InputError(msg("extract.problems") + "\n" + "\n".join(f"– {p}" for p in problems))


def extract_form(client: Any, **parameters: Any) -> ExtractForm:
    """Build the extract form with the notebook's parameters as starting values."""
    return ExtractForm(client, **parameters)
