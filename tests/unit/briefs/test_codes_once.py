"""The sector's codes and its geography as a page writes them: each once."""

from app.briefs.content import SectorCode, distinct_codes, geography_words


def test_a_code_listed_twice_is_kept_once_and_a_mapping_to_itself_is_dropped():
    codes = distinct_codes(
        [
            SectorCode("NACE Rev. 2", "F", "Construction"),
            SectorCode("NACE Rev. 2", "F", "Construction", ("F",), "NACE Rev. 2"),
            SectorCode("NAICS", "236000", "Building", ("F",), "NACE Rev. 2"),
        ]
    )
    assert codes == (
        SectorCode("NACE Rev. 2", "F", "Construction"),
        SectorCode("NAICS", "236000", "Building", ("F",), "NACE Rev. 2"),
    )


def test_a_later_listing_adds_the_mapping_the_first_lacked():
    codes = distinct_codes(
        [
            SectorCode("BLS", "23", ""),
            SectorCode("BLS", "23", "Construction", ("F",), "NACE Rev. 2"),
        ]
    )
    assert codes == (SectorCode("BLS", "23", "Construction", ("F",), "NACE Rev. 2"),)


def test_a_geography_whose_label_is_its_code_is_written_once():
    assert geography_words("EU", "EU") == "EU"
    assert geography_words("United States", "US") == "United States (US)"
    assert geography_words("", "DE") == "DE"
