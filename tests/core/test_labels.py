"""Short labels keep what tells items apart (#17.1: «buttons are cut at 60 characters without
«…»; a search for «компенсац» gives two identical buttons because the place is cut off»)."""

from __future__ import annotations

from core.labels import BUTTON_LIMIT, labels_apart, shorten

SERVICE = "Выплата компенсации расходов на оплату жилого помещения и коммунальных услуг"


def test_two_places_of_one_long_service_stay_apart() -> None:
    found = labels_apart([f"{SERVICE}: МФЦ Ленинского района", f"{SERVICE}: МФЦ Кировского района"])
    assert len(set(found)) == 2
    assert all(len(label) <= BUTTON_LIMIT and "…" in label for label in found)
    assert found[0].endswith("МФЦ Ленинского района") and found[1].endswith("МФЦ Кировского района")
    assert all(label.startswith("Выплата компенсации") for label in found)


def test_a_short_label_is_left_alone_and_a_long_one_shows_the_cut() -> None:
    assert labels_apart(["Портал Госуслуг"]) == ["Портал Госуслуг"]
    [cut] = labels_apart([SERVICE + " для многодетных семей и ветеранов труда"])
    assert len(cut) <= BUTTON_LIMIT and cut.endswith("…")


def test_names_differing_only_at_the_end_keep_their_ends() -> None:
    names = [f"{SERVICE} — категория {n}" for n in ("первая", "вторая", "третья")]
    found = labels_apart(names, 40)
    assert len(set(found)) == 3 and all(len(label) <= 40 for label in found)
    assert [label.rsplit(" ", 1)[-1] for label in found] == ["первая", "вторая", "третья"]


def test_a_tail_longer_than_the_room_is_cut_too() -> None:
    text = "Услуга для граждан района: " + "место обслуживания номер " * 4
    cut = shorten(text, 30, differs_at=len(text) - 40)
    assert len(cut) <= 30 and cut.count("…") == 2 and cut.startswith("Услуга")
    assert shorten(text, 30, differs_at=10) == text[:29].rstrip() + "…"  # difference in view
