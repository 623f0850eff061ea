"""Canonical URLs: one article, one URL, whatever address it was reached by."""

from __future__ import annotations

import pytest

from crawler.spider.platforms.joomla import menu_path_rewrite
from crawler.extract.urls import article_id, canonicalize

ALIASES = {"malopolska.mw.gov.pl": "malopolska.pl", "last.mcps.com.pl": "mcps.com.pl",
           "rcps-lodz.pl": "rcpslodz.pl", "2023.rops.krakow.pl": "rops.krakow.pl"}


@pytest.mark.parametrize(("variants", "canonical"), [
    (["http://www.malopolska.mw.gov.pl/aktualnosci/sprawy-spoleczne-i-rodzina/konferencja",
      "https://www.malopolska.pl/aktualnosci/sprawy-spoleczne-i-rodzina/konferencja",
      "https://malopolska.pl/aktualnosci/sprawy-spoleczne-i-rodzina/konferencja#galeria"],
     "https://malopolska.pl/aktualnosci/sprawy-spoleczne-i-rodzina/konferencja"),
    (["http://last.mcps.com.pl/775-skutecznosc-pieczy", "http://www.mcps.com.pl/775-skutecznosc-pieczy",
      "https://mcps.com.pl/775-skutecznosc-pieczy?utm_source=facebook&utm_medium=social"],
     "https://mcps.com.pl/775-skutecznosc-pieczy"),
    (["http://radomsko.policja.gov.pl/era/informacje/55902%2CKomunikat.html",
      "https://radomsko.policja.gov.pl/era/informacje/55902,Komunikat.html?fbclid=IwAR0x"],
     "https://radomsko.policja.gov.pl/era/informacje/55902,Komunikat.html"),
    (["http://mops-radomsko.pl/art,923,jubileuszowa-x-konferencja",
      "http://www.mops-radomsko.pl/art%2C923%2Cjubileuszowa-x-konferencja"],
     "https://mops-radomsko.pl/art,923,jubileuszowa-x-konferencja"),
    (["http://www.szkoleniapokl.rops.krakow.pl/Podsumowanie;s,aktualnosci,id,311",
      "http://szkoleniapokl.rops.krakow.pl/Podsumowanie%3Bs%2Caktualnosci%2Cid%2C311"],
     "https://szkoleniapokl.rops.krakow.pl/Podsumowanie;s,aktualnosci,id,311"),
    (["https://2023.rops.krakow.pl/aktualnosci/nakrec-sie-na-rodzine",
      "https://rops.krakow.pl/aktualnosci/nakrec-sie-na-rodzine;jsessionid=0A1B2C"],
     "https://rops.krakow.pl/aktualnosci/nakrec-sie-na-rodzine"),
])
def test_aliases_fold_to_one_canonical_url_and_id(variants, canonical):
    results = {canonicalize(v, ALIASES) for v in variants}
    assert results == {canonical}
    assert len({article_id(r) for r in results}) == 1


def test_joomla_menu_paths_fold_and_real_parameters_stay():
    rewrite = [menu_path_rewrite()]
    paths = ["http://rcpslodz.pl/index.php/2-aktualnosci/332-spotkanie",
             "http://www.rcpslodz.pl/index.php/dziecko-i-rodzina/adopcja/2-aktualnosci/332-spotkanie",
             "http://rcps-lodz.pl/index.php/o-nas/2-aktualnosci/332-spotkanie?Itemid=12"]
    assert {canonicalize(p, ALIASES, ["Itemid"], rewrite) for p in paths} == {
        "https://rcpslodz.pl/index.php/2-aktualnosci/332-spotkanie"}
    # Pagination and ids in the query select content: kept, and sorted.
    assert canonicalize("http://mcps.com.pl/?start=20&x=1") == "https://mcps.com.pl/?start=20&x=1"
    assert canonicalize("http://www.rops-bialystok.pl/rops/?p=14470") == \
        "https://rops-bialystok.pl/rops/?p=14470"
    # Different articles stay different.
    assert canonicalize("http://mcps.com.pl/362-a") != canonicalize("http://mcps.com.pl/363-a")
