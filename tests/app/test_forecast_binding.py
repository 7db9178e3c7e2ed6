"""Binding a forecast's series to a consultation: by code list or crosswalk, codes checked
against the dataset, the secretariat of the council only; and the demonstration's forecast."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.auth.models import Role, User
from app.auth.policy import Act, Decision, decide
from app.consultations.models import Consultation, RoundStatus
from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.forecasts import queries, services
from app.forecasts.models import ForecastBinding, ForecastDataset, ForecastValue
from app.forecasts.table import DatasetKind, Level
from tests.app.factories import build_study, make_staff, sign_in


def make_dataset(title: str = "Test projection", sha: str = "a" * 64) -> ForecastDataset:
    dataset = ForecastDataset(
        publisher="Test office",
        title=title,
        licence="CC BY 4.0",
        vintage="2024-34",
        base_year=2024,
        horizon_year=2034,
        unit="thousand jobs",
        source_filename="t.csv",
        source_hash=sha,
        profile="test",
        kind=DatasetKind.projection,
        caveats=[],
        row_count=4,
    )
    db.session.add(dataset)
    db.session.flush()
    for sector, occupation, label in (
        ("230000", None, "Construction"),
        ("236000", None, "Construction of buildings"),
        ("230000", "47-2111", "Electricians"),
        ("230000", "47-2152", "Plumbers"),
    ):
        db.session.add(
            ForecastValue(
                dataset_id=dataset.id,
                geography="US",
                sector_code=sector,
                occupation_code=occupation,
                indicator="employment",
                year=2034,
                value=10.0,
                unit="thousand jobs",
                label=label,
                level=Level.detail,
            )
        )
    db.session.flush()
    return dataset


@pytest.fixture
def study(app):
    study = build_study(app, rounds=(RoundStatus.closed,))
    with app.app_context():
        study.dataset = make_dataset().id
        db.session.commit()
    return study


def _user(email):
    return db.session.scalars(select(User).where(User.email == email)).one()


def test_a_binding_by_codes_states_labels_and_mapping(app, study):
    with app.app_context():
        consultation = db.session.get(Consultation, study.consultation)
        dataset = db.session.get(ForecastDataset, study.dataset)
        crosswalk = (
            b"forecast_code,target_code,target_label\n230000,F,Construction\n47-2111,7411,\n"
        )
        report = services.bind_series(
            consultation,
            dataset,
            by=_user(study.secretariat),
            sector_codes=["230000"],
            crosswalk=crosswalk,
            crosswalk_filename="map.csv",
        )
        assert report.sector_codes == ("230000",)
        assert report.occupation_codes == ("47-2111",)  # from the crosswalk
        codes = {c.code: c for c in queries.bound_codes(report.binding)}
        assert codes["230000"].label == "Construction"
        assert codes["230000"].maps_to == (("nace-rev2", "F", "Construction"),)
        assert codes["47-2111"].maps_to[0][:2] == ("isco-08", "7411")
        series = queries.bound_series(report.binding)
        assert {(v.sector_code, v.occupation_code) for v in series.values} == {
            ("230000", None),
            ("230000", "47-2111"),
        }


def test_unknown_codes_are_named(app, study):
    with app.app_context():
        with pytest.raises(InvalidInput) as refused:
            services.bind_series(
                db.session.get(Consultation, study.consultation),
                db.session.get(ForecastDataset, study.dataset),
                by=_user(study.secretariat),
                sector_codes=["230000", "999999", "F"],
                occupation_codes=["47-2111", "11-1011"],
            )
        texts = {p.field: str(p) for p in refused.value.problems}
        assert "999999, F" in texts["sector_codes"]
        assert "11-1011" in texts["occupation_codes"]
        assert db.session.scalars(select(ForecastBinding)).all() == []


def test_the_all_sector_total_is_a_code_of_the_dataset(app, study):
    with app.app_context():
        consultation = db.session.get(Consultation, study.consultation)
        dataset = db.session.get(ForecastDataset, study.dataset)
        by = _user(study.secretariat)
        with pytest.raises(InvalidInput) as refused:
            services.bind_series(
                consultation, dataset, by=by, sector_codes=["236000"], total_code="TE1000"
            )
        assert [p.field for p in refused.value.problems] == ["total_code"]
        report = services.bind_series(
            consultation, dataset, by=by, sector_codes=["236000"], total_code="230000"
        )
        assert report.binding.total_code == "230000"


def test_an_occupation_only_binding_takes_the_all_occupation_total(app, study):
    with app.app_context():
        consultation = db.session.get(Consultation, study.consultation)
        dataset = db.session.get(ForecastDataset, study.dataset)
        by = _user(study.secretariat)
        with pytest.raises(InvalidInput) as refused:  # a sector code is no occupation total
            services.bind_series(
                consultation, dataset, by=by, occupation_codes=["47-2111"], total_code="230000"
            )
        assert [p.field for p in refused.value.problems] == ["total_code"]
        report = services.bind_series(
            consultation, dataset, by=by, occupation_codes=["47-2111"], total_code="47-2152"
        )
        assert report.binding.total_code == "47-2152"


def test_series_of_another_country_are_bound_with_a_warning(app, study):
    with app.app_context():
        consultation = db.session.get(Consultation, study.consultation)
        dataset = db.session.get(ForecastDataset, study.dataset)
        by = _user(study.secretariat)
        report = services.bind_series(consultation, dataset, by=by, sector_codes=["230000"])
        assert report.binding.id is not None  # bound all the same
        (warning,) = report.warnings
        assert "US" in str(warning) and "EU" in str(warning)
        with pytest.raises(InvalidInput) as refused:  # a geography the dataset does not have
            services.bind_series(
                consultation, dataset, by=by, sector_codes=["230000"], geography="FR"
            )
        assert [p.field for p in refused.value.problems] == ["geography"]
        consultation.council.geography = "US"
        report = services.bind_series(
            consultation, dataset, by=by, sector_codes=["230000"], geography="US"
        )
        assert report.warnings == ()


def test_the_bindings_page_warns_about_another_countrys_series(app, study):
    client = app.test_client()
    sign_in(client, study.secretariat)
    response = client.post(
        f"/staff/consultations/{study.consultation}/forecasts",
        data={"dataset": str(study.dataset), "sector_codes": "230000"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "describe US, but the council covers EU" in page


def test_bad_crosswalk_rows_are_located(app, study):
    crosswalk = (
        b"forecast_code,target_code,classification\n"
        b"230000,F,nace\n"
        b"123,F,\n"
        b"236000,,\n"
        b"47-2111,7411,sic\n"
    )
    with app.app_context():
        with pytest.raises(InvalidInput) as refused:
            services.bind_series(
                db.session.get(Consultation, study.consultation),
                db.session.get(ForecastDataset, study.dataset),
                by=_user(study.secretariat),
                crosswalk=crosswalk,
            )
        located = [(p.row, p.column) for p in refused.value.problems]
        assert located == [(3, "forecast_code"), (4, "target_code"), (5, "classification")]


def test_a_crosswalk_without_its_columns_is_refused(app, study):
    with app.app_context():
        with pytest.raises(InvalidInput) as refused:
            services.bind_series(
                db.session.get(Consultation, study.consultation),
                db.session.get(ForecastDataset, study.dataset),
                by=_user(study.secretariat),
                crosswalk=b"code,nace\n230000,F\n",
            )
        assert {p.column for p in refused.value.problems} == {"forecast_code", "target_code"}


def test_only_the_councils_secretariat_binds(app, study):
    with app.app_context():
        consultation = db.session.get(Consultation, study.consultation)
        dataset = db.session.get(ForecastDataset, study.dataset)
        for email in (study.other_secretariat, study.official, study.admin):
            with pytest.raises(NotFound):
                services.bind_series(
                    consultation, dataset, by=_user(email), sector_codes=["230000"]
                )


def test_binding_again_replaces_the_earlier_choice(app, study):
    with app.app_context():
        consultation = db.session.get(Consultation, study.consultation)
        dataset = db.session.get(ForecastDataset, study.dataset)
        by = _user(study.secretariat)
        services.bind_series(consultation, dataset, by=by, sector_codes=["230000"])
        services.bind_series(consultation, dataset, by=by, sector_codes=["236000"])
        bindings = db.session.scalars(select(ForecastBinding)).all()
        assert [b.sector_codes for b in bindings] == [["236000"]]


def test_the_binding_rule_of_the_policy(app, study):
    with app.app_context():
        consultation = db.session.get(Consultation, study.consultation)
        binding = ForecastBinding(consultation=consultation, dataset_id=study.dataset)
        publisher = make_staff(Role.publisher)
        expected = {
            study.secretariat: (Decision.allow, Decision.allow),
            study.other_secretariat: (Decision.hidden, Decision.hidden),
            study.official: (Decision.allow, Decision.refused),
            study.admin: (Decision.hidden, Decision.hidden),
        }
        for email, (view, run) in expected.items():
            user = _user(email)
            assert decide(user, Act.view, binding) is view, email
            assert decide(user, Act.run, binding) is run, email
        assert decide(publisher, Act.view, binding) is Decision.allow
        assert decide(publisher, Act.run, binding) is Decision.refused
        assert decide(None, Act.view, binding) is Decision.hidden


def test_the_binding_page_of_the_secretariat(app, study):
    client = app.test_client()
    sign_in(client, study.secretariat)
    url = f"/staff/consultations/{study.consultation}/forecasts"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        data={
            "dataset": str(study.dataset),
            "sector_codes": "230000, 999999",
            "occupation_codes": "",
        },
    )
    assert response.status_code == 422
    assert "999999" in response.get_data(as_text=True)
    response = client.post(
        url,
        data={
            "dataset": str(study.dataset),
            "sector_codes": "230000",
            "occupation_codes": "47-2111",
        },
    )
    assert response.status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert "Electricians" in page and "47-2111" in page
    with app.app_context():
        binding_id = db.session.scalars(select(ForecastBinding.id)).one()
    response = client.post(f"{url}/{binding_id}/remove")
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalars(select(ForecastBinding)).all() == []


def test_the_binding_page_is_the_councils_secretariats_only(app, study):
    url = f"/staff/consultations/{study.consultation}/forecasts"
    assert app.test_client().get(url).status_code == 302  # to the sign-in page
    for email, status in (
        (study.other_secretariat, 404),
        (study.official, 403),
        (study.admin, 403),
    ):
        client = app.test_client()
        sign_in(client, email)
        assert client.get(url).status_code == status, email
        assert client.post(url, data={"dataset": str(study.dataset)}).status_code == status


def test_the_demo_binds_its_illustrative_forecast(make_demo_app):
    app = make_demo_app()
    with app.app_context():
        dataset = db.session.scalars(
            select(ForecastDataset).where(ForecastDataset.title.like("Illustrative%"))
        ).one()
        assert dataset.kind is DatasetKind.projection
        assert "not a forecast by any statistical office" in dataset.caveats[0]
        binding = db.session.scalars(select(ForecastBinding)).one()
        assert binding.consultation.title.endswith("2030")
        assert binding.consultation.council.sector.code == "F"
        assert binding.total_code == "TOTAL"
        values = queries.bound_series(binding).values
        indicators = {v.indicator for v in values}
        assert {
            "employment",
            "employment_change",
            "openings",
            "openings_expansion",
            "openings_replacement",
        } <= indicators
        by_key = {(v.sector_code, v.occupation_code, v.indicator, v.year): v.value for v in values}
        assert by_key[("F", None, "employment", dataset.base_year)] == 13_100.0
        openings = by_key[("F", None, "openings", dataset.horizon_year)]
        split = (
            by_key[("F", None, "openings_expansion", dataset.horizon_year)]
            + by_key[("F", None, "openings_replacement", dataset.horizon_year)]
        )
        assert openings == pytest.approx(split, abs=0.11)
        assert {v.year for v in values} == {dataset.base_year, dataset.horizon_year}
