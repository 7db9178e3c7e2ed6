def test_language_from_the_url(client):
    page = client.get("/?lang=de").get_data(as_text=True)
    assert '<html lang="de">' in page
    assert "Zum Hauptinhalt springen" in page
    assert "Künftiger Qualifikationsbedarf" in page


def test_language_choice_is_remembered(client):
    client.get("/?lang=fr")
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert "Connexion du personnel" in page


def test_spanish_is_offered_throughout(client):
    page = client.get("/?lang=es").get_data(as_text=True)
    assert '<html lang="es">' in page
    assert "Saltar al contenido principal" in page
    page = client.get("/login").get_data(as_text=True)
    assert "Acceso del personal" in page
    assert "Página no encontrada" in client.get("/nowhere").get_data(as_text=True)


def test_language_from_the_browser_preference(client):
    page = client.get("/", headers={"Accept-Language": "de-AT,de;q=0.9,en;q=0.5"})
    assert '<html lang="de">' in page.get_data(as_text=True)


def test_unsupported_language_falls_back_to_english(client):
    page = client.get("/?lang=xx", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Skip to main content" in page


def test_error_pages_are_translated(client):
    page = client.get("/nowhere?lang=de").get_data(as_text=True)
    assert "Seite nicht gefunden" in page


def test_every_page_links_its_language_versions(client):
    page = client.get("/").get_data(as_text=True)
    for code in ("en", "de", "fr", "es"):
        assert f'hreflang="{code}"' in page


def test_no_asset_is_loaded_from_another_host(client):
    import re

    page = client.get("/").get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources
    assert not [s for s in sources if s.startswith(("http:", "https:", "//"))]
